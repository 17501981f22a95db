"""config.settings.production: no insecure defaults, and `check --deploy` is clean."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from config.jsonlog import JsonFormatter

ROOT = Path(__file__).resolve().parent.parent

PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    # 64 random-looking characters: passes security.W009.
    "SECRET_KEY": "pT3v9Qx7Lm2Zr8Kc4Wn6Hy1Bd5Fg0Js-Ua_Ve3Xo7Ri9Tl2Np4Sq6Ek8Mz1Cw5Gh",
    "DATABASE_URL": "postgres://govmedia@127.0.0.1:5432/govmedia",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
    "ALLOWED_HOSTS": "govmedia.example.gov.cn",
}


# Variables of the test run itself that a production process would not have.
_NOT_INHERITED = (
    *PRODUCTION_ENV,
    "DEBUG",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
    "CELERY_",
    "GOVMEDIA_",
    "MEDIA_ROOT",
    "PUBLIC_BASE_URL",
)


def _run(args: list[str], env_changes: dict[str, str | None]) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_NOT_INHERITED)}
    env.update(PRODUCTION_ENV)
    for key, value in env_changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_it_passes_check_deploy_without_warnings():
    result = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], {})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNINGS" not in result.stdout + result.stderr


@pytest.mark.parametrize("name", ["SECRET_KEY", "DATABASE_URL", "CELERY_BROKER_URL", "ALLOWED_HOSTS"])
def test_it_refuses_to_start_without(name):
    result = _run(["-c", "import django; django.setup()"], {name: None})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert f"The environment variable {name} must be set." in result.stderr


def test_it_refuses_an_empty_secret_key():
    result = _run(["-c", "import django; django.setup()"], {"SECRET_KEY": "  "})
    assert result.returncode != 0
    assert "The environment variable SECRET_KEY must be set." in result.stderr


def test_it_refuses_debug():
    result = _run(["-c", "import django; django.setup()"], {"DEBUG": "true"})
    assert result.returncode != 0
    assert "DEBUG must be false" in result.stderr


def test_it_hands_production_values_to_django_and_celery():
    probe = (
        "import django, json; django.setup();"
        "from django.conf import settings; from config.celery import app;"
        "db = settings.DATABASES['default'];"
        "print(json.dumps({'engine': db['ENGINE'], 'name': db['NAME'], 'debug': settings.DEBUG,"
        " 'eager': app.conf.task_always_eager, 'broker': app.conf.broker_url,"
        " 'acks_late': app.conf.task_acks_late,"
        " 'reject_on_worker_lost': app.conf.task_reject_on_worker_lost,"
        " 'prefetch': app.conf.worker_prefetch_multiplier,"
        " 'hijack': app.conf.worker_hijack_root_logger,"
        " 'static': settings.STORAGES['staticfiles']['BACKEND'],"
        " 'whitenoise': 'whitenoise.middleware.WhiteNoiseMiddleware' in settings.MIDDLEWARE,"
        " 'public_base_url': settings.PUBLIC_BASE_URL}))"
    )
    result = _run(["-c", probe], {})
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values == {
        "engine": "django.db.backends.postgresql",
        "name": "govmedia",
        "debug": False,
        "eager": False,
        "broker": "redis://127.0.0.1:6379/0",
        "acks_late": True,
        "reject_on_worker_lost": True,
        "prefetch": 1,
        "hijack": False,
        "static": "config.staticstorage.StaticFilesStorage",
        "whitenoise": True,
        "public_base_url": "https://govmedia.example.gov.cn",
    }


def test_it_logs_one_json_object_per_line():
    record = logging.LogRecord("govmedia.jobs", logging.INFO, __file__, 1, "event=%s n=%d", ("x", 2), None)
    line = JsonFormatter().format(record)
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["level"] == "INFO"
    assert entry["logger"] == "govmedia.jobs"
    assert entry["msg"] == "event=x n=2"
    assert entry["ts"].startswith("20")


def test_it_collects_static_files_with_hashed_names(tmp_path):
    result = _run(
        ["manage.py", "collectstatic", "--no-input", "-v", "1"], {"GOVMEDIA_VAR_DIR": str(tmp_path)}
    )
    assert result.returncode == 0, result.stdout + result.stderr
    manifest = json.loads((tmp_path / "static" / "staticfiles.json").read_text())
    hashed = manifest["paths"]["rest_framework/css/bootstrap.min.css"]
    assert hashed != "rest_framework/css/bootstrap.min.css"
    assert (tmp_path / "static" / hashed).exists()
    # viewflow's CSS names fonts it does not ship: logged, not fatal.
    assert "missing_reference=viewflow/fonts/roboto" in result.stderr
