from django.apps import AppConfig


class PatientsConfig(AppConfig):
    """Patients, their coded history and their episodes of care."""

    name = "needlechart.patients"
    label = "patients"
    default_auto_field = "django.db.models.BigAutoField"
