"""Test settings: eager jobs, fast hashing, media in a temporary folder."""

import tempfile

from config.env import envbool, envstr
from config.settings.base import *  # noqa: F403

SECRET_KEY = "test-only-not-secret"
DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CELERY_TASK_ALWAYS_EAGER = envbool("CELERY_TASK_ALWAYS_EAGER", True)
MEDIA_ROOT = envstr("MEDIA_ROOT", tempfile.mkdtemp(prefix="govmedia-media-"))
ALLOWED_HOSTS = ["*"]
GOVMEDIA_DEMO = True
# Never a real server from the tests, whatever the environment says (mail.outbox).
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
GOVMEDIA_BASE_URL = "http://govmedia.test"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# A file database (not shared-cache memory) so threads in concurrency tests get real
# SQLite locking; the pid keeps parallel test runs on one machine apart.
import os  # noqa: E402

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}  # noqa: F405
