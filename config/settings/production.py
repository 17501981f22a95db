"""Production: every secret and address from the environment, no insecure defaults.

Refuses to start (ImproperlyConfigured) without SECRET_KEY, DATABASE_URL,
CELERY_BROKER_URL and ALLOWED_HOSTS. Behind a TLS-terminating reverse proxy
that sets X-Forwarded-Proto. Logs are JSON lines on stderr.
"""

import copy
from pathlib import Path

import dj_database_url

from config.env import envbool, envint, envlist, envsecret, envstr
from config.settings.base import *  # noqa: F403

DEBUG = envbool("DEBUG", False)
if DEBUG:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("DEBUG must be false with config.settings.production.")
SECRET_KEY = envsecret("SECRET_KEY")
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", [])
if not ALLOWED_HOSTS:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("The environment variable ALLOWED_HOSTS must be set.")
# Connections are kept for a while and health-checked before reuse.
DATABASES = {  # noqa: F405
    "default": dj_database_url.parse(
        envsecret("DATABASE_URL"),
        conn_max_age=envint("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
CELERY_BROKER_URL = envsecret("CELERY_BROKER_URL")
# One cache for all gunicorn workers and web nodes (public rate limits count per client,
# not per process): CACHE_URL, by default the broker's Redis. Keys carry a prefix, so
# sharing the broker's database is safe.
CACHE_URL = envstr("CACHE_URL", "").strip() or CELERY_BROKER_URL
if not CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        "CACHE_URL must be a redis:// URL (the broker is not Redis, so it cannot be the default)."
    )
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": CACHE_URL,
        "KEY_PREFIX": envstr("CACHE_KEY_PREFIX", "govmedia"),
        "TIMEOUT": 300,
    }
}
CELERY_TASK_ALWAYS_EAGER = envbool("CELERY_TASK_ALWAYS_EAGER", False)
# Let Django's LOGGING format the worker's lines too.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# With acks_late, Redis hands an unacknowledged job to another worker after this
# many seconds; keep it above the longest job.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": envint("CELERY_VISIBILITY_TIMEOUT", 3600)}
GOVMEDIA_DEMO = False
# Administrators need a verified second factor (TOTP) for /admin/ (docs/security.md).
ADMIN_OTP_REQUIRED = envbool("ADMIN_OTP_REQUIRED", True)

# A project static folder that a clone does not have (git keeps no empty folders) is no error.
STATICFILES_DIRS = [d for d in STATICFILES_DIRS if Path(d).is_dir()]  # noqa: F405
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "config.staticstorage.CompressedStaticFilesStorage"
        if envbool("STATIC_COMPRESS", False)
        else "config.staticstorage.StaticFilesStorage"
    },
}
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", True)
# /healthz is polled over plain HTTP by load balancers on the private network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])
# Printed into every notice's QR code: set it to the public address of the site.
PUBLIC_BASE_URL = envstr("PUBLIC_BASE_URL", f"https://{ALLOWED_HOSTS[0].lstrip('.')}")
# Links in e-mails (the inbox) and their sender; the inbox defaults to the public address.
GOVMEDIA_BASE_URL = envstr("GOVMEDIA_BASE_URL", PUBLIC_BASE_URL).rstrip("/")
if not GOVMEDIA_BASE_URL.startswith(("http://", "https://")):
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        f"GOVMEDIA_BASE_URL must start with http:// or https://, got {GOVMEDIA_BASE_URL!r}"
    )
_mail_host = ALLOWED_HOSTS[0].lstrip(".")
DEFAULT_FROM_EMAIL = envstr(
    "DEFAULT_FROM_EMAIL", f"noreply@{_mail_host if '*' not in _mail_host else 'localhost'}"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# The base LOGGING (and what apps add to it), with JSON lines instead of key=value text.
LOGGING = copy.deepcopy(LOGGING)  # noqa: F405
LOGGING["formatters"]["json"] = {"()": "config.jsonlog.JsonFormatter"}
LOGGING["handlers"]["console"]["formatter"] = "json"
LOGGING["loggers"].setdefault("weasyprint", {"level": "WARNING"})
LOGGING["loggers"].setdefault("fontTools", {"level": "WARNING"})

# Production signs with real seals and certificates only: no demo material (notices.signing).
NOTICE_DEMO_SEALS = False
NOTICE_ALLOW_SAMPLE_SEALS = False
