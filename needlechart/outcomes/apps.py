from django.apps import AppConfig


class OutcomesConfig(AppConfig):
    """Plans of care (dated revisions) and outcome measurements of an episode, scored by the core."""

    name = "needlechart.outcomes"
    label = "outcomes"
    default_auto_field = "django.db.models.BigAutoField"
