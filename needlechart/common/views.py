"""Pages that belong to no app of their own."""

from __future__ import annotations

from django.shortcuts import render

from needlechart.accounts.permissions import clinic_staff_required


@clinic_staff_required
def start(request):
    """The signed-in start page: the site's base template and two links, nothing else. It is also the
    benchmark's floor (`scripts/bench_web.py`): what any signed-in page costs before its own work, the
    same middleware, session, user and template, so each main page is measured against it."""
    return render(request, "common/start.html")
