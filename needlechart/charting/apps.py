from django.apps import AppConfig


class ChartingConfig(AppConfig):
    """Visits: screening, consent, pain drawing, needle log, counts, adverse events, signing, addenda."""

    name = "needlechart.charting"
    label = "charting"
    default_auto_field = "django.db.models.BigAutoField"
