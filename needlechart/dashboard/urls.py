from django.urls import path

from . import views

app_name = "dashboard"

urlpatterns = [
    path("", views.page, name="page"),
    path("<slug:table>.csv", views.table_csv, name="csv"),
]
