"""Two-factor sign-in: an authenticator app (TOTP, django-otp) and single-use recovery codes.

The rules, in one place (the views and the middleware only call these):

- **Who must use it.** When a clinic requires two-factor sign-in (`Clinic.require_two_factor`, on for
  clinics created from now on), every member of its staff must: clinicians, clinic admins, and front
  desk too. Front desk never sees clinical content, but it does see every patient's name, date of
  birth, address and phone number, and can register and edit patients: a stolen front-desk password
  opens the whole patient list, which is what two-factor sign-in is there to stop. One rule for all
  staff is also the simpler one to explain at the reception. Users without a clinic (an operator's
  superuser) are not forced by any clinic; they are asked for a code whenever they have an authenticator.
- **Who is asked for a code.** Anyone with a confirmed authenticator, whatever the clinic's setting:
  once enrolled, a password alone never opens a session.
- **Until then nothing else works.** A signed-in session that still owes its second factor reaches
  only the sign-in, sign-out, code and enrolment pages (see TwoFactorMiddleware): no patient page, no
  charting, no API call.
- **Recovery codes.** Ten single-use codes, shown once when they are made; the database keeps only a
  keyed hash of each (HMAC with the secret key, in otp_static's token column), so a copy of the
  database does not reveal them. A code works once and is then deleted.
- **Throttling.** A wrong code counts as a failed sign-in for axes (five per name and address, twenty
  per address across names, fifteen minutes; see throttling.py), and django-otp's own per-device
  delay (1, 2, 4, 8 s ... between tries, kept in the database) applies on top. Both are audited and
  logged like sign-ins.
"""

from __future__ import annotations

import enum
import logging
import secrets
from base64 import b32encode
from dataclasses import dataclass
from datetime import datetime

import segno
from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.signals import user_login_failed
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest
from django.utils.crypto import salted_hmac
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from needlechart.audit.models import Action
from needlechart.audit.services import client_address, record

from . import throttling
from .models import Clinic, Role, User

security = logging.getLogger("needlechart.security")

ENFORCED_ROLES = frozenset({Role.CLINICIAN, Role.CLINIC_ADMIN, Role.FRONT_DESK})
RECOVERY_CODE_COUNT = 10
RECOVERY_CODE_LENGTH = 12  # characters of base32: 60 bits each
AUTHENTICATOR_NAME = "Authenticator app"
RECOVERY_NAME = "Recovery codes"
REQUIREMENT_SECONDS = 60  # a changed clinic setting applies within a minute, without a query per request


class State(enum.Enum):
    """Where a signed-in session stands with its second factor."""

    DONE = "done"  # verified, or not needed
    CODE_NEEDED = "code_needed"  # has an authenticator: must enter a code
    ENROLMENT_NEEDED = "enrolment_needed"  # the clinic requires two-factor and the user has none yet


# --- who must, who has --------------------------------------------------------------------------


def clinic_requires(*, clinic_id: int | None) -> bool:
    if clinic_id is None:
        return False
    return bool(
        cache.get_or_set(
            _requirement_key(clinic_id),
            lambda: bool(Clinic.objects.filter(pk=clinic_id).values_list("require_two_factor", flat=True).first()),
            REQUIREMENT_SECONDS,
        )
    )


def _requirement_key(clinic_id: int) -> str:
    return f"needlechart:clinic-2fa:{clinic_id}"


def must_use_two_factor(*, user: User) -> bool:
    return user.role in ENFORCED_ROLES and clinic_requires(clinic_id=user.clinic_id)


def has_authenticator(*, user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def is_verified(*, request: HttpRequest) -> bool:
    verified = getattr(getattr(request, "user", None), "is_verified", None)
    return bool(verified()) if callable(verified) else False


def state(*, request: HttpRequest) -> State:
    """The session's standing; only for a signed-in user."""
    user = request.user
    if is_verified(request=request):
        return State.DONE
    if has_authenticator(user=user):
        return State.CODE_NEEDED
    if must_use_two_factor(user=user):
        return State.ENROLMENT_NEEDED
    return State.DONE


def second_factor_owed(*, user: User) -> bool:
    """At password sign-in (a new, unverified session): will it still have to give a second factor?"""
    return has_authenticator(user=user) or must_use_two_factor(user=user)


class Outcome(enum.Enum):
    ACCEPTED = "accepted"
    WRONG = "wrong"
    WAIT = "wait"  # django-otp's per-device delay after a wrong code
    LOCKED = "locked"  # axes: too many failures; the session has been signed out


@dataclass(frozen=True)
class Verification:
    outcome: Outcome
    wait_until: datetime | None = None
    lockout: throttling.Lockout | None = None
    recovery_codes_left: int | None = None  # when a recovery code was used
    recovery_codes: list[str] | None = None  # new codes, at enrolment


# --- enrolment ----------------------------------------------------------------------------------


def pending_authenticator(*, user: User) -> TOTPDevice:
    """The authenticator being set up: one unconfirmed device per user, kept until confirmed, so a
    reload shows the same QR code."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=AUTHENTICATOR_NAME, confirmed=False)
    return device


def qr_code_svg(*, device: TOTPDevice) -> str:
    """The otpauth:// address as an inline SVG QR code: drawn here, no image service sees the secret."""
    return segno.make(device.config_url, error="m").svg_inline(
        scale=5, dark="#12343b", light="#ffffff", title="QR code for your authenticator app"
    )


def secret_text(*, device: TOTPDevice) -> str:
    """The secret for typing into an app by hand, in groups of four."""
    key = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


def confirm_authenticator(*, request: HttpRequest, user: User, code: str) -> Verification:
    """Confirm the pending authenticator with a code from it. On success it replaces any earlier one,
    the session counts as verified, and ten new recovery codes come back, to be shown once. A wrong
    code counts as a failed sign-in, like one at the code page."""
    username = user.get_username()
    if throttling.is_locked(request=request, username=username):
        return _locked_out(request=request, user=user)
    digits, codes = _digits(code), []
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).order_by("-id").first()
        if device is not None:
            allowed, why = device.verify_is_allowed()
            if not allowed:
                return Verification(Outcome.WAIT, wait_until=(why or {}).get("locked_until"))
        accepted = device is not None and len(digits) == 6 and device.verify_token(digits)
        if accepted:
            assert device is not None
            TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            codes = _new_recovery_codes(user=user)
    if not accepted:
        return _wrong(request=request, user=user, what="authenticator set-up code")
    assert device is not None
    _verified(request=request, device=device)
    throttling.forgive_failures(request=request, username=username)
    record(user, Action.CHANGE, device, summary="Set up two-factor sign-in (authenticator app)", request=request)
    security.info("two-factor enrolled", extra={"event": "otp_enrolled", "username": username})
    return Verification(Outcome.ACCEPTED, recovery_codes=codes)


# --- the code at sign-in ------------------------------------------------------------------------


def verify(*, request: HttpRequest, user: User, code: str) -> Verification:
    """Check a 6-digit authenticator code or a recovery code, for a signed-in user who owes one."""
    username = user.get_username()
    if throttling.is_locked(request=request, username=username):
        return _locked_out(request=request, user=user)
    digits = _digits(code)
    if len(digits) == 6:
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        kind, candidate = "authenticator code", digits
    else:
        device = StaticDevice.objects.filter(user=user, confirmed=True).first()
        kind, candidate = "recovery code", normalise_recovery_code(code)
    if device is not None:
        allowed, why = device.verify_is_allowed()
        if not allowed:
            return Verification(Outcome.WAIT, wait_until=(why or {}).get("locked_until"))
    with transaction.atomic():
        accepted = device is not None and candidate != "" and _check(device, candidate=candidate)
    if not accepted:
        return _wrong(request=request, user=user, what=kind)
    assert device is not None
    _verified(request=request, device=device)
    throttling.forgive_failures(request=request, username=username)
    left = None
    if isinstance(device, StaticDevice):
        left = device.token_set.count()
        summary = f"Second factor given: a recovery code ({left} left)"
    else:
        summary = "Second factor given: authenticator code"
    record(user, Action.LOGIN, summary=summary, request=request)
    security.info(
        "two-factor verified",
        extra={"event": "otp_verified", "username": username, "ip": client_address(request), "method": kind},
    )
    return Verification(Outcome.ACCEPTED, recovery_codes_left=left)


def _check(device: TOTPDevice | StaticDevice, *, candidate: str) -> bool:
    device = type(device).objects.select_for_update().get(pk=device.pk)  # one verification at a time
    if isinstance(device, StaticDevice):
        for hashed in _recovery_hashes(candidate):
            if device.token_set.filter(token=hashed).exists():
                return bool(device.verify_token(hashed))  # deletes the code: it works once
        device.throttle_increment()
        return False
    return bool(device.verify_token(candidate))


def _locked_out(*, request: HttpRequest, user: User) -> Verification:
    lockout = throttling.lockout_for(request=request, username=user.get_username())
    security.warning(
        "two-factor locked out",
        extra={"event": "otp_locked_out", "username": user.get_username(), "ip": client_address(request)},
    )
    request.axes_locked_out = False  # this view answers with the lock-out page itself
    logout(request)
    return Verification(Outcome.LOCKED, lockout=lockout)


def _wrong(*, request: HttpRequest, user: User, what: str) -> Verification:
    _failed(request=request, user=user, what=what)
    locked = getattr(request, "axes_locked_out", False)
    if locked or throttling.is_locked(request=request, username=user.get_username()):
        return _locked_out(request=request, user=user)
    return Verification(Outcome.WRONG)


def _failed(*, request: HttpRequest, user: User, what: str) -> None:
    """A wrong code is a failed sign-in: axes counts it, the audit trail and the security log record it
    (through the same signal as a wrong password)."""
    user_login_failed.send(
        sender=__name__,
        credentials={"username": user.get_username(), "second_factor": what},
        request=request,
    )


def _verified(*, request: HttpRequest, device: TOTPDevice | StaticDevice) -> None:
    request.session.cycle_key()  # a new session key once the sign-in is complete
    otp_login(request, device)


# --- recovery codes -----------------------------------------------------------------------------


def regenerate_recovery_codes(*, request: HttpRequest, user: User) -> list[str]:
    """Ten new codes in place of the old ones (which stop working). For a verified session only."""
    if not is_verified(request=request) or not has_authenticator(user=user):
        raise PermissionError("Give your second factor before making new recovery codes.")
    with transaction.atomic():
        codes = _new_recovery_codes(user=user)
    record(user, Action.CHANGE, summary="Made new two-factor recovery codes", request=request)
    security.info("recovery codes regenerated", extra={"event": "otp_recovery_codes", "username": user.get_username()})
    return codes


def recovery_codes_left(*, user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def _new_recovery_codes(*, user: User) -> list[str]:
    # The device is kept (only its tokens change) so that a session verified with a recovery code
    # stays verified.
    device = StaticDevice.objects.filter(user=user).order_by("id").first()
    if device is None:
        device = StaticDevice.objects.create(user=user, name=RECOVERY_NAME, confirmed=True)
    StaticDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.token_set.all().delete()
    device.throttle_reset()
    codes = [_random_code() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=_recovery_hashes(c)[0]) for c in codes)
    return [f"{c[:4]}-{c[4:8]}-{c[8:]}" for c in codes]


_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"


def _random_code() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(RECOVERY_CODE_LENGTH))


def normalise_recovery_code(text: str) -> str:
    """What the user typed, without spaces, dashes or case: 'ABCD-efgh ijkl' is 'abcdefghijkl'."""
    code = "".join(ch for ch in text.lower() if ch.isalnum())
    return code if len(code) == RECOVERY_CODE_LENGTH and all(ch in _ALPHABET for ch in code) else ""


def _recovery_hashes(code: str) -> list[str]:
    """The stored form of a code: a keyed hash, 16 hex characters (otp_static's column width), under
    the current secret key first and then each fallback key, so rotating the key keeps codes working."""
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return [
        salted_hmac("needlechart.recovery-code", code, secret=key, algorithm="sha256").hexdigest()[:16] for key in keys
    ]


def _digits(text: str) -> str:
    """A 6-digit code as typed ('123 456' too); '' for anything else."""
    code = text.replace(" ", "").strip()
    return code if code.isdigit() else ""


# --- removing, and the clinic's setting ---------------------------------------------------------


def remove_two_factor(*, request: HttpRequest, actor: User, user: User) -> int:
    """A clinic admin's help for a lost phone: the user's authenticator and recovery codes are removed;
    at the next sign-in they enrol again (if the clinic requires it). Audited on the admin's name."""
    if not (actor.is_superuser or (actor.is_clinic_admin and actor.clinic_id == user.clinic_id)):
        raise PermissionError("Only a clinic admin of the user's clinic may do this.")
    with transaction.atomic():
        removed = TOTPDevice.objects.filter(user=user).delete()[0] + StaticDevice.objects.filter(user=user).delete()[0]
    record(
        actor,
        Action.CHANGE,
        user,
        summary=f"Removed two-factor sign-in of {user.get_username()}",
        request=request,
        clinic=user.clinic,
    )
    security.warning(
        "two-factor removed",
        extra={"event": "otp_removed", "username": user.get_username(), "by": actor.get_username()},
    )
    return removed


def set_clinic_requirement(*, request: HttpRequest, admin: User, required: bool) -> Clinic:
    """A clinic admin turns the requirement on or off for their own clinic."""
    if not admin.is_clinic_admin or admin.clinic_id is None:
        raise PermissionError("Only a clinic admin may change this.")
    clinic = Clinic.objects.get(pk=admin.clinic_id)
    if clinic.require_two_factor != required:
        clinic.require_two_factor = required
        clinic.save(update_fields=["require_two_factor"])
        record(
            admin,
            Action.CHANGE,
            clinic,
            summary=f"Two-factor sign-in {'required' if required else 'no longer required'} for all staff",
            request=request,
        )
        security.warning(
            "clinic two-factor setting changed",
            extra={"event": "clinic_2fa", "clinic": clinic.slug, "required": required, "by": admin.get_username()},
        )
    cache.delete(_requirement_key(clinic.pk))
    return clinic
