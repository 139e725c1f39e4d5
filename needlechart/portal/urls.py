from django.urls import path

from . import between_urls, intake_views, views
from .intake import STEPS

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
    path("intake/", intake_views.intake_start, name="intake"),
    *(
        path(f"intake/{step.replace('_', '-')}/", intake_views.intake_step, {"step": step}, name=f"intake_{step}")
        for step in STEPS
    ),
    path("intake/send/", intake_views.intake_submit, name="intake_submit"),
    path("consent/", intake_views.consent, name="consent"),
    path("questionnaire/", intake_views.questionnaire, name="questionnaire"),
]

urlpatterns += between_urls.urlpatterns
