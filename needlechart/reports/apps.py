from django.apps import AppConfig


class ReportsConfig(AppConfig):
    """PDF reports of an episode or a signed note, drawn with WeasyPrint from templates and the pages' SVG charts."""

    name = "needlechart.reports"
    label = "reports"
