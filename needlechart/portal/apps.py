from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "needlechart.portal"
    label = "portal"
    verbose_name = "Patient portal"

    def ready(self) -> None:
        # Each part of the portal registers its home-page section (sections.py) when imported.
        from importlib import import_module

        for module in self.HOME_SECTION_MODULES:
            import_module(module)

    HOME_SECTION_MODULES: tuple[str, ...] = ("needlechart.portal.intake_sections", "needlechart.portal.between")
