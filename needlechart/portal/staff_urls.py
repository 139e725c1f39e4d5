from django.urls import path

from . import intake_staff_views, staff_views

app_name = "portal_staff"

urlpatterns = [
    path("<patient:pk>/portal/invite/", staff_views.invite, name="invite"),
    path("<patient:pk>/portal/turn-off/", staff_views.disable, name="disable"),
    path("<patient:pk>/portal/alerts/<portal_alert:alert_id>/", staff_views.alert, name="alert"),
    path("<patient:pk>/portal/intake/<intake:intake_id>/", intake_staff_views.intake, name="intake"),
    path("<patient:pk>/portal/questionnaires/", intake_staff_views.questionnaire, name="questionnaire"),
    path(
        "<patient:pk>/portal/visits/<visit:visit_id>/confirm-consent/",
        intake_staff_views.confirm_econsent,
        name="confirm_econsent",
    ),
    path(
        "<patient:pk>/portal/visits/<visit:visit_id>/intake-drawing/",
        intake_staff_views.apply_drawing,
        name="apply_drawing",
    ),
]
