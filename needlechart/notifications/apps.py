from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    """Email messages and the background jobs that send them."""

    name = "needlechart.notifications"
    label = "notifications"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The built-in sweeps (stalled deliveries) register themselves on import.
        from . import sweeps  # noqa: F401
