from django.urls import include, path

from needlechart.accounts.admin import site as admin_site
from needlechart.api.api import api

urlpatterns = [
    path("admin/", admin_site.urls),
    path("accounts/", include("needlechart.accounts.urls")),
    path("patients/", include("needlechart.patients.urls")),
    path("patients/", include("needlechart.charting.urls")),
    path("patients/", include("needlechart.outcomes.urls")),
    path("patients/", include("needlechart.reports.urls")),
    path("patients/", include("needlechart.portal.staff_urls")),
    path("portal/", include("needlechart.portal.urls")),
    path("dashboard/", include("needlechart.dashboard.urls")),
    path("mail/", include("needlechart.notifications.urls")),
    path("api/v1/", api.urls),
    path("start/", include("needlechart.common.urls")),
    path("learn/", include("needlechart.learn.urls")),
    path("self-check/", include("needlechart.selfcheck.urls")),
    path("", include("needlechart.explorer.urls")),
]
