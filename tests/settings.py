"""Settings for the test run: production settings (DEBUG off), with what a test server needs.

The environment is set before the settings are read, so subprocesses started by tests (the CLI, the
PostgreSQL migration check) inherit it too.
"""

import os

os.environ.setdefault("NEEDLECHART_SECRET_KEY", "tests-only-secret-key-never-used-outside-the-test-run-0123456789")
os.environ.setdefault("NEEDLECHART_ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault("NEEDLECHART_PLAIN_HTTP", "1")  # the test client and the live server speak HTTP

from needlechart.config.settings import *  # noqa: E402,F403

# Served from the source folders (no collectstatic in a test run).
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# A fast hasher for the whole run: Argon2 (production's) costs about a second per user created under
# load. Where a test is about the production hash it sets the production list itself
# (tests/accounts/test_sign_in.py, `production_hashers`).
PRODUCTION_PASSWORD_HASHERS = PASSWORD_HASHERS  # noqa: F405
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Mail stays in django.core.mail.outbox unless a test points it at a real SMTP server
# (the smtp_server fixture, tests/mail_fixtures.py).
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
