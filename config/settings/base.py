"""Settings shared by every environment. Values come from the environment (config/env.py)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import dj_database_url

from config.env import envbool, envint, envlist, envstr

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(envstr("GOVMEDIA_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = envbool("DEBUG", False)
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_filters",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "sequences",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "viewflow",
    "viewflow.workflow",
    # The layers of DESIGN §3, lowest first (import-linter keeps imports pointing down).
    "lifecycle",
    "notices",
    "review",
    "approvals",
    "workbench",
    "portal",
    # The composition root, for its commands only (backup, restore: config/backup.py).
    "config.apps.SiteConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "config.middleware.UploadLimitMiddleware",
    "config.middleware.StripNulMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "config.middleware.RequestIdMiddleware",
    "config.middleware.DeniedLogMiddleware",
    "config.middleware.LoginRequiredExceptPublicMiddleware",
    "config.middleware.SessionLimitsMiddleware",
    "config.middleware.SecondFactorMiddleware",
    "workbench.middleware.ProcessScopeMiddleware",
    # Last: turns a lockout raised during authentication into its answer (config.auth).
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "config.auth.LockoutBackend",  # first: counts failures, refuses a locked client
    # before ModelBackend: the view permission every page's menu asks for is answered from
    # the request's memberships, not by two permission queries (has_perm: any backend's yes)
    "approvals.auth.MembershipBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]

# DATABASE_URL selects the database; the embedded default is one SQLite file under var/.
# SQLite transactions start IMMEDIATE so two concurrent writers queue on the database
# lock instead of failing on a lock upgrade (approvals.services.task_decide relies on it).
_default_db = f"sqlite:///{VAR_DIR / 'govmedia.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(envstr("DATABASE_URL", _default_db), conn_max_age=0)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 30}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": envint("PASSWORD_MIN_LENGTH", 10)}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "lifecycle.passwords.ComplexityValidator"},
    {"NAME": "lifecycle.passwords.NotLikeUserOrUnitValidator"},
    {"NAME": "lifecycle.passwords.HistoryValidator"},
]
PASSWORD_HISTORY = envint("PASSWORD_HISTORY", 5)  # no reuse of the last N passwords

# Logins (DESIGN §8, docs/security.md): N consecutive failures lock that username for that
# client (username + address) for a while; never more than 10 tries. The security
# administrator unlocks in the admin (django-axes' access attempts) or with `axes_reset`.
AXES_FAILURE_LIMIT = min(envint("LOGIN_FAILURE_LIMIT", 5), 10)
AXES_COOLOFF_TIME = timedelta(minutes=envint("LOGIN_LOCKOUT_MINUTES", 30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "config.auth.lockout_response"
AXES_VERBOSE = False

# A second factor (TOTP) for administrators (lifecycle.second_factor, docs/security.md):
# optional by default here and in the local demo (an administrator who enrolled must still
# give a code at every login); production.py requires it for /admin/ unless the
# environment says ADMIN_OTP_REQUIRED=false.
ADMIN_OTP_REQUIRED = envbool("ADMIN_OTP_REQUIRED", False)
OTP_TOTP_ISSUER = envstr("OTP_TOTP_ISSUER", "govmedia")
OTP_TOTP_THROTTLE_FACTOR = 1  # wrong codes: 1 s, 2 s, 4 s … before the next try

# Sessions: idle expiry and an absolute limit from login (config.middleware
# .SessionLimitsMiddleware; the last-seen time is written at most once a minute, so a page
# costs no session write).
SESSION_IDLE_SECONDS = envint("SESSION_IDLE_MINUTES", 30) * 60
SESSION_ABSOLUTE_SECONDS = envint("SESSION_ABSOLUTE_HOURS", 10) * 3600
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_SECONDS
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# Request bodies (uploads included) are capped in Django, not only in the web server.
MAX_REQUEST_BYTES = envint("MAX_REQUEST_MB", 20) * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024  # form fields and JSON bodies
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
MAX_UPLOAD_FILE_BYTES = envint("MAX_UPLOAD_FILE_MB", 10) * 1024 * 1024
# Anonymous requests (the public pages and /api/public/: a PDF uploaded for verification)
# are capped lower: the file at PUBLIC_VERIFY_UPLOAD_MB, the whole body 1 MB above it (413).
PUBLIC_VERIFY_UPLOAD_MB = envint("PUBLIC_VERIFY_UPLOAD_MB", 10)
MAX_PUBLIC_REQUEST_BYTES = (PUBLIC_VERIFY_UPLOAD_MB + 1) * 1024 * 1024

# API tokens expire (and die with a password change, and on DELETE /api/token/).
API_TOKEN_TTL_SECONDS = envint("API_TOKEN_TTL_HOURS", 24 * 7) * 3600

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(envstr("MEDIA_ROOT", str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

SECRET_KEY = envstr("SECRET_KEY", "")

# Jobs: eager (in-process) by default; production sets CELERY_BROKER_URL and
# CELERY_TASK_ALWAYS_EAGER=false.
CELERY_BROKER_URL = envstr("CELERY_BROKER_URL", "memory://localhost/")
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = envbool("CELERY_TASK_ALWAYS_EAGER", True)
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "config.auth.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "lifecycle.api_base.Pagination",  # + ?page_size=
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "config.api_schema.ApiAutoSchema",  # + the error answers
    "DEFAULT_PARSER_CLASSES": [
        "config.api_errors.NulSafeJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    # Service errors → 400 (ValidationError), 409 (task conflict, stale transition), 403.
    "EXCEPTION_HANDLER": "config.api_errors.api_exception_handler",
    # Per client. `public`: the no-login lookups (successor, verify); `login`: POST
    # /api/token/ on its own, so busy public lookups never lock users out (and guessed
    # passwords still end in 429).
    "DEFAULT_THROTTLE_RATES": {
        "public": envstr("PUBLIC_RATE_LIMIT", "60/min"),
        # A generous ceiling per address (a whole office behind one NAT logs in at 9:00);
        # guessing is stopped by the per-username lockout (AXES_*), not by this.
        "login": envstr("LOGIN_RATE_LIMIT", "600/min"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "govmedia API",
    "DESCRIPTION": "Lifecycle of government new-media accounts (政务新媒体).",
    "VERSION": "1.0.0",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Fonts of the machine, not Redoc's web fonts (templates/api/redoc.html loads none).
    "REDOC_UI_SETTINGS": {"theme": {"typography": {
        "fontFamily": '"Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif',
        "headings": {"fontFamily": '"Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", '
                                   "sans-serif"},
        "code": {"fontFamily": '"Noto Sans Mono CJK SC", Consolas, monospace'},
    }}},
    "SERVE_INCLUDE_SCHEMA": False,
}

# Per-process memory locally and in tests; production.py uses Redis (CACHE_URL), so the
# public rate limits (portal.views.rate_limited, DRF throttles) are shared by
# every gunicorn worker and web node.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# How many reverse proxies in front of gunicorn append to X-Forwarded-For (nginx with
# $proxy_add_x_forwarded_for: 1; a load balancer before nginx: 2). 0 = none: the peer
# address is the client. Rate limits use it (portal.views.client_ip, DRF's
# NUM_PROXIES); set it too high and clients can choose their own address.
TRUSTED_PROXY_COUNT = envint("TRUSTED_PROXY_COUNT", 0)
if TRUSTED_PROXY_COUNT < 0:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(f"TRUSTED_PROXY_COUNT must be 0 or more, got {TRUSTED_PROXY_COUNT}")
REST_FRAMEWORK["NUM_PROXIES"] = TRUSTED_PROXY_COUNT

# Domain settings (DESIGN §6–§8).
NOTICE_PERIOD_WORKING_DAYS = envint("NOTICE_PERIOD_WORKING_DAYS", 15)
TASK_DUE_WORKING_DAYS = envint("TASK_DUE_WORKING_DAYS", 5)
RECTIFICATION_WORKING_DAYS = envint("RECTIFICATION_WORKING_DAYS", 10)
# Filing deadlines (issue 14 item 5): opening, change, closure and deregistration are filed on
# the provincial platform and the national 报送系统 within this many working days (湖北: 5);
# FILING_WORKING_DAYS_BY_PROVINCE overrides it per province unit code, e.g. "HB=5,GD=10".
FILING_WORKING_DAYS = envint("FILING_WORKING_DAYS", 5)
FILING_WORKING_DAYS_BY_PROVINCE = {
    code.strip(): int(days)
    for code, _sep, days in (
        item.partition("=") for item in envlist("FILING_WORKING_DAYS_BY_PROVINCE", []) if item.strip()
    )
}
PUBLIC_BASE_URL = envstr("PUBLIC_BASE_URL", "http://127.0.0.1:8000")
# Extra holidays and make-up workdays on top of chinese-calendar (lifecycle.workdays), for
# years the installed package does not know yet: a JSON or CSV file (docs/deploy.md,
# template docs/workday-calendar-2027.json). Read once at start: a malformed file stops it.
WORKDAY_CALENDAR_FILE = envstr("WORKDAY_CALENDAR_FILE", "").strip()
if WORKDAY_CALENDAR_FILE:
    # Imported only when a file is configured: settings load before Django is set up, so
    # they import no app module unconditionally (this one also pulls in chinese-calendar).
    from lifecycle.workdays import load_extension

    load_extension(WORKDAY_CALENDAR_FILE)  # raises ImproperlyConfigured naming the bad entry
# ---- E-mail: task reminders and overdue escalations (approvals.run_due_mail) ---------------
# SMTP from the environment; settings.local writes files under var/mail/ instead and
# settings.test keeps messages in memory (django.core.mail.outbox).
EMAIL_BACKEND = envstr("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = envstr("EMAIL_HOST", "localhost")
EMAIL_PORT = envint("EMAIL_PORT", 25)
EMAIL_HOST_USER = envstr("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = envstr("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", False)  # STARTTLS, usually port 587
EMAIL_USE_SSL = envbool("EMAIL_USE_SSL", False)  # implicit TLS, usually port 465
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("EMAIL_USE_TLS and EMAIL_USE_SSL are exclusive: set one of them.")
# Seconds before an unreachable mail server counts as a failed send (run_due goes on).
EMAIL_TIMEOUT = envint("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = envstr("DEFAULT_FROM_EMAIL", "govmedia@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Where users open the inbox: the absolute links to task pages in e-mails.
GOVMEDIA_BASE_URL = envstr("GOVMEDIA_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
if not GOVMEDIA_BASE_URL.startswith(("http://", "https://")):
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        f"GOVMEDIA_BASE_URL must start with http:// or https://, got {GOVMEDIA_BASE_URL!r}"
    )
# Open tasks are reminded by e-mail once, this many working days before their due date.
TASK_REMIND_WORKING_DAYS = envint("TASK_REMIND_WORKING_DAYS", 2)
NOTICE_SERIES_WORDS = {
    "announcement": "公告",
    "approval": "复",
    "order": "发",
    "letter": "函",
    "receipt": "备",
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "line": {"format": "%(asctime)s level=%(levelname)s logger=%(name)s %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "line"}},
    "root": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# ---- Notices (notices/, DESIGN §7) -------------------------------------------------------
# Font stack per typographic role of GB/T 9704. The first installed family wins; the Noto
# CJK fallbacks come from Debian's fonts-noto-cjk (no free Simplified 仿宋 exists there).
# notices.rendering.check_fonts refuses to render when no family of a role is installed.
NOTICE_FONTS = {
    "fangsong": {  # body text, 3号 仿宋
        "families": ["FangSong", "仿宋", "FangSong_GB2312", "仿宋_GB2312", "Noto Serif CJK SC"],
        "weight": 400,
    },
    "xiaobiaosong": {  # red header and title, 小标宋
        "families": ["FZXiaoBiaoSong-B05S", "方正小标宋简体", "Noto Serif CJK SC"],
        "weight": 700,
    },
    "heiti": {  # first-level headings 一、
        "families": ["SimHei", "黑体", "Noto Sans CJK SC"],
        "weight": 400,
    },
    "kaiti": {  # second-level headings （一）
        "families": ["KaiTi", "楷体", "AR PL UKai CN", "LXGW WenKai", "Noto Serif CJK SC"],
        "weight": 400,
    },
    "songti": {  # page numbers, 宋体
        "families": ["SimSun", "宋体", "Noto Serif CJK SC"],
        "weight": 400,
    },
}
# Where issued PDFs live inside MEDIA_ROOT.
NOTICE_UPLOAD_DIR = "notices"
# A render longer than this (seconds) fails cleanly and is retried later: the Celery task's
# soft limit (hard limit +30 s) and an in-process guard for eager jobs and the command.
NOTICE_RENDER_TIME_LIMIT = envint("NOTICE_RENDER_TIME_LIMIT", 120)
# Pending notices older than this are picked up again by `render_notices` (seconds).
NOTICE_PENDING_RETRY_AFTER = envint("NOTICE_PENDING_RETRY_AFTER", 300)
# Electronic seals and PAdES signatures (notices.signing). Private keys are stored encrypted
# with this passphrase (default: derived from SECRET_KEY; set it separately in production).
NOTICE_KEY_PASSPHRASE = envstr("NOTICE_KEY_PASSPHRASE", "")
# Demo material (a local demo CA, per-unit certificates, seals marked 「样章」): created on
# demand for a unit without a seal, and accepted for signing. Production refuses both.
NOTICE_DEMO_SEALS = envbool("NOTICE_DEMO_SEALS", True)
NOTICE_ALLOW_SAMPLE_SEALS = envbool("NOTICE_ALLOW_SAMPLE_SEALS", True)
# Seal diameter on the page (mm); the seal is the visible appearance of the signature.
NOTICE_SEAL_DIAMETER_MM = 36
# WeasyPrint logs every layout step at INFO; keep its warnings only.
LOGGING["loggers"]["weasyprint.progress"] = {"level": "WARNING"}
# ---- end Notices --------------------------------------------------------------------------
