from django.urls import include, path

urlpatterns = [
    path("", include("needlechart.explorer.urls")),
]
