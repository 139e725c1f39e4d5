"""A URL configuration with a stand-in `selfcheck:start`, to show the index links to the self-check once
that app exists (tests/learn/test_pages.py)."""

from django.http import HttpResponse
from django.urls import include, path

from needlechart.config.urls import urlpatterns as site

selfcheck = ([path("", lambda request: HttpResponse("self-check"), name="start")], "selfcheck")

urlpatterns = [path("self-check/", include(selfcheck)), *site]
