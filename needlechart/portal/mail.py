"""The portal's emails: what they say. Sending is the notifications app's: queued in the caller's
transaction, delivered by the worker in the clinic's name, visible on the clinic's sent-mail page."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import formats, timezone

from needlechart.notifications.models import Kind
from needlechart.notifications.services import send_email

from .models import CheckIn, PortalAccount


def _send(
    *,
    account: PortalAccount,
    subject: str,
    text: str,
    kind: str = Kind.OTHER,
    send_after: datetime | None = None,
    sensitive: bool = False,
    key: str = "",
    context: Any = None,
) -> None:
    send_email(
        clinic=account.clinic,
        to=account.email,
        subject=subject,
        text=text,
        kind=kind,
        patient=account.patient,
        send_after=send_after,
        sensitive=sensitive,
        key=key,
        context=context,
    )


def send_invitation(*, account: PortalAccount, url: str, expires_at) -> None:
    clinic = account.clinic
    when = formats.date_format(timezone.localtime(expires_at), "j F Y")
    text = (
        f"Hello {account.patient.first_name},\n\n"
        f"{clinic.name} has set up your patient portal. In the portal you can fill in your forms before "
        "your first visit, read your aftercare advice and log your home exercises.\n\n"
        f"Open this link to choose a password:\n{url}\n\n"
        f"The link works once and until {when}. If it has expired, ask the clinic for a new one.\n"
        "If you did not expect this email, you can ignore it.\n"
    )
    # A link that opens the account: never shown on the sent-mail pages, removed once sent.
    _send(
        account=account,
        subject=f"Your patient portal at {clinic.name}",
        text=text,
        kind=Kind.INVITATION,
        sensitive=True,
    )


def send_sign_in_link(*, account: PortalAccount, url: str) -> None:
    clinic = account.clinic
    text = (
        f"Hello {account.patient.first_name},\n\n"
        f"Open this link to sign in to your patient portal at {clinic.name}:\n{url}\n\n"
        "The link works once, for 15 minutes.\n"
        "If you did not ask for it, you can ignore this email: nobody can sign in without the link.\n"
    )
    _send(
        account=account,
        subject=f"Sign in to your patient portal at {clinic.name}",
        text=text,
        kind=Kind.SIGN_IN,
        sensitive=True,
    )


def send_questionnaire_reminder(*, account: PortalAccount, titles: list[str], key: str = "") -> None:
    """A questionnaire became due (the reminders sweep, questionnaires.due_questionnaire_reminders)."""
    clinic = account.clinic
    listed = "\n".join(f"- {t}" for t in titles)
    text = (
        f"Hello {account.patient.first_name},\n\n"
        f"{clinic.name} would like you to fill in a short questionnaire about how you are:\n{listed}\n\n"
        "Sign in to your patient portal and open the home page: the questionnaire is under "
        f"'Questionnaires to fill in'. It takes a few minutes.\n{portal_url(reverse('portal:home'))}\n\n"
        "Your answers help us see how your treatment is going.\n"
    )
    _send(account=account, subject=f"A questionnaire from {clinic.name}", text=text, kind=Kind.REMINDER, key=key)


def portal_url(path: str) -> str:
    """An address in the portal for an email: absolute when PUBLIC_BASE_URL is set (https://clinic.example)."""
    base = (getattr(settings, "PUBLIC_BASE_URL", "") or "").rstrip("/")
    return f"{base}{path}"


def send_check_in(*, account: PortalAccount, check_in: CheckIn) -> None:
    """The nudge a day after needling: the questions are in the portal (which shows them whatever the
    email does)."""
    from needlechart.common import opaque

    clinic = account.clinic
    when = formats.date_format(check_in.visit.visit_date, "l j F")
    url = portal_url(reverse("portal:check_in", args=[opaque.of(check_in)]))
    text = (
        f"Hello {account.patient.first_name},\n\n"
        f"You had needling at {clinic.name} on {when}. How are you feeling now?\n\n"
        "Please answer three short questions in your patient portal: how sore you are, any bruising, "
        "and whether you have any of the warning signs on your aftercare sheet. It takes about a minute.\n\n"
        f"{url}\n\n"
        "You can answer for a week after your treatment.\n\n"
        "Do not wait for this email if you feel unwell: if you have any of the warning signs on your "
        "aftercare sheet, call emergency services"
        + (f" or the clinic on {clinic.phone}" if clinic.phone else " or the clinic")
        + " now.\n"
    )
    _send(
        account=account,
        subject=f"How are you feeling after your treatment at {clinic.name}?",
        text=text,
        kind=Kind.CHECK_IN,
        key=f"check_in:{check_in.pk}",
    )
