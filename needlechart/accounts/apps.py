from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Clinics, their users and roles: the unit of isolation for every query."""

    name = "needlechart.accounts"
    label = "accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import signals  # noqa: F401  (connects the audit receivers)
