"""Django settings for NeedleChart.

Defaults suit a clinician's laptop with NEEDLECHART_DEBUG=1 (`make run` sets it). With DEBUG off the
defaults are a production's: a secret key is required, cookies are secure, HTTPS is enforced with HSTS,
and only the hosts named may be served. Everything a deployment changes comes from the environment:

- NEEDLECHART_DEBUG=1                   development mode (never in production)
- NEEDLECHART_SECRET_KEY                required when DEBUG is off: a long random value
- NEEDLECHART_ALLOWED_HOSTS             comma-separated host names (required when DEBUG is off)
- NEEDLECHART_PLAIN_HTTP=1              a plain-HTTP deployment on the loopback only: no HTTPS redirect,
                                        no HSTS, cookies without the Secure flag
- NEEDLECHART_HSTS_SECONDS              HSTS max-age (default one year)
- NEEDLECHART_TRUSTED_PROXIES           comma-separated addresses of the reverse proxies whose
                                        X-Forwarded-For and X-Forwarded-Proto are believed
- NEEDLECHART_DB=postgres               PostgreSQL (NEEDLECHART_PG_HOST/PORT/USER/PASSWORD/NAME)
- NEEDLECHART_PG_OWNER(_PASSWORD)       the role that owns the schema (migrations run as it); then
                                        NEEDLECHART_PG_USER is the application role: rows only
- NEEDLECHART_ID_KEY                    the key of the opaque ids in addresses (default: from the secret key)
- NEEDLECHART_SQLITE_PATH               where the SQLite file lives (default: db.sqlite3 in the project)
- NEEDLECHART_LOG_LEVEL                 INFO by default; logs are JSON lines on standard output
- NEEDLECHART_EMAIL_HOST                the SMTP server (then NEEDLECHART_EMAIL_PORT/USER/PASSWORD/USE_TLS/
                                        USE_SSL/TIMEOUT and NEEDLECHART_EMAIL_FROM); unset: the console in
                                        development, and mail refused as "not set up" in production
- NEEDLECHART_PUBLIC_URL                the site's address for links in emails sent by the worker (reminders,
                                        check-ins), e.g. https://clinic.example.org
- NEEDLECHART_LICENSED_TEXT_DIR         the clinic's licensed questionnaire text (NDI, ODI, QuickDASH,
                                        LEFS): one <instrument>.yaml each (README, "Licensed
                                        questionnaire text"); unset: those are not offered in the portal
- NEEDLECHART_EMERGENCY_NUMBER          the emergency number the portal's urgent screens call (unset:
                                        they name 911, 999 and 112)
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
PROJECT_DIR = BASE_DIR.parent


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def _list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = _flag("NEEDLECHART_DEBUG")
SECRET_KEY = os.environ.get("NEEDLECHART_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "NEEDLECHART_SECRET_KEY is not set: set it to a long random value "
            "(python -c 'import secrets; print(secrets.token_urlsafe(50))'), or NEEDLECHART_DEBUG=1 for development."
        )
    SECRET_KEY = "needlechart-development-only-not-for-deployment"  # DEBUG only: never served in production

# The key of the opaque ids in URLs and the API (needlechart/common/opaque.py). Set it explicitly
# before ever rotating the secret key: every address and API id is derived from it.
NEEDLECHART_ID_KEY = os.environ.get("NEEDLECHART_ID_KEY") or f"ids:{SECRET_KEY}"

# The patient portal: the clinic's licensed questionnaire text (needlechart/portal/questionnaires.py)
# and the emergency number its urgent screens call.
NEEDLECHART_LICENSED_TEXT_DIR = os.environ.get("NEEDLECHART_LICENSED_TEXT_DIR", "")
NEEDLECHART_EMERGENCY_NUMBER = os.environ.get("NEEDLECHART_EMERGENCY_NUMBER", "")

ALLOWED_HOSTS = _list("NEEDLECHART_ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured(
        "NEEDLECHART_ALLOWED_HOSTS is not set: list the host names NeedleChart is served as (e.g. clinic.example.org)."
    )
TRUSTED_PROXIES = _list("NEEDLECHART_TRUSTED_PROXIES")

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
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_tasks",
    "django_tasks_db",
    "needlechart.common",
    "needlechart.accounts",
    "needlechart.audit",
    "needlechart.patients",
    "needlechart.charting",
    "needlechart.outcomes",
    "needlechart.reports",
    "needlechart.dashboard",
    "needlechart.explorer",
    "needlechart.learn",
    "needlechart.portal",
    "needlechart.selfcheck",
    "needlechart.demo",
    "needlechart.notifications",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Static files with hashed names, served by the application itself under gunicorn.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "needlechart.accounts.middleware.SessionActivityMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Marks sessions that gave their second factor; then nothing but the sign-in pages works for a
    # session that still owes one (pages and the API alike).
    "django_otp.middleware.OTPMiddleware",
    "needlechart.accounts.middleware.TwoFactorMiddleware",
    "needlechart.accounts.middleware.ClinicTimeZoneMiddleware",
    # A patient's portal session opens the portal and the public pages only (needlechart/portal/access.py).
    "needlechart.portal.access.PortalBoundaryMiddleware",
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
            "builtins": ["needlechart.common.templatetags.opaque_ids"],
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
            # The application role: rows only. The owner (migrations, flush, backup, restore) is
            # separate in production; see needlechart/common/dbroles.py.
            "USER": os.environ.get("NEEDLECHART_PG_USER", "postgres"),
            "PASSWORD": os.environ.get("NEEDLECHART_PG_PASSWORD", ""),
            "NEEDLECHART_OWNER": {
                "USER": os.environ.get("NEEDLECHART_PG_OWNER", ""),
                "PASSWORD": os.environ.get("NEEDLECHART_PG_OWNER_PASSWORD", ""),
            },
            "NAME": os.environ.get("NEEDLECHART_PG_NAME", "needlechart"),
            # Reuse connections between requests: connecting costs more than most page queries.
            "CONN_MAX_AGE": int(os.environ.get("NEEDLECHART_DB_CONN_MAX_AGE", "60")),
            "CONN_HEALTH_CHECKS": True,
            # The pages' fixed-shape queries (needlechart.common.compiled) run as statements prepared
            # on the connection, so PostgreSQL plans each once per connection, not on every request.
            # Django's own queries bind on the client and are never prepared. NEEDLECHART_PG_PREPARE=0
            # turns it off (a pooler in transaction mode that does not keep prepared statements).
            "OPTIONS": {
                "prepare_threshold": 1 if os.environ.get("NEEDLECHART_PG_PREPARE", "1") != "0" else None,
            },
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
    "needlechart.accounts.backends.StaffBackend",  # clinic staff (Django's model backend, patients refused)
    "needlechart.portal.backends.PortalBackend",  # patients, by email address, through the portal only
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "patients:list"
LOGOUT_REDIRECT_URL = "accounts:login"

# Sign-in throttling (needlechart/accounts/throttling.py): five failures for one user name from one
# address lock that name there for 15 minutes, and twenty failures from one address, whatever the
# names, lock the address (credential stuffing). Wrong two-factor codes count as failures too.
AXES_FAILURE_LIMIT = 5
AXES_ADDRESS_FAILURE_LIMIT = 20  # read by needlechart.accounts.throttling, not by axes itself
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_HANDLER = "needlechart.accounts.throttling.AddressAwareHandler"
# The lock-out page (429) says when to try again, in the clinic's time.
AXES_LOCKOUT_CALLABLE = "needlechart.accounts.throttling.lockout_response"
# Failures are forgiven only when the whole sign-in succeeded, second factor included (not at the
# password step, which would let the second factor be guessed without end).
AXES_RESET_ON_SUCCESS = False
# Tries during a lock-out do not extend it, so the time the page names holds.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "code"]
# The same client address as the audit trail: the connection's, or a trusted proxy's report of it.
AXES_CLIENT_IP_CALLABLE = "needlechart.audit.services.client_address"

# Two-factor sign-in (needlechart/accounts/two_factor.py): the name authenticator apps show.
OTP_TOTP_ISSUER = "NeedleChart"

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
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Hashed, compressed names in production (collectstatic writes them); plain files in development.
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# In development WhiteNoise reads the source folders and picks up changes; in production it serves
# what collectstatic wrote.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SECURE_REFERRER_POLICY = "same-origin"
# Production: HTTPS only. A plain-HTTP deployment (NEEDLECHART_PLAIN_HTTP=1) must listen on the
# loopback only, behind nothing but the machine itself.
_HTTPS = not DEBUG and not _flag("NEEDLECHART_PLAIN_HTTP")
SESSION_COOKIE_SECURE = _HTTPS
CSRF_COOKIE_SECURE = _HTTPS
SECURE_SSL_REDIRECT = _HTTPS
SECURE_HSTS_SECONDS = int(os.environ.get("NEEDLECHART_HSTS_SECONDS", str(365 * 24 * 3600))) if _HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = _HTTPS
SECURE_HSTS_PRELOAD = _HTTPS
if TRUSTED_PROXIES:
    # Behind a TLS-terminating proxy: its X-Forwarded-Proto says whether the client used HTTPS (the
    # proxy must overwrite the header; see the README's "Running in production").
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Errors and security events as JSON lines on standard output (the process manager keeps them).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "needlechart.common.logs.JsonFormatter"}},
    "handlers": {"stdout": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout", "formatter": "json"}},
    "root": {"handlers": ["stdout"], "level": os.environ.get("NEEDLECHART_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.request": {"handlers": ["stdout"], "level": "WARNING", "propagate": False},
        "django.security": {"handlers": ["stdout"], "level": "INFO", "propagate": False},
        "axes": {"handlers": ["stdout"], "level": "INFO", "propagate": False},
        "needlechart.security": {"handlers": ["stdout"], "level": "INFO", "propagate": False},
    },
}

# Email and background jobs (needlechart.notifications). Jobs are rows in the database, run by
# `needlechart manage db_worker` (django-tasks with its database backend): no server beside the
# database, several workers on PostgreSQL. Mail goes out by SMTP when NEEDLECHART_EMAIL_HOST is set;
# otherwise to the console in development, and in production every message is marked failed with the
# variable to set (never silently dropped).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
EMAIL_HOST = os.environ.get("NEEDLECHART_EMAIL_HOST", "").strip()
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_USE_SSL = _flag("NEEDLECHART_EMAIL_USE_SSL")  # implicit TLS (port 465)
    # STARTTLS unless switched off (NEEDLECHART_EMAIL_USE_TLS=0) or implicit TLS is used.
    EMAIL_USE_TLS = not EMAIL_USE_SSL and os.environ.get("NEEDLECHART_EMAIL_USE_TLS", "1").strip().lower() not in (
        "0",
        "false",
        "no",
        "off",
    )
    EMAIL_PORT = int(os.environ.get("NEEDLECHART_EMAIL_PORT") or (465 if EMAIL_USE_SSL else 587))
    EMAIL_HOST_USER = os.environ.get("NEEDLECHART_EMAIL_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("NEEDLECHART_EMAIL_PASSWORD", "")
    EMAIL_TIMEOUT = int(os.environ.get("NEEDLECHART_EMAIL_TIMEOUT", "20"))
elif DEBUG:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
else:
    EMAIL_BACKEND = "needlechart.notifications.backends.NotConfiguredBackend"
DEFAULT_FROM_EMAIL = os.environ.get("NEEDLECHART_EMAIL_FROM", "").strip()
if not DEFAULT_FROM_EMAIL:
    if EMAIL_HOST and not DEBUG:
        raise ImproperlyConfigured(
            "NEEDLECHART_EMAIL_FROM is not set: set it to the address mail is sent from (e.g. "
            "noreply@clinic.example.org); each clinic's name is shown beside it and replies go to the clinic."
        )
    DEFAULT_FROM_EMAIL = "noreply@localhost"
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The address the site is served at, for links in emails sent by background work (no request to
# take the host from): https://clinic.example.org. Unset in development: the local server.
PUBLIC_BASE_URL = os.environ.get("NEEDLECHART_PUBLIC_URL", "").strip().rstrip("/") or (
    "http://127.0.0.1:8000" if DEBUG else ""
)

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
