"""Sign-ins, sign-outs and failed sign-ins go to the audit trail."""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from needlechart.audit.models import Action
from needlechart.audit.services import record


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs):
    record(user, Action.LOGIN, summary="Signed in", request=request)


@receiver(user_logged_out)
def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        record(user, Action.LOGOUT, summary="Signed out", request=request)


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs):
    name = str(credentials.get("username", ""))[:150]
    record(None, Action.LOGIN_FAILED, summary=f"Failed sign-in as '{name}'", request=request)
