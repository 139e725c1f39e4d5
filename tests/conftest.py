"""Shared fixtures: the real knowledge base, and Debian's Chromium for the browser tests.

Browser tests run in real Chromium through Playwright. Under CI (CI=true) a missing Chromium is a
failure, not a skip: the suite must prove the pages work.
"""

from __future__ import annotations

import os
import shutil

import pytest

# Real SMTP (aiosmtpd) and the real queue worker, for every test that sends mail.
pytest_plugins = ["tests.mail_fixtures"]

# Playwright's sync API runs an event loop in the main thread; Django's ORM refuses to run inside
# one unless told it is safe. Test process only.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
IN_CI = os.environ.get("CI", "").lower() == "true"


@pytest.fixture(scope="session")
def kb():
    from needlechart.knowledge import load

    return load()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Drive Debian's Chromium instead of a browser downloaded by `playwright install`."""
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


def pytest_collection_modifyitems(config, items):
    if os.path.exists(CHROMIUM):
        return
    if IN_CI:
        raise pytest.UsageError(f"CI=true but Chromium is missing at {CHROMIUM}: apt-get install -y chromium")
    skip = pytest.mark.skip(reason=f"{CHROMIUM} missing: apt-get install -y chromium")
    for item in items:
        if "page" in getattr(item, "fixturenames", ()):
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache: a value cached by one test (a clinic's time zone under
    a reused id) must never answer in the next."""
    from django.core.cache import cache

    cache.clear()
    yield


# On PostgreSQL the suite runs as the application role, as production does: the test database is
# created and migrated by the owner (the configured user), then every test connects as a role that
# can only read and write rows. Flush (between transactional tests) and teardown go back to the owner.
# Under pytest-xdist each worker has its own test database (pytest-django adds `_gw0`, `_gw1`) and
# its own role with the same suffix: roles are cluster-wide, so two workers creating one role at
# once would collide (a unique violation), and neither worker's grants or teardown touch the other's.
TEST_APPLICATION_ROLE = os.environ.get("NEEDLECHART_TEST_APP_ROLE", "needlechart_app_test")


def _application_role() -> str:
    """This process's application role: the configured name, suffixed with the xdist worker's id."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    return f"{TEST_APPLICATION_ROLE}_{worker}" if worker else TEST_APPLICATION_ROLE


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    from django.db import connections

    from needlechart.common import dbroles

    connection = connections["default"]
    if connection.vendor != "postgresql":
        yield
        return
    settings_dict = connection.settings_dict
    saved = {key: settings_dict.get(key) for key in ("USER", "PASSWORD", dbroles.OWNER_KEY)}
    role = _application_role()
    with django_db_blocker.unblock():
        dbroles.ensure_application_role(connection, role=role)
    connection.close()
    settings_dict[dbroles.OWNER_KEY] = {"USER": saved["USER"], "PASSWORD": saved["PASSWORD"] or ""}
    settings_dict.update(USER=role, PASSWORD="")
    try:
        yield
    finally:
        connection.close()
        settings_dict.update(saved)
