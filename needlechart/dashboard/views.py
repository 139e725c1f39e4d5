"""The clinic dashboard page and its CSV files: parse the filters, open the dashboard (permission and
audit in `services.open_dashboard`), render."""

from __future__ import annotations

import csv

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.http import urlencode

from needlechart.accounts.permissions import clinic_staff_required

from . import services
from .charts import charts
from .forms import DashboardFilterForm
from .tables import FILTER_COLUMNS, TABLES, tables


@clinic_staff_required
def page(request):
    services.require_dashboard(request.user)
    form = DashboardFilterForm(request.GET or None, clinic_id=request.user.clinic_id)
    if request.GET and not form.is_valid():
        return render(request, "dashboard/dashboard.html", {"form": form, "errors": form.messages()}, status=400)
    if not request.GET:
        form = DashboardFilterForm({}, clinic_id=request.user.clinic_id)
        form.is_valid()
    filters = form.filters()
    d = services.open_dashboard(request.user, filters, view="page", request=request)
    filter_query = urlencode({k: v for k, v in filters.as_dict().items() if v})
    return render(
        request,
        "dashboard/dashboard.html",
        {"form": form, "d": d, "charts": charts(d), "filter_query": filter_query, "tables": TABLES},
    )


@clinic_staff_required
def table_csv(request, table: str):
    if table not in TABLES:
        raise Http404("No such dashboard table")
    services.require_dashboard(request.user)
    form = DashboardFilterForm(request.GET, clinic_id=request.user.clinic_id)
    if not form.is_valid():
        return HttpResponse("\n".join(form.messages()) + "\n", status=400, content_type="text/plain; charset=utf-8")
    filters = form.filters()
    d = services.open_dashboard(request.user, filters, view=f"{table}.csv", request=request)
    chosen = tables(d)[table]
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = f"needlechart-{table}-{filters.date_from.isoformat()}-{filters.date_to.isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    writer = csv.writer(response)
    writer.writerow(FILTER_COLUMNS + chosen.header)
    given = list(filters.as_dict().values())
    for row in chosen.rows:
        writer.writerow([_cell(value) for value in given + row])
    return response


def _cell(value: str) -> str:
    """A text cell that a spreadsheet would run as a formula (=, +, -, @) is written with a leading
    apostrophe; numbers, negative ones included, are left as they are."""
    if value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        try:
            float(value)
        except ValueError:
            return "'" + value
    return value
