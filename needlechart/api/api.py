"""The API object, mounted at /api/v1/, and how the services' refusals become HTTP answers.

- PermissionDenied (a role or authorship rule) -> 403 {"detail": message}
- Http404 (another clinic's or no such object, or a row id not in the visit named) -> 404 (ninja's default)
- NoteLocked (a signed or discarded note) -> 409 {"detail": message, "code": "locked"}
- ChartingError and the core's input errors -> 422 {"detail": [{"type", "loc", "msg"}]}, the same
  shape as ninja's own validation errors, so clients read every 422 one way. A refused signing
  (SignRefused) gives one item per unmet point.
- A stale draft version is answered in visits.py: 409 {"code": "version_conflict", "current": ...}.
- A body that cannot be read (not JSON, a form with a broken multipart boundary, too large) -> 400
  {"detail": message}, JSON like every other answer (Django's own 400 page is HTML).

Every operation's OpenAPI entry lists all of these it can give (schemas.responses), and tests/api/
test_schemathesis.py holds the API to its document.
"""

from __future__ import annotations

from django.core.exceptions import BadRequest, PermissionDenied, RequestDataTooBig, TooManyFieldsSent
from django.http import HttpRequest, HttpResponse, UnreadablePostError
from django.http.multipartparser import MultiPartParserError
from ninja import NinjaAPI
from ninja.security import django_auth

from needlechart.charting.models import NoteLocked
from needlechart.charting.services import ChartingError
from needlechart.clinical.screening import ScreeningInputError
from needlechart.clinical.suggestion import SuggestionInputError

from . import clinical, dashboard, outcomes, patients, portal, reports, visits

api = NinjaAPI(
    title="NeedleChart API",
    version="1",
    urls_namespace="api",
    auth=django_auth,
    description=(
        "Session-authenticated JSON API for clinic staff. Unsafe methods need the CSRF token "
        "(X-CSRFToken header). Objects of other clinics are 404; clinical endpoints are 403 for front desk."
    ),
)
api.add_router("/", patients.router)
api.add_router("/", visits.router)
api.add_router("/", clinical.router)
api.add_router("/", outcomes.router)
api.add_router("/", reports.router)
api.add_router("/", dashboard.router)
api.add_router("/", portal.router)


@api.exception_handler(PermissionDenied)
def forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc) or "You may not do this."}, status=403)


@api.exception_handler(NoteLocked)
def locked(request: HttpRequest, exc: NoteLocked) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc), "code": "locked"}, status=409)


@api.exception_handler(ChartingError)
def charting_rule(request: HttpRequest, exc: ChartingError) -> HttpResponse:
    detail = [{"type": "charting_rule", "loc": ["body"], "msg": message} for message in exc.messages]
    return api.create_response(request, {"detail": detail}, status=422)


@api.exception_handler(ScreeningInputError)
@api.exception_handler(SuggestionInputError)
def core_input(request: HttpRequest, exc: ValueError) -> HttpResponse:
    """The schemas check first; this catches whatever only the core knows to refuse."""
    return api.create_response(
        request, {"detail": [{"type": "invalid_input", "loc": ["body"], "msg": str(exc)}]}, status=422
    )


@api.exception_handler(MultiPartParserError)
@api.exception_handler(RequestDataTooBig)
@api.exception_handler(TooManyFieldsSent)
@api.exception_handler(UnreadablePostError)
@api.exception_handler(BadRequest)
def unreadable(request: HttpRequest, exc: Exception) -> HttpResponse:
    """The CSRF check reads a POST's form before the endpoint runs: a form Django cannot parse (a multipart
    body without its boundary) or a body over the size limit is a 400 in JSON, not Django's HTML page."""
    return api.create_response(request, {"detail": f"Cannot read the request body: {exc}"}, status=400)
