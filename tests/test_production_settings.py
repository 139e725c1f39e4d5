"""Production settings from the environment: the process refuses to start without a secret key or a
host list, `check --deploy` is clean under the settings the README documents, HTTPS and secure
cookies are on unless a loopback deployment switches them off, passwords are validated, and logs are
JSON lines. Each case starts a fresh Python, because settings are read once per process."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys

import pytest

PRODUCTION = {
    "NEEDLECHART_SECRET_KEY": "p" * 20 + "-production-test-key-" + "q" * 30,
    "NEEDLECHART_ALLOWED_HOSTS": "clinic.example.org",
    "DJANGO_SETTINGS_MODULE": "needlechart.config.settings",
}
# The test run's own environment (Playwright needs DJANGO_ALLOW_ASYNC_UNSAFE) is not a deployment's.
UNSET = (
    "NEEDLECHART_DEBUG",
    "NEEDLECHART_SECRET_KEY",
    "NEEDLECHART_ALLOWED_HOSTS",
    "NEEDLECHART_PLAIN_HTTP",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
)


def run(args: list[str], **env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in UNSET}
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, env={**base, **env}, timeout=120, check=False
    )


SETTINGS = (
    "import django, json; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({k: getattr(s, k, None) for k in ('DEBUG', 'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', "
    "'SECURE_SSL_REDIRECT', 'SECURE_HSTS_SECONDS', 'ALLOWED_HOSTS', 'SESSION_COOKIE_HTTPONLY')} | "
    "{'static': s.STORAGES['staticfiles']['BACKEND'], 'validators': len(s.AUTH_PASSWORD_VALIDATORS)}))"
)


def test_check_deploy_is_clean_under_the_documented_production_settings():
    result = run(["-m", "needlechart.cli", "manage", "check", "--deploy", "--fail-level", "WARNING"], **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_no_secret_key_refuses_to_start_with_one_line_naming_the_variable():
    env = {k: v for k, v in PRODUCTION.items() if k != "NEEDLECHART_SECRET_KEY"}
    result = run(["-c", "import django; django.setup()"], **env)
    assert result.returncode != 0
    last = result.stderr.strip().splitlines()[-1]
    assert "NEEDLECHART_SECRET_KEY is not set" in last and "NEEDLECHART_DEBUG=1" in last


def test_no_host_list_refuses_to_start_naming_the_variable():
    env = {k: v for k, v in PRODUCTION.items() if k != "NEEDLECHART_ALLOWED_HOSTS"}
    result = run(["-c", "import django; django.setup()"], **env)
    assert result.returncode != 0 and "NEEDLECHART_ALLOWED_HOSTS is not set" in result.stderr


def test_production_defaults_are_https_secure_cookies_hashed_static_and_password_rules():
    values = json.loads(run(["-c", SETTINGS], **PRODUCTION).stdout.splitlines()[-1])
    assert values["DEBUG"] is False and values["ALLOWED_HOSTS"] == ["clinic.example.org"]
    assert values["SESSION_COOKIE_SECURE"] and values["CSRF_COOKIE_SECURE"] and values["SESSION_COOKIE_HTTPONLY"]
    assert values["SECURE_SSL_REDIRECT"] and values["SECURE_HSTS_SECONDS"] >= 31536000
    assert values["static"] == "whitenoise.storage.CompressedManifestStaticFilesStorage"
    assert values["validators"] == 4


def test_a_loopback_deployment_switches_https_off():
    values = json.loads(run(["-c", SETTINGS], **PRODUCTION, NEEDLECHART_PLAIN_HTTP="1").stdout.splitlines()[-1])
    assert not values["SECURE_SSL_REDIRECT"] and values["SECURE_HSTS_SECONDS"] == 0
    assert not values["SESSION_COOKIE_SECURE"] and values["SESSION_COOKIE_HTTPONLY"]


def test_development_needs_no_key_and_serves_localhost_only():
    env = {"DJANGO_SETTINGS_MODULE": "needlechart.config.settings", "NEEDLECHART_DEBUG": "1"}
    values = json.loads(run(["-c", SETTINGS], **env).stdout.splitlines()[-1])
    assert values["DEBUG"] is True and values["ALLOWED_HOSTS"] == ["127.0.0.1", "localhost"]
    assert not values["SECURE_SSL_REDIRECT"]


@pytest.mark.django_db
def test_short_and_common_passwords_are_refused():
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    for weak in ("short", "password1234", "123456789012"):
        with pytest.raises(ValidationError):
            validate_password(weak)
    validate_password("needle-chart-Riverside-2026")


def test_log_records_are_json_lines_with_their_extra_fields():
    from needlechart.common.logs import JsonFormatter

    record = logging.LogRecord("needlechart.security", logging.WARNING, __file__, 1, "sign-in refused", (), None)
    record.username = "physio"
    line = json.loads(JsonFormatter().format(record))
    assert line["level"] == "WARNING" and line["logger"] == "needlechart.security"
    assert line["message"] == "sign-in refused" and line["username"] == "physio" and "time" in line
