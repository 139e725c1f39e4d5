from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("<patient:pk>/episodes/<episode:episode_id>/reports/<slug:kind>.pdf", views.episode_report, name="episode"),
    path("<patient:pk>/visits/<visit:visit_id>/note.pdf", views.visit_note, name="visit_note"),
]
