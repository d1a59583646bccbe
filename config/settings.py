"""One base settings module, driven by the environment (see docs/architecture.md)."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import ExponentialBackoff

from config.dbpool import pool_options
from config.env import env_bool, env_file_load, env_int, env_list, env_str
from config.logs import logging_config, sentry_init, structlog_configure

BASE_DIR = Path(__file__).resolve().parent.parent
# A development checkout has a `.env` written by `make install` (LOTSE_DEBUG=1 and a
# generated key); production has none and sets real variables. LOTSE_ENV_FILE points
# elsewhere (tests use it). Where the real environment sets LOTSE_SECRET_KEY (production),
# the file is not read at all: a stray development .env must never switch DEBUG on there.
if "LOTSE_SECRET_KEY" not in os.environ:
    env_file_load(Path(env_str("LOTSE_ENV_FILE", str(BASE_DIR / ".env"))))

DEBUG = env_bool("LOTSE_DEBUG", False)
# Development and tests get a throw-away key; production must set one.
SECRET_KEY = env_str("LOTSE_SECRET_KEY", "dev-only-insecure-key" if DEBUG else None)
ALLOWED_HOSTS = env_list("LOTSE_ALLOWED_HOSTS", ["localhost", ".localhost", "127.0.0.1"])
# The agency (public schema) lives here; clients live at <slug>.<LOTSE_BASE_DOMAIN>.
LOTSE_BASE_DOMAIN = env_str("LOTSE_BASE_DOMAIN", "localhost")

SHARED_APPS = [
    "django_tenants",
    "accounts",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # The admin, served only on the agency host behind our login, throttling and 2FA.
    "accounts.admin_apps.LotseAdminConfig",
    # Failed-login throttling and TOTP 2FA: their tables live in the public schema only,
    # so a lockout or a device counts on every host.
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "frontend",
    # The agency's library of template training modules (public schema).
    "routing.training.library",
]
TENANT_APPS = [
    "django.contrib.contenttypes",
    "accounts.audit",
    "sources",
    "mentions",
    "routing",
    "reports",
    # Training, certificates and guidelines per client (reply rights come from them).
    "routing.training",
    "webhooks",
]
INSTALLED_APPS = list(SHARED_APPS) + [app for app in TENANT_APPS if app not in SHARED_APPS]

TENANT_MODEL = "accounts.Client"
TENANT_DOMAIN_MODEL = "accounts.Domain"
# New clients are copies of this migrated template schema instead of being migrated from
# scratch (`accounts.models.Client.create_schema` → `accounts.cloning.schema_clone`, however
# the row is saved). The template is a Client row without a domain, so `migrate_schemas`
# migrates it too; `accounts.services.tenant_template_ensure` creates it when it is missing.
# (django-tenants reads these two settings as well; its own clone is only the fallback.)
TENANT_BASE_SCHEMA = "tenant_template"
TENANT_CREATION_FAKES_MIGRATIONS = True
PUBLIC_SCHEMA_URLCONF = "config.urls_public"
ROOT_URLCONF = "config.urls_tenant"
AUTH_USER_MODEL = "accounts.User"

MIDDLEWARE = [
    # A request id on every log line and answer, and one log line per request (config.logs).
    "config.logs.RequestLogMiddleware",
    # Outermost: an API request that fails answers JSON (503 + Retry-After in an outage).
    "config.outage.ApiErrorShapeMiddleware",
    # /healthz and /readyz, answered before the tenant lookup (config.health).
    "config.health.HealthMiddleware",
    # /metrics (token or allow-list) and request latency by route (config.metrics).
    "config.metrics.MetricsMiddleware",
    # X-RateLimit-* headers for API calls counted by accounts.throttling.
    "config.ratelimit.RateLimitHeadersMiddleware",
    "django_tenants.middleware.main.TenantMainMiddleware",
    # Reads asked several times per page happen once per GET (config.memo).
    "config.memo.request_memo",
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy on every answer: scripts and styles only from this site.
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "frontend.middleware.reader_timezone",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # A deactivated client's host refuses everything with one clear page (frontend).
    "frontend.middleware.InactiveClientMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: turns a locked-out login into the login page's message.
    "axes.middleware.AxesMiddleware",
]

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
                "frontend.context_processors.client",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

DATABASES = {
    "default": {
        "ENGINE": "django_tenants.postgresql_backend",
        "NAME": env_str("LOTSE_DB_NAME", "lotse"),
        "USER": env_str("LOTSE_DB_USER", "postgres"),
        "PASSWORD": env_str("LOTSE_DB_PASSWORD", ""),
        "HOST": env_str("LOTSE_DB_HOST", "127.0.0.1"),
        "PORT": env_int("LOTSE_DB_PORT", 5432),
        # Session pooling only: search_path is set per connection (see docs/architecture.md).
        # 0 under ASGI, where each request runs in a fresh thread; workers set it higher.
        "CONN_MAX_AGE": env_int("LOTSE_DB_CONN_MAX_AGE", 0),
        # With the pool, the pool checks a connection as it hands it out.
        "CONN_HEALTH_CHECKS": True,
    }
}
# The web's connection pool (`LOTSE_DB_POOL_MAX_SIZE`, on in scripts/run.sh): a request takes
# an open connection instead of connecting. Exclusive with CONN_MAX_AGE (workers keep theirs).
DB_POOL = pool_options()
if DB_POOL is not None:
    if DATABASES["default"]["CONN_MAX_AGE"]:
        raise ImproperlyConfigured("Set LOTSE_DB_POOL_MAX_SIZE or LOTSE_DB_CONN_MAX_AGE, not both")
    DATABASES["default"]["OPTIONS"] = {"pool": DB_POOL}
DATABASE_ROUTERS = ["django_tenants.routers.TenantSyncRouter"]
# Set search_path once per connection and tenant switch, not before every query. Safe from
# django-tenants 4.0.1 on, which forgets the cached path on (savepoint) rollbacks (#1262).
TENANT_LIMIT_SET_CALLS = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# django-axes first: it refuses a locked-out account or address before the password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# --- Login security ------------------------------------------------------------
# Failed logins (django-axes): an account, and separately an address, is locked after
# LOTSE_LOGIN_FAILURE_LIMIT failures within the cool-off time, for that time, on every host.
AXES_FAILURE_LIMIT = env_int("LOTSE_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOTSE_LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
# A real login clears only its own account's failures (frontend.login_views); axes' reset
# would clear every failure from the address on any login, hand-offs included.
AXES_RESET_ON_SUCCESS = False
AXES_USERNAME_CALLABLE = "accounts.security.login_username"
AXES_LOCKOUT_CALLABLE = "frontend.login_views.locked_out"
AXES_VERBOSE = False
# TOTP 2FA (django-otp): the name authenticator apps show.
OTP_TOTP_ISSUER = "Lotse"
# Staff in the admin never see anyone's authenticator key or recovery codes.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# Moving between hosts (frontend/login_views.py): a signed, single-use hand-off lives this long.
LOTSE_HANDOFF_SECONDS = 60

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
# Times written without a format ({{ value }}) name their zone ("6 Dec 2026, 14:05 CET").
FORMAT_MODULE_PATH = ["config.formats"]

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# Mention batches of up to 1,000 items with texts of up to 200,000 characters.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("LOTSE_MAX_BODY_BYTES", 32 * 1024 * 1024)
LOTSE_MAX_BATCH = 1000

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
# django-csp: pages load scripts, styles, fonts and images from this site only; no inline
# script (frontend/static/frontend/page.js carries what inline handlers did) and no <style>
# element; style attributes are allowed (report bars set computed widths; url() inside them
# still meets img-src). No plugins, no framing, no <base> tricks. 'self' covers the inbox's
# ws/wss connection.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "style-src-elem": [SELF],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
    }
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Production runs behind TLS: cookies only over HTTPS, HSTS, and http redirected. Behind a
# proxy that terminates TLS, X-Forwarded-Proto says the original scheme (set
# LOTSE_BEHIND_TLS_PROXY=0 when nothing in front sets it, or a client could claim https).
SESSION_COOKIE_SECURE = env_bool("LOTSE_SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env_bool("LOTSE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = env_int("LOTSE_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG  # every client is a subdomain of the agency
if env_bool("LOTSE_BEHIND_TLS_PROXY", not DEBUG):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

REDIS_URL = env_str("LOTSE_REDIS_URL", "redis://127.0.0.1:6379/0")
# Shared by every process: single-use hand-off nonces, the sessions of one login.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": env_str("LOTSE_CACHE_URL", REDIS_URL),
        "KEY_PREFIX": "lotse",
    }
}

# --- Celery -----------------------------------------------------------------
CELERY_BROKER_URL = env_str("LOTSE_BROKER_URL", REDIS_URL)
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "ingest"
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
LOTSE_SLA_CHECK_SECONDS = env_int("LOTSE_SLA_CHECK_SECONDS", 30)
# Spike and crisis alerts (reports/spikes.py): every minute, per client.
LOTSE_SPIKE_CHECK_SECONDS = env_int("LOTSE_SPIKE_CHECK_SECONDS", 60)
# Scheduled report mails: how often beat looks for due schedules.
LOTSE_REPORT_SCHEDULE_SECONDS = env_int("LOTSE_REPORT_SCHEDULE_SECONDS", 300)
CELERY_BEAT_SCHEDULE = {
    "sla-check": {
        "task": "routing.sla_check_all_clients",
        "schedule": float(LOTSE_SLA_CHECK_SECONDS),
        "options": {"queue": "notify"},
    },
    "poll-due-sources": {
        "task": "sources.poll_due_all_clients",
        "schedule": 15.0,
        "options": {"queue": "ingest"},
    },
    "spike-check": {
        "task": "reports.spike_check_all_clients",
        "schedule": float(LOTSE_SPIKE_CHECK_SECONDS),
        "options": {"queue": "reports"},
    },
    # Scheduled report mails: each client's due schedules (each period is sent once).
    "report-schedules": {
        "task": "reports.report_schedules_due_all_clients",
        "schedule": float(LOTSE_REPORT_SCHEDULE_SECONDS),
        "options": {"queue": "reports"},
    },
    # Each client's triage models learn from the week's corrections, at night.
    "triage-learn": {
        "task": "mentions.triage_learn_all_clients",
        "schedule": crontab(hour=3, minute=30),
        "options": {"queue": "reports"},
    },
    # Certificates that expire within 14 days: a notice to the person and the managers.
    "training-expiry-notices": {
        "task": "training.expiry_notify_all_clients",
        "schedule": crontab(minute=15),
        "options": {"queue": "notify"},
    },
    # Outbound webhooks: what is due (retries; new events are also sent right after commit).
    "webhooks-deliver-due": {
        "task": "webhooks.deliver_due_all_clients",
        "schedule": float(env_int("LOTSE_WEBHOOK_SWEEP_SECONDS", 10)),
        "options": {"queue": "notify"},
    },
    "requeue-stalled-ingest-batches": {
        "task": "sources.requeue_stalled_batches_all_clients",
        "schedule": float(env_int("LOTSE_BATCH_SWEEP_SECONDS", 10)),
        "options": {"queue": "ingest"},
    },
}
LOTSE_BATCH_STALL_SECONDS = env_int("LOTSE_BATCH_STALL_SECONDS", 120)
# A `processing` batch whose row nobody holds any more (its worker was killed) is handed
# back after this many seconds; the sweep above runs every LOTSE_BATCH_SWEEP_SECONDS.
LOTSE_BATCH_ORPHAN_SECONDS = env_int("LOTSE_BATCH_ORPHAN_SECONDS", 10)
# Heartbeats for /readyz (config.health): beat sends `lotse.heartbeat` to every queue, and
# whichever worker takes it reports for that queue.
LOTSE_QUEUES = ("ingest", "triage", "notify", "reports")
CELERY_BEAT_SCHEDULE.update(
    {
        f"heartbeat-{queue}": {
            "task": "lotse.heartbeat",
            "schedule": 20.0,
            "args": (queue,),
            "options": {"queue": queue, "expires": 60},
        }
        for queue in LOTSE_QUEUES
    }
)

# --- Connectors -------------------------------------------------------------
# User-entered URLs may not reach private or loopback addresses unless this is set (tests
# and the demo set it to serve recorded traffic on loopback).
LOTSE_ALLOW_PRIVATE_NETWORKS = env_bool("LOTSE_ALLOW_PRIVATE_NETWORKS", False)
LOTSE_FETCH_MAX_BYTES = env_int("LOTSE_FETCH_MAX_BYTES", 5 * 1024 * 1024)
LOTSE_FETCH_TIMEOUT_SECONDS = env_int("LOTSE_FETCH_TIMEOUT_SECONDS", 15)
LOTSE_POLL_MAX_PAGES = env_int("LOTSE_POLL_MAX_PAGES", 5)
# The demo network (`sources.demo_network`): a Mastodon-compatible server on loopback that
# `manage.py demo_stream` runs; the demo sources' posts live there and replies land there.
# Only this address (from the deployment, never from a client) is reached on loopback.
LOTSE_DEMO_NETWORK_URL = env_str("LOTSE_DEMO_NETWORK_URL", "http://127.0.0.1:8010").rstrip("/")
LOTSE_DEMO_NETWORK_FILE = Path(
    env_str("LOTSE_DEMO_NETWORK_FILE", str(BASE_DIR / "var" / "demo-network.jsonl"))
)
# Fernet key(s) for source credentials, comma-separated, newest first (rotation). Without
# one, development derives a key from SECRET_KEY; production must set it.
LOTSE_CREDENTIALS_KEYS = env_list("LOTSE_CREDENTIALS_KEYS", [])
if not LOTSE_CREDENTIALS_KEYS and DEBUG:
    import base64
    import hashlib

    _digest = hashlib.sha256(("lotse-credentials:" + SECRET_KEY).encode()).digest()
    LOTSE_CREDENTIALS_KEYS = [base64.urlsafe_b64encode(_digest).decode()]

# --- Outbound webhooks (webhooks/services.py) ---------------------------------------
LOTSE_WEBHOOK_TIMEOUT_SECONDS = env_int("LOTSE_WEBHOOK_TIMEOUT_SECONDS", 10)
LOTSE_WEBHOOK_RETRY_BASE_SECONDS = env_int("LOTSE_WEBHOOK_RETRY_BASE_SECONDS", 30)
LOTSE_WEBHOOK_MAX_FAILURES = env_int("LOTSE_WEBHOOK_MAX_FAILURES", 20)

# --- Channels ---------------------------------------------------------------
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {
            # redis-py 8 reads with a 5 s socket timeout by default, which aborts the layer's
            # 5 s blocking BZPOPMIN and drops every idle websocket (channels_redis#422).
            "hosts": [
                {
                    "address": env_str("LOTSE_CHANNELS_REDIS_URL", REDIS_URL),
                    "socket_timeout": 30,
                    "socket_connect_timeout": 5,
                    # After Redis restarts, the pool's connections are dead; redis-py's
                    # asyncio connections retry nothing by default, so the first group_add
                    # of a websocket handshake failed with "Connection closed by server"
                    # (HTTP 500). Retried on a fresh connection, it succeeds.
                    "retry": AsyncRetry(ExponentialBackoff(cap=1.0, base=0.1), 3),
                }
            ],
            "capacity": 1000,
            "expiry": 60,
        },
    }
}

# --- REST framework ---------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.ClientTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["accounts.permissions.IsClientMember"],
    # Per token and minute, reads and pushes apart, limits per client (accounts.throttling).
    "DEFAULT_THROTTLE_CLASSES": ["accounts.throttling.TokenRateThrottle"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "EXCEPTION_HANDLER": "config.api.exception_handler",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Lotse API",
    "DESCRIPTION": (
        "Social listening and customer care. Every endpoint is served on a client's own "
        "host (`<client>.localhost`) and sees only that client's data. Authenticate with "
        "`Authorization: Token <token>` (see `manage.py create_api_token`)."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Fields called kind, status or role with different choices: each set gets a name.
    "ENUM_NAME_OVERRIDES": {
        "MentionKindEnum": "mentions.vocabulary.Kind",
        "MentionStatusEnum": "mentions.vocabulary.Status",
        "SourceKindEnum": "sources.models.SourceKind",
        "InvitableRoleEnum": "accounts.invitations.INVITABLE_ROLES",
    },
}

# API rate limits (accounts.throttling); the budgets are per client (Client.api_*_per_minute).
LOTSE_API_RATE_LIMITS = env_bool("LOTSE_API_RATE_LIMITS", True)

# A Celery worker process loads the sentence encoder of learned aspects in a background
# thread when it starts (mentions.tasks), instead of on the first batch that needs it (1-9 s).
LOTSE_ENCODER_WARM = env_bool("LOTSE_ENCODER_WARM", True)

# Prometheus metrics at /metrics (config.metrics): a bearer token, or an address in the
# allow-list (CIDRs). The client's slug becomes a label only when this is switched on.
LOTSE_METRICS_TOKEN = env_str("LOTSE_METRICS_TOKEN", "")
LOTSE_METRICS_ALLOW = env_list("LOTSE_METRICS_ALLOW", ["127.0.0.1/32", "::1/128"])
LOTSE_METRICS_CLIENT_LABEL = env_bool("LOTSE_METRICS_CLIENT_LABEL", False)

# Structured logs (config.logs): JSON lines with request id, client, user and Celery task
# id, from web and workers; LOTSE_LOG_FORMAT=plain for readable lines (development default).
LOTSE_LOG_FORMAT = env_str("LOTSE_LOG_FORMAT", "plain" if DEBUG else "json")
LOGGING = logging_config(log_format=LOTSE_LOG_FORMAT, level=env_str("LOTSE_LOG_LEVEL", "INFO"))
structlog_configure()
# Workers log through the same configuration instead of Celery's own format.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Optional error reporting: set a DSN to send errors (web and workers) to Sentry.
LOTSE_SENTRY_DSN = env_str("LOTSE_SENTRY_DSN", "")
if LOTSE_SENTRY_DSN:
    sentry_init(
        dsn=LOTSE_SENTRY_DSN,
        environment=env_str("LOTSE_SENTRY_ENVIRONMENT", "production"),
        send_pii=env_bool("LOTSE_SENTRY_SEND_PII", False),
        traces_sample_rate=float(env_str("LOTSE_SENTRY_TRACES_SAMPLE_RATE", "0")),
    )

# Mail: in development and the demo every message is a file under var/mail/ (one .log file
# per message, the newest last); in production SMTP from the environment. Tests use
# Django's in-memory outbox (pytest-django sets it).
EMAIL_BACKEND = env_str(
    "LOTSE_EMAIL_BACKEND",
    "django.core.mail.backends.filebased.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_FILE_PATH = env_str("LOTSE_EMAIL_FILE_PATH", str(BASE_DIR / "var" / "mail"))
EMAIL_HOST = env_str("LOTSE_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("LOTSE_EMAIL_PORT", 587)
EMAIL_HOST_USER = env_str("LOTSE_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = env_str("LOTSE_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = env_bool("LOTSE_EMAIL_TLS", True)
EMAIL_TIMEOUT = env_int("LOTSE_EMAIL_TIMEOUT_SECONDS", 10)
# Password reset links (and invitations) stay valid this long.
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24
DEFAULT_FROM_EMAIL = env_str("LOTSE_FROM_EMAIL", "Lotse <alerts@lotse.localhost>")
