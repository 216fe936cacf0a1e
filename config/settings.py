"""Settings, read from the environment (twelve-factor).

With nothing set, the app runs on an embedded SQLite file with DEBUG off and plain
HTTP refused; `make run` sets the few variables a laptop needs. Production sets
`SECRET_KEY`, `ALLOWED_HOSTS` and `DATABASE_URL`, and gets the HTTPS-only settings
by default.
"""

import datetime as dt
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from config.email_url import mailer_from_url

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), not {raw!r}")


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "insecure-development-key-" + "x" * 40

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    # Before django_tasks_db: its `db_worker` command is replaced by ours, which
    # outlives database restarts (background/worker.py).
    "background",
    "django_tasks_db",
    "ninja",
    "axes",
    "config",
    "audit",
    "events",
    "accounts",
    "measurements",
    "goals",
    "sources",
    "webhooks",
    "notifications",
    "api",
]

MIDDLEWARE = [
    "config.middleware.RequestContextMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "api.middleware.ApiMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "accounts.middleware.UserTimeZoneMiddleware",
    "events.middleware.LivePositionMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as axes asks: it turns a refused login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "config.context_processors.request_context",
            ],
            "builtins": [
                "django_htmx.templatetags.django_htmx",
                "config.templatetags.numbers",
                "config.templatetags.submission",
            ],
        },
    },
]

# Databases: DATABASE_URL selects PostgreSQL (psycopg 3); the default is a SQLite file.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{os.environ.get('SQLITE_PATH', BASE_DIR / 'db.sqlite3')}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # One writer at a time: wait for the lock instead of failing, and take it up
    # front so a read never has to be upgraded into a write mid-transaction.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # The progress reads group a year of quarter-hours in about 100 ms; PostgreSQL's
    # JIT judged them costly enough to compile first, and compiling took 200 ms more.
    # Every query here is short: no JIT (a pooler in front must pass `options` on).
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "goals:dashboard"
LOGOUT_REDIRECT_URL = "accounts:login"

# Login throttling (django-axes, `accounts/throttle.py`): after LOGIN_FAILURE_LIMIT
# wrong passwords for one account, or from one client address, logging in is refused
# (429, with when to try again) until LOGIN_COOLOFF_MINUTES after the last of them; on
# the site's login page and the admin's alike. Behind reverse proxies, TRUSTED_PROXIES
# says how many, so the client's address is read from X-Forwarded-For.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "accounts.backends.PasswordBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = dt.timedelta(minutes=int(os.environ.get("LOGIN_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
# Axes' own reset on success would also forget every failure from the address the
# login came from, so an attacker who logs into an account of their own between
# guesses would never be locked out; `accounts.throttle` forgets only the
# account's own failures instead.
AXES_RESET_ON_SUCCESS = False
# A failure while locked out does not push the end of the lockout further away, so the
# time the page names holds (and an attacker cannot keep an account locked for ever).
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "accounts.throttle.locked_out"
AXES_CLIENT_IP_CALLABLE = "accounts.throttle.client_address"
AXES_DISABLE_ACCESS_LOG = True
TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "0"))

# Password reset requests (`accounts/reset_limits.py`): mails per address, and requests
# per client address, per window ("3/h").
PASSWORD_RESET_ADDRESS_LIMIT = os.environ.get("PASSWORD_RESET_ADDRESS_LIMIT", "3/h")
PASSWORD_RESET_CLIENT_LIMIT = os.environ.get("PASSWORD_RESET_CLIENT_LIMIT", "20/h")

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# Uploaded files waiting to be imported.
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
MEDIA_URL = "/media/"

# Upload limits, per kind of import, enforced while the upload streams in; and what an
# archive (an Apple Health export.zip) may unpack to: a size, and a ratio to its packed
# size that an export never comes near (checked past its first few megabytes).
UPLOAD_MAX_CSV_BYTES = int(os.environ.get("UPLOAD_MAX_CSV_BYTES", 50 * 1024 * 1024))
UPLOAD_MAX_HEALTH_BYTES = int(os.environ.get("UPLOAD_MAX_HEALTH_BYTES", 500 * 1024 * 1024))
UPLOAD_MAX_UNPACKED_BYTES = int(os.environ.get("UPLOAD_MAX_UNPACKED_BYTES", 8 * 1024**3))
UPLOAD_MAX_COMPRESSION_RATIO = int(os.environ.get("UPLOAD_MAX_COMPRESSION_RATIO", 100))

# The cache is shared by every worker: the database by default, Redis when REDIS_URL is
# set. With Redis, the API's rate-limit windows live in it too (`api/limits.py`).
REDIS_URL = os.environ.get("REDIS_URL", "")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "cache"}
    )
}

# The JSON API (/api/v1/): requests per token and window ("600/m"), and body size.
API_RATE_LIMIT = os.environ.get("API_RATE_LIMIT", "600/m")
# Without Redis, each process counts API requests in memory and adds them to the
# window in the cache every so many requests: a client may get up to
# (processes x API_RATE_LIMIT_SYNC_REQUESTS) requests over the limit per window.
API_RATE_LIMIT_SYNC_REQUESTS = int(os.environ.get("API_RATE_LIMIT_SYNC_REQUESTS", "20"))
API_RATE_LIMIT_KEY_PREFIX = os.environ.get("API_RATE_LIMIT_KEY_PREFIX", "goaltrack:api-rate:")
API_MAX_BODY_BYTES = int(os.environ.get("API_MAX_BODY_BYTES", 5 * 1024 * 1024))
DATA_UPLOAD_MAX_MEMORY_SIZE = API_MAX_BODY_BYTES
# How long an `Idempotency-Key` stays claimed by a request that has not answered: a
# little past the longest a request may run (gunicorn's --timeout, 30 s by default).
# After it, a resend of the same request takes the key over and runs it.
IDEMPOTENCY_LEASE_SECONDS = int(os.environ.get("IDEMPOTENCY_LEASE_SECONDS", "60"))

# Requests the server makes for a user (calendar feeds, outgoing webhooks) never go to
# private, local or reserved addresses (`sources/outbound.py`), except to these
# networks, comma-separated CIDRs ("192.168.1.0/24,fd00::/8"): a feed on your own LAN.
OUTBOUND_ALLOW_NETWORKS = env_list("OUTBOUND_ALLOW_NETWORKS")

# The address people open the app at, for the links in emails and push messages, which
# are written without a request to take it from: by default the first allowed host over
# HTTPS, or `make run`'s address when only loopback is allowed.
_PUBLIC_HOSTS = [
    host for host in ALLOWED_HOSTS if host not in {"localhost", "127.0.0.1", "[::1]", "*"}
]
SITE_URL = os.environ.get(
    "SITE_URL",
    f"https://{_PUBLIC_HOSTS[0].lstrip('.')}" if _PUBLIC_HOSTS else "http://127.0.0.1:8000",
).rstrip("/")

# Sync runs: a running run's heartbeat (each batch, and this often while it waits on
# a provider) keeps its source's lease; a run silent for longer than the stale limit
# lost its worker and is reaped (`sources/recovery.py`).
SYNC_HEARTBEAT_SECONDS = int(os.environ.get("SYNC_HEARTBEAT_SECONDS", "10"))
SYNC_STALE_AFTER_SECONDS = int(os.environ.get("SYNC_STALE_AFTER_SECONDS", "90"))

# Incoming webhooks: deliveries per source and window ("120/m"), and body size.
WEBHOOK_RATE_LIMIT = os.environ.get("WEBHOOK_RATE_LIMIT", "120/m")
WEBHOOK_MAX_BODY_BYTES = int(os.environ.get("WEBHOOK_MAX_BODY_BYTES", 5 * 1024 * 1024))

# Outgoing webhooks (webhooks/orchestrators.py): seconds to wait after the 1st, 2nd,
# ... failed attempt of a delivery, comma-separated; when they run out the delivery has
# failed. The default makes eight attempts over about 27 hours. Each attempt may take
# WEBHOOK_TIMEOUT_SECONDS. Receivers on private networks need OUTBOUND_ALLOW_NETWORKS.
WEBHOOK_RETRY_SCHEDULE = [
    float(delay)
    for delay in env_list("WEBHOOK_RETRY_SCHEDULE", "5,300,1800,7200,18000,36000,36000")
]
WEBHOOK_TIMEOUT_SECONDS = float(os.environ.get("WEBHOOK_TIMEOUT_SECONDS", "15"))

# Browser push (Web Push signed with VAPID, notifications/push.py): this server's P-256
# key pair, in base64url as browsers write keys: VAPID_PRIVATE_KEY the 32-byte private
# key, VAPID_PUBLIC_KEY its public point. `manage.py vapid_keys` makes a pair; `make
# run` makes one in .vapid_keys. Push is off while they are unset. A new pair makes
# every browser subscribe again. VAPID_SUBJECT is how push services reach the operator
# (a mailto: or https: address); Apple's push service refuses a localhost one.
VAPID_PRIVATE_KEY = os.environ.get("VAPID_PRIVATE_KEY", "").strip()
VAPID_PUBLIC_KEY = os.environ.get("VAPID_PUBLIC_KEY", "").strip()
if bool(VAPID_PRIVATE_KEY) != bool(VAPID_PUBLIC_KEY):
    raise ImproperlyConfigured("Set both VAPID_PRIVATE_KEY and VAPID_PUBLIC_KEY, or neither.")
VAPID_SUBJECT = os.environ.get("VAPID_SUBJECT", "").strip() or "mailto:admin@localhost"
if not VAPID_SUBJECT.startswith(("mailto:", "https://")):
    raise ImproperlyConfigured(
        f"VAPID_SUBJECT is a mailto: or https:// address, not {VAPID_SUBJECT!r}"
    )

# Events (events/fanout.py): how a commit is announced to the live pages served by
# other processes and machines. `postgres` (NOTIFY, delivered on commit) on
# PostgreSQL, `redis` (pub/sub on EVENTS_REDIS_URL), or `poll` (streams read the
# outbox every EVENTS_POLL_SECONDS; the only choice on SQLite).
EVENTS_FANOUT = os.environ.get(
    "EVENTS_FANOUT",
    "postgres" if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" else "poll",
)
if EVENTS_FANOUT not in {"postgres", "redis", "poll"}:
    raise ImproperlyConfigured(f"EVENTS_FANOUT is postgres, redis or poll, not {EVENTS_FANOUT!r}")
EVENTS_REDIS_URL = os.environ.get("EVENTS_REDIS_URL", REDIS_URL or "redis://127.0.0.1:6379/0")
EVENTS_POLL_SECONDS = float(os.environ.get("EVENTS_POLL_SECONDS", "0.5"))
# Days the outbox keeps events (the scheduler's `purge_old_events` deletes older ones).
EVENTS_KEEP_DAYS = int(os.environ.get("EVENTS_KEEP_DAYS", "30"))

# Background work goes through Django's Tasks framework. The embedded default keeps
# the queue in the database (`manage.py run_worker`); TASKS_BACKEND=redis moves it to
# Redis, for many workers on many machines (`manage.py rqworker --job-class
# django_tasks_rq.Job default`).
TASKS_BACKEND = os.environ.get("TASKS_BACKEND", "database")
if TASKS_BACKEND == "redis":
    INSTALLED_APPS += ["django_rq", "django_tasks_rq"]
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    RQ_QUEUES = {"default": {"URL": REDIS_URL or "redis://127.0.0.1:6379/0"}}
elif TASKS_BACKEND == "database":
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
else:
    raise ImproperlyConfigured(f"TASKS_BACKEND is database or redis, not {TASKS_BACKEND!r}")

# Email (config/email_url.py): EMAIL_URL says where mail goes: `smtp+tls://user:pass@
# host` (STARTTLS, port 587), `smtps://user:pass@host` (TLS, port 465), `smtp://host:25`
# (`?starttls=1` to upgrade), `console://` (printed, the default) or `memory://`;
# `?timeout=` seconds (10). The URL itself is not kept as a setting: it holds a password.
MAILERS = {"default": mailer_from_url(os.environ.get("EMAIL_URL"))}
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL") or "Goaltrack <goaltrack@localhost>"
SERVER_EMAIL = os.environ.get("SERVER_EMAIL") or DEFAULT_FROM_EMAIL

# Security. With DEBUG off the HTTPS-only settings are on, unless DJANGO_HTTPS=0
# (plain HTTP on loopback, e.g. `make run`).
HTTPS_ONLY = env_bool("DJANGO_HTTPS", not DEBUG)
SECURE_SSL_REDIRECT = HTTPS_ONLY
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS_ONLY else None
SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365 if HTTPS_ONLY else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS_ONLY
SECURE_HSTS_PRELOAD = HTTPS_ONLY
SESSION_COOKIE_SECURE = HTTPS_ONLY
CSRF_COOKIE_SECURE = HTTPS_ONLY
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_CSP = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
    "base-uri": ["'none'"],
    "object-src": ["'none'"],
}

# Every log line carries the request's correlation id and phase.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_context": {"()": "config.request_context.RequestContextLogFilter"}},
    "formatters": {
        "plain": {
            "format": (
                "%(asctime)s %(levelname)s [%(correlation_id)s %(phase)s] %(name)s: %(message)s"
            )
        }
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_context"],
            "formatter": "plain",
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        # Django logs each 4xx/5xx once more on its own; our error views log them.
        "django.request": {"level": "ERROR", "propagate": True},
        # The login throttle: failures and lockouts (warnings), not its chatter.
        "axes": {"level": "WARNING", "propagate": True},
    },
}
CSRF_FAILURE_VIEW = "config.errors.csrf_failure"
