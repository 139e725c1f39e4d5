from django.apps import AppConfig


class ExplorerConfig(AppConfig):
    """The trigger-point explorer: body map, suggestions and a page per knowledge entry."""

    name = "needlechart.explorer"
    label = "explorer"
    verbose_name = "Trigger-point explorer"
