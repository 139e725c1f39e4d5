"""The email backend of a production server whose SMTP relay is not configured.

Sending raises, so the message is marked failed with the reason on the clinic's sent-mail page
instead of vanishing (Django's default would try an SMTP server on localhost:25)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.mail.backends.base import BaseEmailBackend


class EmailNotConfigured(Exception):
    pass


class NotConfiguredBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Sequence[Any]) -> int:
        raise EmailNotConfigured(
            "Email is not set up on this server: set NEEDLECHART_EMAIL_HOST and NEEDLECHART_EMAIL_FROM "
            "(README, Running in production), then send again."
        )
