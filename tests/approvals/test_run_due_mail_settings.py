"""E-mail settings: SMTP and the link base from the environment in production, files under
var/ locally, memory in tests; contradictory or malformed values stop the start."""

from __future__ import annotations

import json

from django.conf import settings

from tests.test_settings_production import _run

MAIL_VARS = ("EMAIL_BACKEND", "EMAIL_HOST", "EMAIL_PORT", "EMAIL_HOST_USER",
             "EMAIL_HOST_PASSWORD", "EMAIL_USE_TLS", "EMAIL_USE_SSL", "EMAIL_TIMEOUT",
             "DEFAULT_FROM_EMAIL", "EMAIL_FILE_PATH")
PROBE = (
    "import django, json; django.setup(); from django.conf import settings as s;"
    "print(json.dumps({k: str(getattr(s, k)) for k in ("
    "'EMAIL_BACKEND', 'EMAIL_HOST', 'EMAIL_PORT', 'EMAIL_HOST_USER', 'EMAIL_HOST_PASSWORD',"
    " 'EMAIL_USE_TLS', 'EMAIL_USE_SSL', 'EMAIL_TIMEOUT', 'DEFAULT_FROM_EMAIL',"
    " 'GOVMEDIA_BASE_URL', 'TASK_REMIND_WORKING_DAYS')}))"
)


def _settings(env: dict[str, str | None]) -> dict[str, str]:
    result = _run(["-c", PROBE], {**dict.fromkeys(MAIL_VARS), **env})
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_it_uses_locmem_in_tests():
    assert settings.EMAIL_BACKEND == "django.core.mail.backends.locmem.EmailBackend"


def test_it_reads_smtp_settings_from_the_environment_in_production():
    values = _settings({
        "EMAIL_HOST": "smtp.example.gov.cn", "EMAIL_PORT": "587",
        "EMAIL_HOST_USER": "govmedia", "EMAIL_HOST_PASSWORD": "s3cret",
        "EMAIL_USE_TLS": "true", "DEFAULT_FROM_EMAIL": "政务新媒体 <noreply@example.gov.cn>",
        "GOVMEDIA_BASE_URL": "https://inbox.example.gov.cn/",
    })
    assert values == {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "smtp.example.gov.cn",
        "EMAIL_PORT": "587",
        "EMAIL_HOST_USER": "govmedia",
        "EMAIL_HOST_PASSWORD": "s3cret",
        "EMAIL_USE_TLS": "True",
        "EMAIL_USE_SSL": "False",
        "EMAIL_TIMEOUT": "10",
        "DEFAULT_FROM_EMAIL": "政务新媒体 <noreply@example.gov.cn>",
        "GOVMEDIA_BASE_URL": "https://inbox.example.gov.cn",
        "TASK_REMIND_WORKING_DAYS": "2",
    }


def test_it_defaults_links_and_sender_to_the_site_in_production():
    values = _settings({})
    assert values["GOVMEDIA_BASE_URL"] == "https://govmedia.example.gov.cn"
    assert values["DEFAULT_FROM_EMAIL"] == "noreply@govmedia.example.gov.cn"


def test_it_writes_files_under_var_locally(tmp_path):
    values = _settings({"DJANGO_SETTINGS_MODULE": "config.settings.local",
                        "GOVMEDIA_VAR_DIR": str(tmp_path)})
    assert values["EMAIL_BACKEND"] == "django.core.mail.backends.filebased.EmailBackend"
    assert values["GOVMEDIA_BASE_URL"] == "http://127.0.0.1:8000"


def test_it_refuses_tls_and_ssl_together():
    result = _run(["-c", "import django; django.setup()"],
                  {"EMAIL_USE_TLS": "true", "EMAIL_USE_SSL": "true"})
    assert result.returncode != 0
    assert "EMAIL_USE_TLS and EMAIL_USE_SSL are exclusive" in result.stderr


def test_it_refuses_a_base_url_without_scheme():
    result = _run(["-c", "import django; django.setup()"],
                  {"GOVMEDIA_BASE_URL": "inbox.example.gov.cn"})
    assert result.returncode != 0
    assert "GOVMEDIA_BASE_URL must start with http:// or https://" in result.stderr


def test_it_refuses_a_malformed_port():
    result = _run(["-c", "import django; django.setup()"], {"EMAIL_PORT": "smtp"})
    assert result.returncode != 0
    assert "EMAIL_PORT must be an integer" in result.stderr
