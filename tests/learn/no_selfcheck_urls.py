"""The site's URL configuration without the self-check, to show the education index leaves out its link
when the self-check is not installed."""

from needlechart.config.urls import urlpatterns as site

urlpatterns = [p for p in site if getattr(p, "app_name", None) != "selfcheck"]
