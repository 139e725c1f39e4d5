from django.urls import path

from . import views

app_name = "patients"

urlpatterns = [
    path("", views.patient_list, name="list"),
    path("new/", views.patient_create, name="create"),
    path("<int:pk>/", views.patient_detail, name="detail"),
    path("<int:pk>/edit/", views.patient_edit, name="edit"),
    path("<int:pk>/episodes/new/", views.episode_create, name="episode_create"),
    path("<int:pk>/audit/", views.audit_trail, name="audit"),
    path("<int:pk>/history/new/", views.history_add, name="history_add"),
    path("<int:pk>/history/<int:finding_id>/resolve/", views.history_resolve, name="history_resolve"),
]
