"""Deployment settings: the only module that reads environment variables.

Every variable read here is documented in docs/operations/configuration.md; a test fails when one
is missing there. Council settings live in the database and service templates in YAML, never here.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent


def _env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


VAR_DIR = Path(_env("TOWNSQUARE_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    """Use SECRET_KEY when set; otherwise generate one once and keep it under var/."""
    configured = _env("SECRET_KEY")
    if configured:
        return configured
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        # O_EXCL: two processes starting together must not write two different keys.
        try:
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(50))
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
# Earlier keys, comma-separated, while SECRET_KEY is rotated: sessions, signed links and sealed
# secrets made with them still open (docs/operations/production.md, ADR 96).
SECRET_KEY_FALLBACKS = [k.strip() for k in _env("SECRET_KEY_FALLBACKS").split(",") if k.strip()]
DEBUG = _env_bool("DEBUG", False)
ALLOWED_HOSTS = [h.strip() for h in _env("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o.strip() for o in _env("CSRF_TRUSTED_ORIGINS").split(",") if o.strip()]


def _proxy_ssl_header(value: str) -> tuple[str, str] | None:
    """ "X-Forwarded-Proto,https" -> ("HTTP_X_FORWARDED_PROTO", "https"); empty -> None.

    Only a reverse proxy that sets this header itself (dropping any the client sent) may be
    trusted with it: otherwise any client could claim HTTPS."""
    if not value.strip():
        return None
    header, _, secure_value = value.partition(",")
    header, secure_value = header.strip(), secure_value.strip()
    if not header or not secure_value:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(
            f"SECURE_PROXY_SSL_HEADER must be 'Header-Name,value', e.g. "
            f"'X-Forwarded-Proto,https'; got {value!r}"
        )
    meta = header.upper().replace("-", "_")
    return (meta if meta.startswith("HTTP_") else f"HTTP_{meta}", secure_value)


# Off unless configured: the scheme a request claims in a forwarded header is trusted only from
# the reverse proxy named here (docs/operations/configuration.md).
SECURE_PROXY_SSL_HEADER = _proxy_ssl_header(_env("SECURE_PROXY_SSL_HEADER"))
# Off unless configured: the header in which our own reverse proxies pass on the client's
# address (X-Forwarded-For, Forwarded or X-Real-IP), and how many of them stand in front of the
# server; core.ratelimit.client_address reads it (ADR 143).
TRUSTED_PROXY_HEADER = _env("TRUSTED_PROXY_HEADER").strip()
TRUSTED_PROXY_COUNT = int(_env("TRUSTED_PROXY_COUNT", "1"))

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_tasks",
    "django_tasks_db",
    # django-ninja's templates and Swagger UI files, so the REST API's reference page is
    # served from here rather than from a CDN.
    "ninja",
    "townsquare.core",
    "townsquare.accounts",
    "townsquare.geo",
    "townsquare.councils",
    "townsquare.catalogue",
    "townsquare.cases",
    "townsquare.payments",
    "townsquare.appointments",
    "townsquare.neighbourhoods",
    "townsquare.consultations",
    "townsquare.wiki",
    "townsquare.messaging",
    "townsquare.ui",
    "townsquare.portal",
    "townsquare.staff",
    "townsquare.live",
    "townsquare.open311",
    "townsquare.api",
    "townsquare.insights",
    "townsquare.opendata",
    "townsquare.triage",
    "townsquare.demo",
    "townsquare.cli",
]

MIDDLEWARE = [
    # The first three put their headers on every response, static files (WhiteNoise) included:
    # the Content-Security-Policy, Permissions-Policy and Server header (ADR 146); HSTS, the
    # HTTPS redirect, nosniff and the Referrer-Policy; and X-Frame-Options.
    "townsquare.ui.security_headers.SecurityHeaders",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # After a write, that person's reads come from the primary, not a replica (ADR 231).
    "townsquare.ui.middleware.ReadYourWrites",
    "django.middleware.locale.LocaleMiddleware",
    "townsquare.ui.middleware.EnglishOnlyInterfaces",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "townsquare.portal.middleware.PublicWriteLimits",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
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

DATABASE_URL = _env("DATABASE_URL", f"sqlite:///{VAR_DIR / 'townsquare.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Django's backend plus an OS lock that queues writers without sleeping (see its docstring).
    DATABASES["default"]["ENGINE"] = "townsquare.core.sqlite"
    # Keep connections (one per server thread): a new one starts with a cold page cache.
    DATABASES["default"]["CONN_MAX_AGE"] = 600
    DATABASES["default"]["OPTIONS"] = {
        # IMMEDIATE takes the write lock when a transaction starts, so two writers queue on the
        # busy timeout instead of failing with "database is locked" when one upgrades its lock.
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": (
            "PRAGMA journal_mode=WAL;"
            "PRAGMA synchronous=NORMAL;"
            "PRAGMA foreign_keys=ON;"
            "PRAGMA cache_size=-64000;"
            "PRAGMA mmap_size=268435456;"
            "PRAGMA temp_store=MEMORY;"
        ),
    }
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
else:
    DATABASES["default"].setdefault("OPTIONS", {})
    # Server-side binding lets psycopg prepare statements that run often (every case create
    # runs the same few), which saves PostgreSQL planning them each time.
    DATABASES["default"]["OPTIONS"].setdefault("server_side_binding", True)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

# Streaming replicas of a PostgreSQL primary (issue #22, ADR 231): reads that may lag go to one
# of them while it answers and is less than DATABASE_REPLICA_MAX_LAG_SECONDS behind; a person
# reads from the primary for READ_YOUR_WRITES_SECONDS after they write.
DATABASE_REPLICA_URLS = [
    u.strip() for u in _env("DATABASE_REPLICA_URLS", "").split(",") if u.strip()
]
DATABASE_REPLICA_MAX_LAG_SECONDS = float(_env("DATABASE_REPLICA_MAX_LAG_SECONDS", "5"))
READ_YOUR_WRITES_SECONDS = int(_env("READ_YOUR_WRITES_SECONDS", "5"))
if DATABASE_REPLICA_URLS:
    if DATABASES["default"]["ENGINE"] == "townsquare.core.sqlite":
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured("DATABASE_REPLICA_URLS needs a PostgreSQL DATABASE_URL")
    for number, url in enumerate(DATABASE_REPLICA_URLS, start=1):
        replica = dj_database_url.parse(url, conn_max_age=60)
        replica.setdefault("OPTIONS", {}).setdefault("server_side_binding", True)
        replica["CONN_HEALTH_CHECKS"] = True
        # Tests read the replica's data from the primary's test database.
        replica["TEST"] = {"MIRROR": "default"}
        DATABASES[f"replica{number}"] = replica
    DATABASE_ROUTERS = ["townsquare.core.replicas.ReplicaRouter"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
LANGUAGES = [("en", "English"), ("cy", "Cymraeg")]
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
MEDIA_ROOT = VAR_DIR / "media"

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# `townsquare serve`: where to listen and how many web processes to run.
SERVE_HOST = _env("HOST", "127.0.0.1")
SERVE_PORT = int(_env("PORT", "8000"))
WEB_WORKERS = int(_env("WEB_WORKERS", "2"))
# Threads per web process. Python runs one at a time, so a few are enough to overlap waits on
# the database; hundreds would only queue up for SQLite's write lock.
WEB_THREADS = int(_env("WEB_THREADS", "4"))
# Request bodies are read on the event loop before a thread is taken (ADR 140). The largest
# body any interface takes is an Open311 report with ten 20 MB photos (cases/limits.py); the
# rest of the default is room for its text fields and the multipart framing.
REQUEST_MAX_BODY_BYTES = int(_env("REQUEST_MAX_BODY_BYTES", str(210 * 1024 * 1024)))
# A body must arrive within this many seconds, plus one second per REQUEST_BODY_MIN_RATE bytes
# received: a client sending at least that fast is never cut off; a trickle is, soon.
REQUEST_BODY_TIMEOUT_SECONDS = float(_env("REQUEST_BODY_TIMEOUT_SECONDS", "30"))
REQUEST_BODY_MIN_RATE = float(_env("REQUEST_BODY_MIN_RATE", "1000"))
# How long `townsquare serve` lets its processes finish in-flight requests when stopped
# before it kills them (ADR 141).
SERVE_STOP_GRACE_SECONDS = int(_env("SERVE_STOP_GRACE_SECONDS", "5"))

# Where the project's shipped service templates live; councils import from this library.
SERVICE_TEMPLATE_LIBRARY = BASE_DIR / "templates" / "services"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = _env_bool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Other sites learn only this site's origin from a link or a map tile (never a page's path,
# which can hold a case reference); OpenStreetMap's tile servers refuse requests without one.
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
# HTTPS (docs/operations/production.md): all off by default, so a machine without a
# certificate (the demo, tests) still works. Behind a proxy that terminates HTTPS, set
# SECURE_PROXY_SSL_HEADER too, or every request looks like plain HTTP and is redirected forever.
SECURE_SSL_REDIRECT = _env_bool("SECURE_SSL_REDIRECT", False)
# A monitor or load balancer may ask for /healthz over plain HTTP, straight at the server.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = int(_env("SECURE_HSTS_SECONDS", "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = _env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = _env_bool("SECURE_HSTS_PRELOAD", False)
# Content-Security-Policy (ADR 146): where browsers send reports of what it blocked (a path
# here, or another service's address; empty sends none), whether it only reports rather than
# blocks (to try a change to the site first), and how many reports one client address may
# send a minute to the built-in endpoint, which writes them to the log.
CSP_REPORT_URL = _env("CSP_REPORT_URL", "/api/csp-reports")
CSP_REPORT_ONLY = _env_bool("CSP_REPORT_ONLY", False)
CSP_REPORTS_PER_MINUTE = float(_env("CSP_REPORTS_PER_MINUTE", "20"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": _env("LOG_LEVEL", "INFO")},
}

# --- staff ---
# Staff sign-in (ADR 143): wrong passwords or codes per email address that cost nothing; each
# one after them doubles the wait before the next try (from 1 s), up to the longest wait.
STAFF_SIGNIN_FREE_FAILURES = int(_env("STAFF_SIGNIN_FREE_FAILURES", "5"))
STAFF_SIGNIN_MAX_DELAY_SECONDS = int(_env("STAFF_SIGNIN_MAX_DELAY_SECONDS", "300"))
# Wrong passwords or codes one client address may send an hour (browsers that have signed in to
# the account before are not held by it).
STAFF_SIGNIN_FAILURES_PER_ADDRESS_PER_HOUR = float(
    _env("STAFF_SIGNIN_FAILURES_PER_ADDRESS_PER_HOUR", "50")
)
# A staff session ends after this many minutes without a request, and in any case this many
# hours after signing in.
STAFF_SESSION_IDLE_MINUTES = int(_env("STAFF_SESSION_IDLE_MINUTES", "30"))
STAFF_SESSION_MAX_HOURS = int(_env("STAFF_SESSION_MAX_HOURS", "10"))

# --- digital identity (OpenID Connect; docs/operations/identity.md) ---
# Residents' provider, GOV.UK One Login (or any provider that speaks its dialect). Unset, the
# "Sign in with GOV.UK One Login" button is not shown. The private key (a PEM or JWK file) signs
# the client's private_key_jwt assertions; a client secret is for providers that need one.
ONE_LOGIN_ISSUER = _env("ONE_LOGIN_ISSUER").rstrip("/")
ONE_LOGIN_CLIENT_ID = _env("ONE_LOGIN_CLIENT_ID")
ONE_LOGIN_PRIVATE_KEY_FILE = _env("ONE_LOGIN_PRIVATE_KEY_FILE")
ONE_LOGIN_CLIENT_SECRET = _env("ONE_LOGIN_CLIENT_SECRET")
ONE_LOGIN_SCOPES = _env("ONE_LOGIN_SCOPES", "openid email phone")
# Who signs One Login's identity credential (coreIdentityJWT) for P2; its keys are in the DID
# document at this address's /.well-known/did.json. Empty: the one beside ONE_LOGIN_ISSUER
# (oidc.account.gov.uk -> identity.account.gov.uk; the demo provider's <issuer>/identity/).
ONE_LOGIN_IDENTITY_ISSUER = _env("ONE_LOGIN_IDENTITY_ISSUER")
# Whether a council admin may give a provider on this machine (http://127.0.0.1...) on the staff
# sign-in page: the demo's and the tests' provider. Off in production, so the page cannot be
# used to probe the server's own ports.
OIDC_ALLOW_LOOPBACK_ISSUERS = _env_bool("OIDC_ALLOW_LOOPBACK_ISSUERS", False)
# How long to wait for a provider's answer (discovery, keys, token, userinfo).
OIDC_HTTP_TIMEOUT_SECONDS = float(_env("OIDC_HTTP_TIMEOUT_SECONDS", "5"))

# --- messaging ---
# Outgoing email (Django's own settings, so django.core.mail and the outbox share them). The
# defaults point at the demo's local mailbox (`townsquare mailbox serve`), never at the internet.
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = _env("EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = int(_env("EMAIL_PORT", "8025"))
EMAIL_HOST_USER = _env("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = _env("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = _env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = 15
DEFAULT_FROM_EMAIL = _env("DEFAULT_FROM_EMAIL", "Townsquare <noreply@townsquare.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The demo mailbox: where `townsquare mailbox serve` listens and keeps what it receives.
MAILBOX_HOST = "127.0.0.1"
MAILBOX_PORT = int(_env("MAILBOX_PORT", str(EMAIL_PORT)))
MAILBOX_DIR = VAR_DIR / "mailbox"
# Show that mailbox (every council's email) to platform admins in the staff pages, links hidden.
# Only the demo turns it on: a production server relaying through a local MTA must not.
DEMO_MAILBOX = _env_bool("DEMO_MAILBOX", False)
# The site's address as people reach it: every link that leaves the site (emails, SMS,
# webhooks) is built from it, never from the request's Host header (core.links, ADR 130).
PUBLIC_URL = _env("PUBLIC_URL", f"http://127.0.0.1:{SERVE_PORT}").rstrip("/")
# Replies to case emails go to reply+<signed case token>@this domain (an inbound-email provider
# forwards them to /api/inbound/email). Empty: emails carry no reply address.
REPLY_EMAIL_DOMAIN = _env("REPLY_EMAIL_DOMAIN", "replies.townsquare.localhost")
# Shared secret that inbound providers send as "Authorization: Bearer <secret>"; empty refuses all.
INBOUND_SECRET = _env("INBOUND_SECRET")
# thread: a dispatcher thread in each process turns events into outbox rows, and a sender thread
# sends each transactional message (a sign-in link) as it commits (ADR 75); inline: both at once,
# after the commit (tests); off: only the worker and `townsquare messaging dispatch` do them.
MESSAGING_DISPATCH = _env("MESSAGING_DISPATCH", "thread")
MESSAGING_MAX_ATTEMPTS = int(_env("MESSAGING_MAX_ATTEMPTS", "6"))
MESSAGING_RETRY_BASE_SECONDS = float(_env("MESSAGING_RETRY_BASE_SECONDS", "30"))
MESSAGING_RETRY_MAX_SECONDS = 6 * 3600
# A worker holds a claimed message this long; if it dies, another takes the message over.
MESSAGING_SEND_LEASE_SECONDS = int(_env("MESSAGING_SEND_LEASE_SECONDS", "120"))
MESSAGING_BATCH_SIZE = 50
# How many send tasks one burst of messages is split across (one per worker process).
MESSAGING_SENDERS = int(_env("MESSAGING_SENDERS", "2"))
MESSAGING_RATE_LIMIT_PER_HOUR = int(_env("MESSAGING_RATE_LIMIT_PER_HOUR", "30"))
MESSAGING_SMS_QUIET_HOURS = _env("MESSAGING_SMS_QUIET_HOURS", "21:00-08:00")
MESSAGING_DIGEST_HOUR = int(_env("MESSAGING_DIGEST_HOUR", "7"))
# Events older than this (imports, bulk loads) notify nobody.
MESSAGING_EVENT_MAX_AGE_HOURS = 24
MESSAGING_AREA_MAX_RADIUS_M = 5000
MESSAGING_WEBHOOK_TIMEOUT = float(_env("MESSAGING_WEBHOOK_TIMEOUT", "10"))
MESSAGING_WEBHOOK_ALLOW_PRIVATE = _env_bool("MESSAGING_WEBHOOK_ALLOW_PRIVATE", False)
MESSAGING_WEBHOOK_ALLOW_LOOPBACK = _env_bool("MESSAGING_WEBHOOK_ALLOW_LOOPBACK", False)
MESSAGING_WEBHOOK_SECRET_OVERLAP_HOURS = 24
# REST API (ADR 121): each key's token bucket holds API_RATE_BURST calls, refilled at
# API_RATE_PER_SECOND; past it the API answers 429 with Retry-After.
API_RATE_PER_SECOND = float(_env("API_RATE_PER_SECOND", "10"))
API_RATE_BURST = int(_env("API_RATE_BURST", "50"))
# The call log is written in batches (ADR 230): when this many calls wait, or the oldest has
# waited this many seconds.
API_CALL_LOG_BATCH = int(_env("API_CALL_LOG_BATCH", "200"))
API_CALL_LOG_SECONDS = float(_env("API_CALL_LOG_SECONDS", "1"))
# GOV.UK Notify: with an API key, email and SMS go through Notify (one generic template each,
# with ((subject)) and ((body)) placeholders); without one, email goes over SMTP and SMS is off.
NOTIFY_API_KEY = _env("NOTIFY_API_KEY")
NOTIFY_BASE_URL = _env("NOTIFY_BASE_URL", "https://api.notifications.service.gov.uk")
NOTIFY_EMAIL_TEMPLATE_ID = _env("NOTIFY_EMAIL_TEMPLATE_ID")
NOTIFY_SMS_TEMPLATE_ID = _env("NOTIFY_SMS_TEMPLATE_ID")
# Messages a minute sent through the Notify key, all workers together (Notify allows 3,000 a
# minute per key); 0 does not pace.
NOTIFY_MESSAGES_PER_MINUTE = int(_env("NOTIFY_MESSAGES_PER_MINUTE", "3000"))
# The bearer token Notify sends with delivery receipts and inbound SMS (set in Notify's settings).
NOTIFY_CALLBACK_TOKEN = _env("NOTIFY_CALLBACK_TOKEN")
# --- insights ---
# Real public data (City of Boston 311, 2015...) the demo imports; not shipped with the product.
# Where `townsquare triage train` writes the category model and the web reads it (ADR 200).
TRIAGE_MODEL_DIR = Path(_env("TOWNSQUARE_TRIAGE_MODEL_DIR", str(VAR_DIR / "triage")))
SHARED_DATA_DIR = Path(_env("TOWNSQUARE_SHARED_DATA", str(BASE_DIR.parent / "shared" / "data")))
# Live streams (SSE): on SQLite, how often each process looks for new events (PostgreSQL is
# told at once by NOTIFY and looks this often only as a safety net); and how often an idle
# stream sends a keep-alive comment so proxies keep it open.
LIVE_POLL_SECONDS = float(_env("LIVE_POLL_SECONDS", "0.2"))
LIVE_HEARTBEAT_SECONDS = float(_env("LIVE_HEARTBEAT_SECONDS", "15"))
# Open live streams each web process accepts (beyond them, connections wait).
LIVE_MAX_STREAMS = int(_env("LIVE_MAX_STREAMS", "2000"))
# --- report ---
# Map tiles behind the report and browse maps (Leaflet URL template); empty for no tiles: the
# maps still draw council boundaries and reports from Townsquare's own GeoJSON (ADR 50).
MAP_TILE_URL = _env("MAP_TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png")
MAP_TILE_ATTRIBUTION = _env(
    "MAP_TILE_ATTRIBUTION",
    '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors',
)
# A Nominatim-style search URL (`?q=...&format=jsonv2` is added) asked when the gazetteer has
# no match; off when empty (ADR 52).
GEOCODER_URL = _env("GEOCODER_URL", "")
GEOCODER_TIMEOUT_SECONDS = float(_env("GEOCODER_TIMEOUT_SECONDS", "3"))
# A report form with photos larger than this in total is refused with a page saying so (each
# photo is also held to 20 MB, with the error shown on the form).
REPORT_MAX_UPLOAD_BYTES = int(_env("REPORT_MAX_UPLOAD_BYTES", str(64 * 1024 * 1024)))
# How long the link that confirms a report's email address works.
REPORT_CONFIRM_DAYS = int(_env("REPORT_CONFIRM_DAYS", "14"))
# --- public pages ---
# The phase banner's feedback link for councils that have not set their own (ADR 110); empty:
# the council's contact page.
FEEDBACK_URL = _env("FEEDBACK_URL", "")

# Public rate limits (ADR 133), token buckets in the database shared by every process; past a
# limit the answer is 429 with Retry-After. Every citizen POST and Open311 create without a
# key, per client address:
PUBLIC_WRITES_PER_MINUTE = float(_env("PUBLIC_WRITES_PER_MINUTE", "30"))
NEIGHBOURHOOD_POSTS_PER_HOUR = float(_env("NEIGHBOURHOOD_POSTS_PER_HOUR", "20"))
# Messages a stranger can cause (sign-in links, confirmation emails for reports, alerts and
# follows), per target email address:
EMAILS_PER_ADDRESS_PER_HOUR = float(_env("EMAILS_PER_ADDRESS_PER_HOUR", "5"))
# Residents' sign-in links (ADR 143): per asking client address (to anyone), and per email
# address from every asker together; one asker may send one address 3 links in 15 minutes.
SIGNIN_LINKS_PER_REQUESTER_PER_HOUR = float(_env("SIGNIN_LINKS_PER_REQUESTER_PER_HOUR", "20"))
SIGNIN_LINKS_PER_ADDRESS_PER_HOUR = float(_env("SIGNIN_LINKS_PER_ADDRESS_PER_HOUR", "20"))
# Open311 writes (creates and updates) per API key:
OPEN311_WRITES_PER_MINUTE = float(_env("OPEN311_WRITES_PER_MINUTE", "60"))

# --- payments (issue 15) ---
# GOV.UK Pay's public API; the demo and the tests point it at the stand-in
# (townsquare/payments/standin.py). Each council's API key is a council setting, sealed.
PAYMENTS_GOVUK_PAY_URL = _env(
    "PAYMENTS_GOVUK_PAY_URL", "https://publicapi.payments.service.gov.uk"
).rstrip("/")
# Where Pay's payment pages are (the browser is sent there after the payment step's form):
# allowed in the Content-Security-Policy's form-action.
PAYMENTS_GOVUK_PAY_PAGES_URL = _env(
    "PAYMENTS_GOVUK_PAY_PAGES_URL", "https://card.payments.service.gov.uk"
).rstrip("/")
PAYMENTS_GOVUK_PAY_TIMEOUT_SECONDS = float(_env("PAYMENTS_GOVUK_PAY_TIMEOUT_SECONDS", "10"))
