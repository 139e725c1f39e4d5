from django.urls import path

from . import views

app_name = "outcomes"

urlpatterns = [
    path("<patient:pk>/episodes/<episode:episode_id>/plan/", views.plan_page, name="plan"),
    path("<patient:pk>/episodes/<episode:episode_id>/measurements/new/", views.measurement_new, name="measure"),
    path("<patient:pk>/episodes/<episode:episode_id>/review/", views.review_page, name="review"),
    path("<patient:pk>/episodes/<episode:episode_id>/discharge/", views.discharge_page, name="discharge"),
]
