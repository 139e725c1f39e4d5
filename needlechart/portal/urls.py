from django.urls import path

from . import between_urls, views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("sign-in/", views.sign_in, name="sign_in"),
    path("sign-in/link/", views.request_link, name="request_link"),
    path("link/<str:token>/", views.sign_in_link, name="link"),
    path("invitation/<str:token>/", views.invitation, name="invitation"),
    path("sign-out/", views.sign_out, name="sign_out"),
    path("details/", views.details, name="details"),
    path("password/", views.password, name="password"),
]

urlpatterns += between_urls.urlpatterns
