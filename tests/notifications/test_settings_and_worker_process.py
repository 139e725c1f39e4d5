"""Email from the environment (each case a fresh Python, as settings are read once per process), and
the worker as production runs it: `needlechart manage db_worker` in a process of its own, configured
by the environment alone, delivering to a real SMTP server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from email.utils import parseaddr

from django.db import connection

from needlechart.notifications.models import Kind, Status
from needlechart.notifications.services import send_email

PRODUCTION = {
    "NEEDLECHART_SECRET_KEY": "p" * 20 + "-production-test-key-" + "q" * 30,
    "NEEDLECHART_ALLOWED_HOSTS": "clinic.example.org",
    "DJANGO_SETTINGS_MODULE": "needlechart.config.settings",
}
UNSET = (
    "NEEDLECHART_DEBUG",
    "NEEDLECHART_SECRET_KEY",
    "NEEDLECHART_ALLOWED_HOSTS",
    "NEEDLECHART_PLAIN_HTTP",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
)
EMAIL_SETTINGS = (
    "import django, json; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({k: getattr(s, k, None) "
    "for k in ('EMAIL_BACKEND', 'EMAIL_HOST', 'EMAIL_PORT', 'EMAIL_USE_TLS', 'EMAIL_USE_SSL', 'EMAIL_HOST_USER', "
    "'DEFAULT_FROM_EMAIL', 'TASKS')}))"
)


def _run(args: list[str], **env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in UNSET and not k.startswith("NEEDLECHART_EMAIL")}
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, env={**base, **env}, timeout=120, check=False
    )


def _settings(**env: str) -> dict:
    result = _run(["-c", EMAIL_SETTINGS], **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def test_smtp_from_the_environment_with_starttls_by_default():
    values = _settings(
        **PRODUCTION,
        NEEDLECHART_EMAIL_HOST="smtp.example.org",
        NEEDLECHART_EMAIL_USER="clinic",
        NEEDLECHART_EMAIL_PASSWORD="secret",
        NEEDLECHART_EMAIL_FROM="noreply@clinic.example.org",
    )
    assert values["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert (values["EMAIL_HOST"], values["EMAIL_PORT"], values["EMAIL_USE_TLS"], values["EMAIL_USE_SSL"]) == (
        "smtp.example.org",
        587,
        True,
        False,
    )
    assert values["EMAIL_HOST_USER"] == "clinic" and values["DEFAULT_FROM_EMAIL"] == "noreply@clinic.example.org"
    assert values["TASKS"]["default"]["BACKEND"] == "django_tasks_db.DatabaseBackend"
    implicit = _settings(
        **PRODUCTION,
        NEEDLECHART_EMAIL_HOST="smtp.example.org",
        NEEDLECHART_EMAIL_USE_SSL="1",
        NEEDLECHART_EMAIL_FROM="noreply@clinic.example.org",
    )
    assert (implicit["EMAIL_PORT"], implicit["EMAIL_USE_TLS"], implicit["EMAIL_USE_SSL"]) == (465, False, True)


def test_a_smtp_host_without_a_from_address_refuses_to_start_naming_the_variable():
    result = _run(["-c", "import django; django.setup()"], **PRODUCTION, NEEDLECHART_EMAIL_HOST="smtp.example.org")
    assert result.returncode != 0 and "NEEDLECHART_EMAIL_FROM is not set" in result.stderr


def test_without_a_smtp_host_the_console_in_development_and_a_refusing_backend_in_production():
    assert _settings(**PRODUCTION)["EMAIL_BACKEND"] == "needlechart.notifications.backends.NotConfiguredBackend"
    development = {k: v for k, v in PRODUCTION.items() if k != "NEEDLECHART_SECRET_KEY"}
    assert _settings(**development, NEEDLECHART_DEBUG="1")["EMAIL_BACKEND"] == (
        "django.core.mail.backends.console.EmailBackend"
    )


def test_check_deploy_is_clean_with_email_configured():
    result = _run(
        ["-m", "needlechart.cli", "manage", "check", "--deploy", "--fail-level", "WARNING"],
        **PRODUCTION,
        NEEDLECHART_EMAIL_HOST="smtp.example.org",
        NEEDLECHART_EMAIL_FROM="noreply@clinic.example.org",
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _database_environment() -> dict[str, str]:
    """The test database, as the worker process's environment names it."""
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        return {
            "NEEDLECHART_DB": "postgres",
            "NEEDLECHART_PG_NAME": db["NAME"],
            "NEEDLECHART_PG_HOST": db["HOST"] or "127.0.0.1",
            "NEEDLECHART_PG_PORT": str(db["PORT"] or "5432"),
            "NEEDLECHART_PG_USER": db["USER"],
            "NEEDLECHART_PG_PASSWORD": db["PASSWORD"] or "",
        }
    return {"NEEDLECHART_DB": "sqlite", "NEEDLECHART_SQLITE_PATH": str(db["NAME"])}


def test_the_worker_process_delivers_with_settings_from_the_environment_alone(world, smtp_server, transactional_db):
    email = send_email(
        clinic=world.clinic,
        patient=world.patient,
        to="ada@example.org",
        subject="Check-in",
        text="How are you?",
        kind=Kind.CHECK_IN,
    )
    result = _run(
        ["-m", "needlechart.cli", "manage", "db_worker", "--batch", "--no-startup-delay", "--no-reload"],
        **PRODUCTION,
        **_database_environment(),
        NEEDLECHART_PLAIN_HTTP="1",
        NEEDLECHART_EMAIL_HOST=smtp_server.host,
        NEEDLECHART_EMAIL_PORT=str(smtp_server.port),
        NEEDLECHART_EMAIL_USE_TLS="0",
        NEEDLECHART_EMAIL_FROM="noreply@clinic.example.org",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    [message] = smtp_server.messages
    assert parseaddr(message["From"]) == ("Riverside Clinic", "noreply@clinic.example.org")
    email.refresh_from_db()
    assert (email.status, email.attempts) == (Status.SENT, 1)
