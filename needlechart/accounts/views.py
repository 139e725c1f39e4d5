"""Signing in and out. Throttling is django-axes' (see settings); both outcomes are audited."""

from django.contrib.auth import views as auth_views


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    pass
