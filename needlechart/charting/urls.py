from django.urls import path

from . import views

app_name = "charting"

urlpatterns = [
    path("<patient:pk>/visits/new/", views.visit_start, name="start"),
    path("<patient:pk>/visits/<visit:visit_id>/", views.visit_page, name="visit"),
    path("<patient:pk>/visits/<visit:visit_id>/aftercare/", views.aftercare_sheet, name="aftercare"),
    path("<patient:pk>/visits/<visit:visit_id>/target-info/", views.target_info, name="target_info"),
    path("<patient:pk>/visits/<visit:visit_id>/<slug:action>/", views.visit_action, name="action"),
]
