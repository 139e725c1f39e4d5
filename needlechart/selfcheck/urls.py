from django.urls import path, re_path

from . import views
from .models import PUBLIC_ID_PATTERN

app_name = "selfcheck"

urlpatterns = [
    path("", views.start, name="start"),
    path("answer/", views.answer, name="answer"),
    path("send/", views.send, name="send"),
    path("requests/", views.request_list, name="requests"),
    re_path(rf"^requests/(?P<public_id>{PUBLIC_ID_PATTERN})/$", views.request_detail, name="request"),
    re_path(rf"^requests/(?P<public_id>{PUBLIC_ID_PATTERN})/status/$", views.request_status, name="request_status"),
]
