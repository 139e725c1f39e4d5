"""`needlechart manage send_test_email --clinic SLUG --to ADDRESS`: check the mail set-up end to end.

The message is queued like any other (the clinic's name, its Reply-To, the audit row) and sent by a
running worker; its outcome is on the clinic's Mail page, or with `--wait`, printed here.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from needlechart.accounts.models import Clinic
from needlechart.notifications.models import Kind, OutboundEmail, Status
from needlechart.notifications.services import EmailError, send_email


class Command(BaseCommand):
    help = "Queue a test message from a clinic, to check the SMTP settings and the worker."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--clinic", required=True, help="The clinic's slug.")
        parser.add_argument("--to", required=True, help="Where to send it.")
        parser.add_argument("--wait", type=float, default=0, help="Wait up to SECONDS for a worker to send it.")

    def handle(self, *args: Any, clinic: str, to: str, wait: float, **options: Any) -> None:
        found = Clinic.objects.filter(slug=clinic).first()
        if found is None:
            known = ", ".join(Clinic.objects.order_by("slug").values_list("slug", flat=True)[:20])
            raise CommandError(f"no clinic '{clinic}'; clinics: {known or 'none'}")
        try:
            email = send_email(
                clinic=found,
                to=to,
                subject=f"Test message from {found.name}",
                text=f"This is a test of {found.name}'s email from NeedleChart. Nothing needs doing.\n",
                kind=Kind.OTHER,
            )
        except EmailError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"Queued {email.public_id} to {email.to}.")
        deadline = time.monotonic() + wait
        while wait and time.monotonic() < deadline:
            email = OutboundEmail.objects.get(pk=email.pk)
            if email.status in (Status.SENT, Status.FAILED):
                break
            time.sleep(0.5)
        else:
            if wait:
                raise CommandError(f"not sent within {wait:g} s: is a worker running (needlechart manage db_worker)?")
            return
        if email.status == Status.FAILED:
            raise CommandError(f"failed: {email.last_error}")
        self.stdout.write(f"Sent at {email.sent_at:%Y-%m-%d %H:%M:%S} UTC.")
