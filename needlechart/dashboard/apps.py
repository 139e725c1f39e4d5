from django.apps import AppConfig


class DashboardConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "needlechart.dashboard"
    label = "dashboard"
    verbose_name = "Clinic dashboard"
