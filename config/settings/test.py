"""Test settings: eager jobs, fast hashing, media in a temporary folder."""

import tempfile

from config.env import envbool, envstr

from .base import *  # noqa: F403

SECRET_KEY = "test-only-not-secret"
DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CELERY_TASK_ALWAYS_EAGER = envbool("CELERY_TASK_ALWAYS_EAGER", True)
MEDIA_ROOT = envstr("MEDIA_ROOT", tempfile.mkdtemp(prefix="govmedia-media-"))
ALLOWED_HOSTS = ["*"]
GOVMEDIA_DEMO = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
