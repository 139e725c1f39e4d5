from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("two-factor/", views.two_factor_code, name="two_factor"),
    path("two-factor/set-up/", views.two_factor_enrol, name="two_factor_enrol"),
    path("security/", views.security, name="security"),
    path("security/recovery-codes/", views.recovery_codes, name="recovery_codes"),
    path("clinic/", views.clinic_settings, name="clinic_settings"),
]
