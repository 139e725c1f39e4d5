from django.apps import AppConfig


class AuditConfig(AppConfig):
    """An append-only record of who opened, created, changed, signed or amended what, and when."""

    name = "needlechart.audit"
    label = "audit"
    default_auto_field = "django.db.models.BigAutoField"
