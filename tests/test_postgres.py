"""NeedleChart on PostgreSQL: the schema migrates and the pages serve.

Runs against the local server (127.0.0.1:5432, user postgres, trust auth). Where none is reachable
the test is skipped, except under CI (CI=true), where a missing PostgreSQL is a failure.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import pytest

pytestmark = pytest.mark.postgres

PG = {"host": os.environ.get("NEEDLECHART_PG_HOST", "127.0.0.1"), "port": os.environ.get("NEEDLECHART_PG_PORT", "5432")}


def _admin_connection():
    import psycopg

    return psycopg.connect(
        host=PG["host"], port=PG["port"], user="postgres", dbname="postgres", autocommit=True, connect_timeout=3
    )


@pytest.fixture
def pg_database():
    try:
        admin = _admin_connection()
    except Exception as exc:  # noqa: BLE001 - any connection failure means "no server here"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but PostgreSQL is not reachable at {PG['host']}:{PG['port']}: {exc}")
        pytest.skip(f"PostgreSQL not reachable: {exc}")
    name = f"needlechart_test_{uuid.uuid4().hex[:10]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


APPLICATION_ROLE = "needlechart_app_probe"


def test_migrates_and_serves_on_postgresql(pg_database):
    """As documented for production: migrations run as the owner, the pages as the application role
    (created by migrate, renewed by `app_role`), which owns nothing and is no superuser."""
    env = {
        **os.environ,
        "NEEDLECHART_DB": "postgres",
        "NEEDLECHART_PG_NAME": pg_database,
        "NEEDLECHART_PG_HOST": PG["host"],
        "NEEDLECHART_PG_PORT": PG["port"],
        "NEEDLECHART_PG_USER": APPLICATION_ROLE,
        "NEEDLECHART_PG_OWNER": "postgres",
    }
    migrate = subprocess.run(
        [sys.executable, "-m", "needlechart.cli", "manage", "migrate", "--noinput"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert migrate.returncode == 0, migrate.stderr
    renew = subprocess.run(
        [sys.executable, "-m", "needlechart.cli", "manage", "app_role"], env=env, capture_output=True, text=True
    )
    assert renew.returncode == 0, renew.stderr
    assert "rows only" in renew.stdout
    probe = (
        "import django; django.setup();"
        "from django.db import connection; from django.test import Client;"
        "assert connection.vendor == 'postgresql', connection.vendor;"
        "r = Client().get('/?pain=heel:left'); assert r.status_code == 200 and b'Soleus' in r.content;"
        "from django.contrib.auth import get_user_model; User = get_user_model();"
        "User.objects.create_user('probe', password='x');"
        "cursor = connection.cursor();"
        "cursor.execute('SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user');"
        "print(*cursor.fetchone());"
        "print(User.objects.count(), connection.settings_dict['NAME'])"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        env={**env, "DJANGO_SETTINGS_MODULE": "tests.settings"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-2].split() == [APPLICATION_ROLE, "False"]
    assert result.stdout.splitlines()[-1].split() == ["1", pg_database]  # after the JSON log lines


def test_app_role_refuses_without_an_owner(pg_database):
    env = {
        **os.environ,
        "NEEDLECHART_DB": "postgres",
        "NEEDLECHART_PG_NAME": pg_database,
        "NEEDLECHART_PG_USER": "postgres",
    }
    env.pop("NEEDLECHART_PG_OWNER", None)
    result = subprocess.run(
        [sys.executable, "-m", "needlechart.cli", "manage", "app_role"], env=env, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "NEEDLECHART_PG_OWNER is not set" in result.stderr
    assert "Traceback" not in result.stderr
