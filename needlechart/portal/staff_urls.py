from django.urls import path

from . import staff_views

app_name = "portal_staff"

urlpatterns = [
    path("<patient:pk>/portal/invite/", staff_views.invite, name="invite"),
    path("<patient:pk>/portal/turn-off/", staff_views.disable, name="disable"),
    path("<patient:pk>/portal/alerts/<portal_alert:alert_id>/", staff_views.alert, name="alert"),
]
