"""The portal's sign-in: a patient's email address and password.

`authenticate(request, username=email, password=..., portal=True)` reaches this backend only (the
staff backend ignores portal sign-ins, and this one ignores staff sign-ins), so django-axes counts
and locks patients' failures per typed address and client address exactly as it does staff's, and
the audit trail records them the same way (accounts/signals.py).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend

from needlechart.accounts.models import User

from .models import PortalAccount


class PortalBackend(ModelBackend):
    def authenticate(  # type: ignore[override]
        self,
        request: Any,
        username: str | None = None,
        password: str | None = None,
        portal: bool = False,
        **kwargs: Any,
    ) -> User | None:
        if not portal or not username or password is None:
            return None
        accounts = PortalAccount.objects.select_related("user").filter(
            email__iexact=username.strip(), disabled_at=None, activated_at__isnull=False
        )
        found = None
        for account in accounts:  # one address may have an account at more than one clinic
            if account.user.check_password(password) and self.user_can_authenticate(account.user):
                found = account.user
                break
        if found is None:
            User().set_password(password)  # the same work as a real check: timing tells nothing
        return found
