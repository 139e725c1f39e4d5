from django.urls import path

from . import views

app_name = "charting"

urlpatterns = [
    path("<int:pk>/visits/new/", views.visit_start, name="start"),
    path("<int:pk>/visits/<int:visit_id>/", views.visit_page, name="visit"),
    path("<int:pk>/visits/<int:visit_id>/aftercare/", views.aftercare_sheet, name="aftercare"),
    path("<int:pk>/visits/<int:visit_id>/target-info/", views.target_info, name="target_info"),
    path("<int:pk>/visits/<int:visit_id>/<slug:action>/", views.visit_action, name="action"),
]
