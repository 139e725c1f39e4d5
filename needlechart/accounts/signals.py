"""Sign-ins, sign-outs and failed sign-ins go to the audit trail, and to the security log (JSON lines on
standard output in production) where an operator's monitoring sees them."""

import logging

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from needlechart.audit.models import Action
from needlechart.audit.services import client_address, record

security = logging.getLogger("needlechart.security")


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs):
    record(user, Action.LOGIN, summary="Signed in", request=request)
    security.info("sign-in", extra={"event": "login", "username": user.get_username(), "ip": client_address(request)})


@receiver(user_logged_out)
def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        record(user, Action.LOGOUT, summary="Signed out", request=request)
        security.info("sign-out", extra={"event": "logout", "username": user.get_username()})


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs):
    name = str(credentials.get("username", ""))[:150]
    record(None, Action.LOGIN_FAILED, summary=f"Failed sign-in as '{name}'", request=request)
    security.warning("sign-in failed", extra={"event": "login_failed", "username": name, "ip": client_address(request)})
