from django.urls import path

from . import views

app_name = "patients"

urlpatterns = [
    path("", views.patient_list, name="list"),
    path("new/", views.patient_create, name="create"),
    path("<patient:pk>/", views.patient_detail, name="detail"),
    path("<patient:pk>/edit/", views.patient_edit, name="edit"),
    path("<patient:pk>/episodes/new/", views.episode_create, name="episode_create"),
    path("<patient:pk>/audit/", views.audit_trail, name="audit"),
    path("<patient:pk>/history/new/", views.history_add, name="history_add"),
    path("<patient:pk>/history/<finding:finding_id>/resolve/", views.history_resolve, name="history_resolve"),
]
