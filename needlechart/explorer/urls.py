from django.urls import path

from . import views

app_name = "explorer"

urlpatterns = [
    path("", views.explorer, name="explorer"),
    path("search/", views.search, name="search"),
    path("muscles/", views.muscle_list, name="muscle_list"),
    path("muscles/<str:muscle_id>/", views.muscle_detail, name="muscle"),
    path("acupoints/", views.acupoint_list, name="acupoint_list"),
    path("acupoints/<str:code>/", views.acupoint_detail, name="acupoint"),
    path("regions/", views.region_list, name="region_list"),
    path("regions/<str:region_id>/", views.region_detail, name="region"),
    path("conditions/", views.condition_list, name="condition_list"),
    path("conditions/<str:condition_id>/", views.condition_detail, name="condition"),
    path("sources/", views.source_list, name="sources"),
]
