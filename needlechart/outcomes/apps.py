from django.apps import AppConfig


class OutcomesConfig(AppConfig):
    """Plans of care (dated revisions) and outcome measurements of an episode, scored by the core."""

    name = "needlechart.outcomes"
    label = "outcomes"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # A signed session or a new screening can change an episode's progress reading.
        from needlechart.charting import signals

        from . import reviews

        signals.visit_signed.connect(reviews.on_visit_signed, dispatch_uid="outcomes-visit-signed")
        signals.screening_recorded.connect(reviews.on_screening_recorded, dispatch_uid="outcomes-screening")
