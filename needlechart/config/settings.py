"""Django settings for NeedleChart.

Defaults suit a clinician's laptop: SQLite next to the code, DEBUG off unless asked for. Everything a
deployment changes comes from the environment:

- NEEDLECHART_DEBUG=1                   development mode
- NEEDLECHART_SECRET_KEY                required when DEBUG is off outside tests and `make run`
- NEEDLECHART_DB=postgres               PostgreSQL (NEEDLECHART_PG_HOST/PORT/USER/PASSWORD/NAME)
- NEEDLECHART_SQLITE_PATH               where the SQLite file lives (default: db.sqlite3 in the project)
- NEEDLECHART_ALLOWED_HOSTS             comma-separated host names
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
PROJECT_DIR = BASE_DIR.parent

DEBUG = os.environ.get("NEEDLECHART_DEBUG", "") == "1"
# The fallback key is only for local runs and tests; a deployment sets its own.
SECRET_KEY = os.environ.get("NEEDLECHART_SECRET_KEY", "needlechart-local-only-not-for-deployment")
ALLOWED_HOSTS = [
    h for h in os.environ.get("NEEDLECHART_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "ninja",
    "csp",
    "axes",
    "needlechart.common",
    "needlechart.accounts",
    "needlechart.audit",
    "needlechart.patients",
    "needlechart.charting",
    "needlechart.explorer",
    "needlechart.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "needlechart.accounts.middleware.SessionActivityMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes requires: it turns away locked-out sign-ins.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "needlechart.config.urls"
WSGI_APPLICATION = "needlechart.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

if os.environ.get("NEEDLECHART_DB", "sqlite") == "postgres":
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "HOST": os.environ.get("NEEDLECHART_PG_HOST", "127.0.0.1"),
            "PORT": os.environ.get("NEEDLECHART_PG_PORT", "5432"),
            "USER": os.environ.get("NEEDLECHART_PG_USER", "postgres"),
            "PASSWORD": os.environ.get("NEEDLECHART_PG_PASSWORD", ""),
            "NAME": os.environ.get("NEEDLECHART_PG_NAME", "needlechart"),
            # Reuse connections between requests: connecting costs more than most page queries.
            "CONN_MAX_AGE": int(os.environ.get("NEEDLECHART_DB_CONN_MAX_AGE", "60")),
            "CONN_HEALTH_CHECKS": True,
        }
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("NEEDLECHART_SQLITE_PATH", str(PROJECT_DIR / "db.sqlite3")),
            # Wait for a writer instead of failing at once (the page's autosave and a reload can meet).
            "OPTIONS": {"timeout": 20},
            # Tests use a file too: an in-memory database shared between the live server's threads
            # refuses a second writer at once ("table is locked") where a file waits for the first.
            # One file per test run, so two runs side by side never share it.
            "TEST": {
                "NAME": os.environ.get("NEEDLECHART_TEST_SQLITE_PATH")
                or os.path.join(tempfile.gettempdir(), f"needlechart-test-{os.getpid()}.sqlite3")
            },
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses locked-out accounts before checking passwords
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "patients:list"
LOGOUT_REDIRECT_URL = "accounts:login"

# Sign-in throttling: five failures for one user name from one address lock it for 15 minutes.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"

# Sessions end after 30 minutes without activity: SessionActivityMiddleware renews the clock at most
# once a minute (see needlechart/accounts/middleware.py).
SESSION_COOKIE_AGE = int(os.environ.get("NEEDLECHART_SESSION_MINUTES", "30")) * 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = PROJECT_DIR / "staticfiles"

SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

# Content-Security-Policy: scripts and styles only from NeedleChart itself; no inline script, no
# third-party origin. htmx's own indicator styles are switched off in the page's htmx-config.
from csp.constants import NONE, SELF  # noqa: E402

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
