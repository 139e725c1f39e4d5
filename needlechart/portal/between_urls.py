"""The between-visits pages, inside the portal's namespace (portal/urls.py adds them)."""

from django.urls import path

from . import between_views

urlpatterns = [
    path("aftercare/", between_views.aftercare, name="aftercare"),
    path("aftercare/<str:token>/", between_views.aftercare, name="aftercare_visit"),
    path("exercises/", between_views.exercises, name="exercises"),
    path("check-in/", between_views.check_in, name="check_in_current"),
    path("check-in/<str:token>/", between_views.check_in, name="check_in"),
    path("check-in/<str:token>/urgent/", between_views.check_in_urgent, name="check_in_urgent"),
    path("diary/", between_views.diary, name="diary"),
]
