"""Sign-ins, sign-outs and failed sign-ins go to the audit trail, and to the security log (JSON lines on
standard output in production) where an operator's monitoring sees them.

A wrong two-factor code is a failed sign-in too (two_factor.py sends the same signal, with the kind of
code in the credentials), so axes counts it and the trail shows it. A password sign-in that still owes
its second factor is recorded as such; the second factor's success is recorded by two_factor.py.
"""

import logging

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from needlechart.audit.models import Action
from needlechart.audit.services import client_address, record

from . import throttling, two_factor

security = logging.getLogger("needlechart.security")


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs):
    owed = request is not None and two_factor.second_factor_owed(user=user)
    summary = "Password accepted; second factor to follow" if owed else "Signed in"
    record(user, Action.LOGIN, summary=summary, request=request)
    security.info(
        "sign-in",
        extra={"event": "login", "username": user.get_username(), "ip": client_address(request), "second_factor": owed},
    )
    if request is not None and not owed:
        # The whole sign-in succeeded: this name's failures from this address are forgiven.
        throttling.forgive_failures(request=request, username=user.get_username())


@receiver(user_logged_out)
def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        record(user, Action.LOGOUT, summary="Signed out", request=request)
        security.info("sign-out", extra={"event": "logout", "username": user.get_username()})


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs):
    name = str(credentials.get("username", ""))[:150]
    second_factor = credentials.get("second_factor")
    if second_factor:
        summary, event = f"Wrong two-factor {second_factor} for '{name}'", "otp_failed"
    else:
        summary, event = f"Failed sign-in as '{name}'", "login_failed"
    # A wrong code comes from a session that passed the password: it is on that user's (and clinic's) trail.
    user = getattr(request, "user", None) if second_factor else None
    actor = user if user is not None and user.is_authenticated else None
    record(actor, Action.LOGIN_FAILED, summary=summary, request=request)
    security.warning("sign-in failed", extra={"event": event, "username": name, "ip": client_address(request)})
