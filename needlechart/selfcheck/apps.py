from django.apps import AppConfig


class SelfCheckConfig(AppConfig):
    name = "needlechart.selfcheck"
    label = "selfcheck"
    verbose_name = "Public self-check"
    default_auto_field = "django.db.models.BigAutoField"
