"""Portal accounts: inviting a patient, accepting, signing in by link, turning access off.

Each service runs in one transaction with its audit row. Staff actions check that the patient is of
the actor's clinic first (a 404 for any other, as everywhere) and then the role.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.contrib.auth import login
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from needlechart.accounts.models import Role, User
from needlechart.audit.models import Action
from needlechart.audit.services import record
from needlechart.patients.models import Patient

from . import links, mail
from .models import LinkPurpose, PortalAccount, PortalLink

BACKEND = "needlechart.portal.backends.PortalBackend"
SIGN_IN_LINKS_PER_QUARTER_HOUR = 3  # per account: enough for a lost email, too few to flood an inbox


class PortalError(ValueError):
    """A request the portal cannot carry out; the message says what to do instead."""


def _absolute(request: Any, path: str) -> str:
    return request.build_absolute_uri(path) if request is not None else path


def _require_staff_of(actor: User, patient: Patient) -> None:
    if not actor.is_clinic_staff or actor.clinic_id != patient.clinic_id:
        raise PermissionDenied("Only the patient's own clinic can manage their portal access.")


@dataclass(frozen=True)
class Invitation:
    account: PortalAccount
    url: str


def invite_patient(*, actor: User, patient: Patient, request: Any = None) -> Invitation:
    """Invite the patient to the portal at the email address on their record (or send a new
    invitation: the earlier link stops working). A turned-off account is turned on again."""
    _require_staff_of(actor, patient)
    email = (patient.email or "").strip()
    if not email:
        raise PortalError("The patient has no email address: add one to their record, then invite them.")
    try:
        validate_email(email)
    except ValidationError:
        raise PortalError(f"'{email}' is not a valid email address: correct it on the patient's record.") from None
    now = timezone.now()
    with transaction.atomic():
        account = PortalAccount.objects.select_for_update().filter(patient=patient).first()
        if account is None:
            user = User(
                username=f"portal-{secrets.token_hex(10)}",
                role=Role.PATIENT,
                clinic_id=patient.clinic_id,
                first_name=patient.first_name[:150],
                last_name=patient.last_name[:150],
                email=email,
            )
            user.set_unusable_password()
            user.save()
            account = PortalAccount.objects.create(
                user=user, patient=patient, clinic_id=patient.clinic_id, email=email, invited_by=actor, invited_at=now
            )
            summary = "Invited to the patient portal"
        else:
            summary = "Sent a new portal invitation" if account.disabled_at is None else "Turned portal access on again"
            account.email, account.invited_by, account.invited_at, account.disabled_at = email, actor, now, None
            account.save(update_fields=["email", "invited_by", "invited_at", "disabled_at"])
            User.objects.filter(pk=account.user_id).update(email=email, is_active=True)
        token = links.issue(account=account, purpose=LinkPurpose.INVITATION)
        url = _absolute(request, reverse("portal:invitation", args=[token]))
        record(actor, Action.CREATE, account, patient=patient, summary=f"{summary} ({email})", request=request)
        link = PortalLink.objects.filter(account=account, purpose=LinkPurpose.INVITATION).latest("created_at")
        mail.send_invitation(account=account, url=url, expires_at=link.expires_at)  # queued: sent on commit
    return Invitation(account=account, url=url)


def disable_access(*, actor: User, patient: Patient, request: Any = None) -> PortalAccount:
    """Turn the patient's portal access off: their sessions end at the next request and every unused
    link stops working. Inviting them again turns it back on."""
    _require_staff_of(actor, patient)
    with transaction.atomic():
        account = PortalAccount.objects.select_for_update().filter(patient=patient).first()
        if account is None:
            raise PortalError("This patient has no portal account.")
        if account.disabled_at is None:
            now = timezone.now()
            account.disabled_at = now
            account.save(update_fields=["disabled_at"])
            User.objects.filter(pk=account.user_id).update(is_active=False)
            PortalLink.objects.filter(account=account, used_at=None, revoked_at=None).update(revoked_at=now)
            record(actor, Action.CHANGE, account, patient=patient, summary="Turned portal access off", request=request)
    return account


def accept_invitation(*, token: str, password: str, password_again: str, request: Any) -> User:
    """Set the account's password from a valid invitation and sign the patient in."""
    found = links.find(token=token, purpose=LinkPurpose.INVITATION)
    if isinstance(found, links.Problem):
        raise PortalError(found.message)
    user = found.account.user
    if password != password_again:
        raise ValidationError({"password_again": "The two passwords differ: type the same password twice."})
    validate_password(password, user)  # a ValidationError listing what to change
    with transaction.atomic():
        if not links.claim(link=found):
            raise PortalError(links.USED.message)
        user.set_password(password)
        user.is_active = True
        user.save(update_fields=["password", "is_active"])
        _activate(found.account)
        record(
            user,
            Action.CHANGE,
            found.account,
            patient=found.account.patient,
            summary="Accepted the portal invitation and set a password",
            request=request,
        )
    login(request, user, backend=BACKEND)
    return user


def _activate(account: PortalAccount) -> None:
    if account.activated_at is None:
        account.activated_at = timezone.now()
        account.save(update_fields=["activated_at"])


def send_sign_in_link(*, email: str, request: Any) -> None:
    """Email a sign-in link to every active account at this address. Says nothing about whether one
    exists (the page answers the same either way), and sends at most a few per quarter hour."""
    email = (email or "").strip()
    if not email:
        raise PortalError("Enter the email address the clinic has for you.")
    try:
        validate_email(email)
    except ValidationError:
        raise PortalError(f"'{email[:80]}' is not an email address: check it and try again.") from None
    since = timezone.now() - timedelta(minutes=15)
    for account in PortalAccount.objects.select_related("clinic", "patient").filter(
        email__iexact=email, disabled_at=None
    ):
        with transaction.atomic():
            recent = PortalLink.objects.filter(
                account=account, purpose=LinkPurpose.SIGN_IN, created_at__gte=since
            ).count()
            if recent >= SIGN_IN_LINKS_PER_QUARTER_HOUR:
                continue
            token = links.issue(account=account, purpose=LinkPurpose.SIGN_IN)
            url = _absolute(request, reverse("portal:link", args=[token]))
            record(
                None,
                Action.CREATE,
                account,
                patient=account.patient,
                clinic=account.clinic,
                summary="Sign-in link sent to the patient",
                request=request,
            )
            mail.send_sign_in_link(account=account, url=url)  # queued: sent on commit


def sign_in_with_link(*, token: str, request: Any) -> User:
    found = links.find(token=token, purpose=LinkPurpose.SIGN_IN)
    if isinstance(found, links.Problem):
        raise PortalError(found.message)
    user = found.account.user
    with transaction.atomic():
        if not links.claim(link=found):
            raise PortalError(links.USED.message)
        if not user.is_active:
            raise PortalError(links.DISABLED.message)
        _activate(found.account)
    login(request, user, backend=BACKEND)
    return user


def change_password(*, account: PortalAccount, current: str, new: str, new_again: str, request: Any) -> None:
    user = account.user
    if user.has_usable_password() and not user.check_password(current):
        raise ValidationError({"current": "That is not your current password."})
    if new != new_again:
        raise ValidationError({"new_again": "The two new passwords differ: type the same password twice."})
    validate_password(new, user)
    with transaction.atomic():
        user.set_password(new)
        user.save(update_fields=["password"])
        record(
            user,
            Action.CHANGE,
            account,
            patient=account.patient,
            summary="Changed the portal password",
            request=request,
        )
    from django.contrib.auth import update_session_auth_hash

    update_session_auth_hash(request, user)
