from django.urls import include, path

urlpatterns = [
    path("accounts/", include("needlechart.accounts.urls")),
    path("patients/", include("needlechart.patients.urls")),
    path("patients/", include("needlechart.charting.urls")),
    path("", include("needlechart.explorer.urls")),
]
