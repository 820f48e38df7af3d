"""Settings for KAP Couples. The environment is read here and only here, strictly.

KAPCOUPLES_ENV=local (the default) is the embedded setup for one machine: SQLite in var/,
no Redis, e-mail written to var/mail, and it only answers on localhost.
KAPCOUPLES_ENV=production refuses to start without a real SECRET_KEY, DATABASE_URL and
ALLOWED_HOSTS.
"""

import base64
import re
import secrets
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from kombu import Exchange, Queue

from kapcouples.env import (
    check_fernet_keys,
    check_secret_key,
    env_addresses,
    env_bool,
    env_choice,
    env_int,
    env_list,
    env_str,
    env_time_zone,
    machine_time_zone,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("KAPCOUPLES_VAR_DIR", str(BASE_DIR / "var")))

ENVIRONMENT = env_choice("KAPCOUPLES_ENV", "local", ("local", "production"))
PRODUCTION = ENVIRONMENT == "production"


def _local_secret_key() -> str:
    # The embedded setup keeps a generated key on disk so logins survive a restart.
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(64))
        path.chmod(0o600)
    return path.read_text().strip()


def _local_totp_key() -> str:
    # Like the secret key: generated once on this machine, kept in var/ (never in the database it protects).
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    path = VAR_DIR / "totp_encryption_key"
    if not path.exists():
        path.write_text(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())
        path.chmod(0o600)
    return path.read_text().strip()


# TOTP shared secrets are encrypted with these Fernet keys, newest first (accounts/crypto.py; rotation in README).
TOTP_ENCRYPTION_KEYS = check_fernet_keys("TOTP_ENCRYPTION_KEYS", env_list("TOTP_ENCRYPTION_KEYS", []))

if PRODUCTION:
    _key = env_str("SECRET_KEY")
    if _key is None:
        raise ImproperlyConfigured("SECRET_KEY is required when KAPCOUPLES_ENV=production.")
    SECRET_KEY = check_secret_key(_key)
    DEBUG = env_bool("DEBUG", False)
    if DEBUG:
        raise ImproperlyConfigured("DEBUG must be off when KAPCOUPLES_ENV=production.")
    if env_str("DATABASE_URL") is None:
        raise ImproperlyConfigured("DATABASE_URL is required when KAPCOUPLES_ENV=production.")
    if env_str("ALLOWED_HOSTS") is None:
        raise ImproperlyConfigured("ALLOWED_HOSTS is required when KAPCOUPLES_ENV=production.")
    if not TOTP_ENCRYPTION_KEYS:
        raise ImproperlyConfigured("TOTP_ENCRYPTION_KEYS is required when KAPCOUPLES_ENV=production.")
else:
    SECRET_KEY = env_str("SECRET_KEY") or _local_secret_key()
    TOTP_ENCRYPTION_KEYS = TOTP_ENCRYPTION_KEYS or [_local_totp_key()]
    DEBUG = env_bool("DEBUG", True)

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "accounts",
    "clinic",
    "cases",
    "sessions.apps.ClinicalSessionsConfig",
    "dosing",
    "integration",
    "audit",
    "csp",
    "jobs",
    "ops",
    "records",
    "outbox",
    "demo",  # the demo clinic and scale data: above every other app, imported by none
]

MIDDLEWARE = [
    "ops.middleware.RequestIdMiddleware",  # every response and log line carries the request's id
    "ops.outage.DatabaseOutageMiddleware",  # a database or Redis drop: fresh connections, a read retried, else 503
    "ops.middleware.HealthCheckMiddleware",  # /healthz, /readyz: before the HTTPS redirect, host check and sessions
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",  # static files answer here, cacheable and without a session
    "accounts.middleware.NoStoreForSignedInMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "clinic.services.ClinicSettingsPerRequest",  # one read of the clinic settings per request
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "outbox.middleware.DeferredWorkNotice",  # inside messages: a write whose work waits for the sweep says so
    "accounts.middleware.SessionTimeoutMiddleware",
    "accounts.middleware.TwoFactorRequiredMiddleware",
    "audit.middleware.AuditMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "kapcouples.urls"
WSGI_APPLICATION = "kapcouples.wsgi.application"

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
                "accounts.context_processors.roles",
            ],
        },
    },
]

_database_url = env_str("DATABASE_URL")
if _database_url:
    try:
        DATABASES = {"default": dj_database_url.parse(_database_url, conn_max_age=60, conn_health_checks=True)}
    except ValueError as exc:
        raise ImproperlyConfigured(f"DATABASE_URL is not a database URL: {exc}") from None
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "kapcouples.sqlite3",
            "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 20},
        }
    }
DATABASES["default"]["ATOMIC_REQUESTS"] = False

REDIS_URL = env_str("REDIS_URL")

# Web processes keep no state of their own, so a load balancer may send any request to any of them: sessions
# are rows in the database (Django's default session engine), caches live in Redis when there is one, and
# files go to shared storage (STORAGES below).
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "kapcouples-cache",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:home"
LOGOUT_REDIRECT_URL = "accounts:login"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 2

LANGUAGE_CODE = "en-us"
# The clinic's zone decides every local date: the days between medicine sessions, printed dates, reminder times.
# Production must name it (clinic.checks fails `check --deploy` without it); locally the machine's zone is used.
CLINIC_TIME_ZONE_SET = env_time_zone("CLINIC_TIME_ZONE") is not None
TIME_ZONE = env_time_zone("CLINIC_TIME_ZONE") or ("UTC" if PRODUCTION else machine_time_zone())
# The country whose numbers may be typed without a country code, and are shown in national format (cases/phones.py).
CLINIC_PHONE_REGION = env_str("CLINIC_PHONE_REGION", "US").upper()
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
if not PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns about a missing folder
# Front-end assets come from the npm registry at install time (package.json); Django serves
# them from node_modules under vendor/, so no page ever loads a script from a third party.
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/bootstrap", BASE_DIR / "node_modules" / "bootstrap" / "dist"),
    # The PDFs' font, bundled so a document looks the same on every machine (jobs/pdf.py).
    ("vendor/fonts/dejavu-sans", BASE_DIR / "node_modules" / "@fontsource" / "dejavu-sans" / "files"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "media/"
# Uploaded and generated files (summaries, exports) go to an S3 bucket (or any S3-compatible store) when one is
# named, so that web and worker processes on several hosts share them; otherwise to MEDIA_ROOT on this machine.
# The bucket must block all public access: files are served only through the app's views, or by links signed
# for five minutes.
AWS_STORAGE_BUCKET_NAME = env_str("AWS_STORAGE_BUCKET_NAME")
if AWS_STORAGE_BUCKET_NAME:
    if not re.fullmatch(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", AWS_STORAGE_BUCKET_NAME):
        raise ImproperlyConfigured(f"AWS_STORAGE_BUCKET_NAME={AWS_STORAGE_BUCKET_NAME!r} is not a bucket name.")
    _s3_endpoint = env_str("AWS_S3_ENDPOINT_URL")  # for S3-compatible stores (MinIO, Ceph...); empty for AWS
    if _s3_endpoint and not _s3_endpoint.startswith("https://" if PRODUCTION else ("https://", "http://")):
        raise ImproperlyConfigured("AWS_S3_ENDPOINT_URL must be an https:// URL in production (the files hold PHI).")
    _s3_key, _s3_secret = env_str("AWS_ACCESS_KEY_ID"), env_str("AWS_SECRET_ACCESS_KEY")
    if bool(_s3_key) != bool(_s3_secret):
        raise ImproperlyConfigured("Set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or neither (instance role).")
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "region_name": env_str("AWS_S3_REGION_NAME"),
            "endpoint_url": _s3_endpoint,
            "access_key": _s3_key,
            "secret_key": _s3_secret,
            "location": env_str("AWS_S3_LOCATION", "media"),
            "default_acl": None,
            "querystring_auth": True,
            "querystring_expire": 300,
            "file_overwrite": False,
            "object_parameters": {"CacheControl": "private, no-store"},
        },
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# E-mail: SMTP when EMAIL_HOST is set, otherwise files in var/mail that a newcomer can open.
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "KAP Couples <no-reply@localhost>")
EMAIL_HOST = env_str("EMAIL_HOST")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("EMAIL_PORT", 587, minimum=1, maximum=65535)
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
    EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
    if EMAIL_USE_TLS and EMAIL_USE_SSL:
        raise ImproperlyConfigured("EMAIL_USE_TLS and EMAIL_USE_SSL cannot both be on.")
    EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 20, minimum=1, maximum=300)
elif PRODUCTION:
    raise ImproperlyConfigured("EMAIL_HOST is required when KAPCOUPLES_ENV=production (password resets, reminders).")
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = VAR_DIR / "mail"

# Background work (jobs/): Celery on Redis when REDIS_URL is set. Without it, the embedded default uses
# kombu's filesystem transport in var/celery, and `make run` starts a worker with beat beside runserver.
# The broker only carries nudges: reminders, summaries and exports are rows that the beat sweeps find again.
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    # A web request hands work to the broker after its commit and must not wait for a broker that is down
    # (issue 18: kombu's defaults made each such write take about 6 s): connect and answer within a fraction of
    # a second or give up, and the outbox sweep delivers it.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": 60 * 60,
        "socket_connect_timeout": 0.1,
        "socket_timeout": 2,
        "max_retries": 0,
    }
    CELERY_BROKER_CONNECTION_TIMEOUT = 0.1
else:
    # Fine for one machine (the worker must share var/ with the web process); production should set REDIS_URL.
    _queue_dir = VAR_DIR / "celery" / "queue"
    _queue_dir.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "control_folder": str(VAR_DIR / "celery"),
        "store_processed": False,
    }
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_IGNORE_RESULT = True  # results live in the database rows the tasks change
CELERY_TASK_ACKS_LATE = True  # a task whose worker died is delivered again; every task is safe to run twice
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TIMEZONE = "UTC"
# How often beat runs the sweeps that send due reminders and pick up documents left waiting.
JOBS_SWEEP_SECONDS = env_int("JOBS_SWEEP_SECONDS", 60, minimum=1, maximum=3600)
CELERY_BEAT_SCHEDULE = {
    "reminders-dispatch": {"task": "jobs.tasks.reminders_dispatch", "schedule": float(JOBS_SWEEP_SECONDS)},
    "documents-sweep": {"task": "jobs.tasks.documents_sweep", "schedule": float(JOBS_SWEEP_SECONDS)},
    "outbox-sweep": {"task": "jobs.tasks.outbox_sweep", "schedule": float(JOBS_SWEEP_SECONDS)},
    "exports-expire": {"task": "jobs.tasks.exports_expire", "schedule": 15 * 60.0},
    # Booked medicine sessions whose approval expired or was used up are listed to their therapists.
    "dosing-gate-sweep": {"task": "dosing.tasks.medicine_gate_sweep", "schedule": 60 * 60.0},
    # Every signed record against its hash, the database guards and the audit seal (records/verify.py).
    "records-verify": {"task": "records.tasks.records_verify", "schedule": crontab(hour=3, minute=17)},
}
# Queues, so that a reminder never waits behind a large export and a summary never behind an export: the
# Procfile, the systemd units and compose run one worker pool per queue (`-Q reminders`, `-Q documents,celery`,
# `-Q exports`; README, "Growing from one server to several").
# A worker started without -Q (make run) takes them all. Tasks not named here go to the default queue, celery.
CELERY_TASK_QUEUES = [
    Queue(name, Exchange(name), routing_key=name) for name in ("celery", "reminders", "documents", "exports")
]
CELERY_TASK_ROUTES = {
    "jobs.tasks.reminders_dispatch": {"queue": "reminders"},
    "jobs.tasks.reminders_plan": {"queue": "reminders"},
    "jobs.tasks.outbox_deliver": {"queue": "reminders"},  # light database work; documents go on as tasks of theirs
    "jobs.tasks.outbox_sweep": {"queue": "reminders"},
    "jobs.tasks.summary_render": {"queue": "documents"},
    "jobs.tasks.documents_sweep": {"queue": "documents"},
    "jobs.tasks.export_build": {"queue": "exports"},
    "jobs.tasks.exports_expire": {"queue": "exports"},
}
# Beat sends a heartbeat to each queue; the worker that takes it writes the time, which /readyz checks (a queue
# whose last heartbeat is older than three intervals has no live worker). A heartbeat not taken within one
# interval expires, so a worker coming back does not work through a pile of them.
OPS_HEARTBEAT_SECONDS = env_int("OPS_HEARTBEAT_SECONDS", 30, minimum=1, maximum=600)
OPS_HEARTBEAT_QUEUES = ("reminders", "documents", "exports")
CELERY_BEAT_SCHEDULE.update(
    {
        f"ops-heartbeat-{queue}": {
            "task": "ops.tasks.heartbeat",
            "schedule": float(OPS_HEARTBEAT_SECONDS),
            "args": (queue,),
            "options": {"queue": queue, "expires": OPS_HEARTBEAT_SECONDS},
        }
        for queue in OPS_HEARTBEAT_QUEUES
    }
)
# A claim (reminder, summary, export) not finished in this time belongs to a worker that died. A claimed
# reminder is then sent by another worker; one that was already handed to the mail server is not (see jobs/).
JOBS_STALE_SECONDS = env_int("JOBS_STALE_SECONDS", 10 * 60, minimum=5, maximum=24 * 60 * 60)
# A reminder claim is a lease of this length, renewed by the sending worker every third of it while it works
# through its batch: the reminders of a worker that died are taken again by the first dispatch after the lease
# ends (JOBS_SWEEP_SECONDS later at most), not after JOBS_STALE_SECONDS. Keep it above EMAIL_TIMEOUT: a send
# still in the mail server's hands when its lease runs out is marked "unknown" for a person (never resent).
JOBS_REMINDER_LEASE_SECONDS = env_int("JOBS_REMINDER_LEASE_SECONDS", 60, minimum=3, maximum=60 * 60)
# The address patients and the SMS provider reach the app at, for links in messages and the provider's
# status callbacks (no request is at hand in a worker). In production it defaults to https:// the first host.
SITE_URL = env_str("SITE_URL", f"https://{ALLOWED_HOSTS[0]}" if PRODUCTION else "http://127.0.0.1:8000").rstrip("/")
if not SITE_URL.startswith("https://" if PRODUCTION else ("https://", "http://")):
    raise ImproperlyConfigured(f"SITE_URL={SITE_URL!r} must start with https:// in production (http:// locally).")
# Text messages: a dotted path to a backend class (jobs/sms.py). The local default only logs, without the text;
# production uses jobs.sms_twilio.TwilioSMSBackend (TWILIO_*) or turns text reminders off with SMS_REMINDERS=0.
# Production with text reminders on and a backend that only logs fails `check --deploy` (jobs/checks.py), says so
# at start, and plans no text reminders.
SMS_BACKEND = env_str("SMS_BACKEND", "jobs.sms.LoggingSMSBackend")
SMS_REMINDERS = env_bool("SMS_REMINDERS", True)
TWILIO_ACCOUNT_SID = env_str("TWILIO_ACCOUNT_SID", "")
TWILIO_AUTH_TOKEN = env_str("TWILIO_AUTH_TOKEN", "")
TWILIO_FROM = env_str("TWILIO_FROM", "")
TWILIO_MESSAGING_SERVICE_SID = env_str("TWILIO_MESSAGING_SERVICE_SID", "")
TWILIO_API_BASE_URL = env_str("TWILIO_API_BASE_URL", "")
# Case report exports are deleted this many hours after they are built.
EXPORT_EXPIRY_HOURS = env_int("EXPORT_EXPIRY_HOURS", 24, minimum=1, maximum=24 * 30)

# Sessions: signed out after the clinic's idle limit without activity (a clinic setting, default 15 minutes;
# a warning shows 2 minutes before) and, whatever the activity, SESSION_ABSOLUTE_LIMIT_HOURS after signing
# in (rule).
SESSION_IDLE_WARNING_SECONDS = 120
SESSION_ABSOLUTE_LIMIT_HOURS = 12
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_LIMIT_HOURS * 60 * 60  # the server-side session dies with the limit
SESSION_EXPIRE_AT_BROWSER_CLOSE = True  # shared clinic computers

# Sign-in lockouts: this many failures within the window lock the username (or the client address)
# for LOGIN_LOCKOUT_MINUTES, whether or not an account has that name.
LOGIN_FAILURES_PER_USERNAME = env_int("LOGIN_FAILURES_PER_USERNAME", 5, minimum=3, maximum=20)
LOGIN_FAILURES_PER_ADDRESS = env_int("LOGIN_FAILURES_PER_ADDRESS", 20, minimum=5, maximum=500)
LOGIN_FAILURE_WINDOW_MINUTES = env_int("LOGIN_FAILURE_WINDOW_MINUTES", 15, minimum=1, maximum=24 * 60)
LOGIN_LOCKOUT_MINUTES = env_int("LOGIN_LOCKOUT_MINUTES", 15, minimum=1, maximum=24 * 60)
# Reverse proxies in front of the app (production assumes one, as SECURE_PROXY_SSL_HEADER does): the
# client's address is read from X-Forwarded-For that many hops from the right. Wrong here, and the
# address lockout locks the proxy, i.e. everyone.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 1 if PRODUCTION else 0, minimum=0, maximum=5)
TWO_FACTOR_ISSUER = env_str("TWO_FACTOR_ISSUER", "KAP Couples")

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# No script, style or frame from anywhere but this server, and nothing inline.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    },
}

# Error reports: an unhandled error (a 500) is mailed to ADMINS ("Name <addr>, addr2", comma-separated) through a
# worker, never by SMTP inside the failing request (ops/error_reports.py), built by the PHI-safe reporter below.
# Optional Sentry when SENTRY_DSN is set, with the same scrubbing and send_default_pii off.
ADMINS = env_addresses("ADMINS")
SERVER_EMAIL = env_str("SERVER_EMAIL", DEFAULT_FROM_EMAIL)
EMAIL_SUBJECT_PREFIX = "[KAP Couples] "
SENTRY_DSN = env_str("SENTRY_DSN")
SENTRY_ENVIRONMENT = env_str("SENTRY_ENVIRONMENT", ENVIRONMENT)
SENTRY_TRACES_SAMPLE_RATE = 0.0  # errors only: traces would carry URLs and timings of every request

# Logs and error reports never carry PHI: query strings are cut from logged request lines, and error
# reports hide every POST value, query value and traceback variable.
DEFAULT_EXCEPTION_REPORTER = "audit.redaction.PHISafeExceptionReporter"
DEFAULT_EXCEPTION_REPORTER_FILTER = "audit.redaction.PHISafeExceptionReporterFilter"
# Production logs one JSON object a line (ops/logging.py) with the request id, and, per request, the method,
# path, status, duration and user id (kapcouples.request; gunicorn's own access log is off). Celery's workers
# log through the same handler and filters instead of their own.
LOG_FORMAT = env_choice("LOG_FORMAT", "json" if PRODUCTION else "plain", ("json", "plain"))
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "no_phi": {"()": "audit.redaction.DropQueryStringsFilter"},
        "task_errors": {"()": "ops.logging.TaskErrorsFilter"},
        "request_id": {"()": "ops.logging.RequestIdFilter"},
        "require_debug_false": {"()": "django.utils.log.RequireDebugFalse"},
    },
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "ops.logging.JSONFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["no_phi", "task_errors", "request_id"],
        },
        # ERROR records of Django (a 500, a refused Host header) to ADMINS, through a worker.
        "mail_admins": {
            "class": "ops.error_reports.AdminEmailThroughWorkerHandler",
            "level": "ERROR",
            "filters": ["require_debug_false", "no_phi"],
        },
    },
    "root": {"handlers": ["console"], "level": env_choice("LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR"))},
    "loggers": {
        # Replaces Django's default "django" logger, whose mail handler would send inline from the request (and
        # whose console handler printed every line twice locally); records still reach the root's console.
        "django": {"handlers": ["mail_admins"], "level": "INFO", "propagate": True},
        # runserver's request lines would otherwise print query strings (searches by a partner's name).
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        # One line per request; locally runserver already prints one.
        "kapcouples.request": {"level": "INFO" if PRODUCTION else "WARNING"},
        # WeasyPrint narrates every step of every PDF at INFO.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
