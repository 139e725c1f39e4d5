"""Single-use, expiring links: made, looked up and claimed. Only the token's hash is stored."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from .models import LinkPurpose, PortalAccount, PortalLink

LIFETIME = {
    LinkPurpose.INVITATION: timedelta(days=7),
    LinkPurpose.SIGN_IN: timedelta(minutes=15),
}
TOKEN_BYTES = 32  # 43 URL-safe characters
MAX_TOKEN_LENGTH = 64  # anything longer is not one of ours: refused before hashing


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue(*, account: PortalAccount, purpose: str) -> str:
    """A new link for `account`; earlier unused links of the same purpose stop working (only the
    newest invitation or sign-in link in the patient's inbox opens anything). Returns the token."""
    now = timezone.now()
    PortalLink.objects.filter(account=account, purpose=purpose, used_at=None, revoked_at=None).update(revoked_at=now)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    PortalLink.objects.create(
        account=account, purpose=purpose, token_hash=digest(token), expires_at=now + LIFETIME[LinkPurpose(purpose)]
    )
    return token


@dataclass(frozen=True)
class Problem:
    """Why a link opens nothing, in words for the patient."""

    code: str
    message: str


UNKNOWN = Problem("unknown", "This link is not valid. Check that you opened the whole link from the email.")
USED = Problem("used", "This link has already been used. Each link works once.")
REPLACED = Problem("replaced", "A newer link has been sent since this one. Please use the newest email.")
EXPIRED = Problem("expired", "This link has expired.")
DISABLED = Problem("disabled", "Portal access for this account has been turned off by the clinic.")


def find(*, token: str, purpose: str) -> PortalLink | Problem:
    """The usable link behind `token`, or why it cannot be used. Claims nothing."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return UNKNOWN
    link = (
        PortalLink.objects.select_related("account__user", "account__clinic", "account__patient")
        .filter(token_hash=digest(token), purpose=purpose)
        .first()
    )
    if link is None:
        return UNKNOWN
    if link.used_at is not None:
        return USED
    if link.revoked_at is not None:
        return REPLACED
    if link.expires_at <= timezone.now():
        return EXPIRED
    if link.account.disabled_at is not None:
        return DISABLED
    return link


def claim(*, link: PortalLink) -> bool:
    """Mark the link used, exactly once: of two clicks (two tabs, a double submit) only one claims it."""
    now = timezone.now()
    claimed = PortalLink.objects.filter(pk=link.pk, used_at=None, revoked_at=None, expires_at__gt=now).update(
        used_at=now
    )
    return claimed == 1
