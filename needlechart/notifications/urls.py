from django.urls import path

from . import views

app_name = "notifications"

urlpatterns = [
    path("", views.mail_list, name="list"),
    path("<email:email_id>/", views.mail_detail, name="detail"),
    path("<email:email_id>/send-again/", views.mail_send_again, name="send_again"),
]
