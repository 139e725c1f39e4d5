from django.apps import AppConfig


class CommonConfig(AppConfig):
    """Infrastructure shared by the clinical apps: database guards that Python alone cannot give."""

    name = "needlechart.common"
    label = "common"

    def ready(self) -> None:
        from needlechart.common.opaque import register_converters

        register_converters()
