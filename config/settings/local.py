"""Embedded default for `make run`: SQLite under var/, jobs in-process, demo data allowed."""

from config.env import envbool, envstr
from config.settings.base import *  # noqa: F403

# The demo shows our own error pages, as production does (DEBUG=true brings Django's
# technical pages back for development); WhiteNoise serves static files from the apps
# without collectstatic.
DEBUG = envbool("DEBUG", False)
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# Local-only fallback so `make run` works on a fresh clone; production.py has no default.
SECRET_KEY = envstr("SECRET_KEY", "local-development-only-not-secret")  # noqa: F405
GOVMEDIA_DEMO = True
# E-mail is written as files under var/mail/ (one per run_due batch), not sent.
EMAIL_BACKEND = envstr("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = envstr("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))  # noqa: F405
