"""A second factor (TOTP, django-otp) for administrators (issue 12 item 6; lifecycle
.second_factor, config.otp): enrolment with a QR code and backup codes, the code after the
password on the web, admin and API logins, lockout on repeated wrong codes, the security
administrator's reset, and ADMIN_OTP_REQUIRED closing /admin/ to an administrator
without a device. Ordinary users are unaffected."""

from __future__ import annotations

import time

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from lifecycle import services
from lifecycle.models import SecurityEvent
from tests.lifecycle.import_files import run

pytestmark = pytest.mark.django_db
User = get_user_model()
GOOD = "Qiu#Shui-2026x"


@pytest.fixture(autouse=True)
def _fresh():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def sysadmin(nanjing):
    return services.user_upsert(username="sysadmin", full_name="系统管理员", password=GOOD,
                                memberships=[(nanjing.u.nj, "admin")])


def code(device: TOTPDevice, *, ahead: int = 0) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + ahead * device.step
    return f"{totp.token():06d}"


def enrol(user) -> TOTPDevice:
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    backup = StaticDevice.objects.create(user=user, name="backup", confirmed=True)
    StaticToken.objects.create(device=backup, token="backup01")
    return device


def kinds(user=None):
    rows = SecurityEvent.objects.order_by("pk")
    if user is not None:
        rows = rows.filter(username=user.get_username())
    return list(rows.values_list("kind", flat=True))


def login(client, user, path="/accounts/login/"):
    return client.post(path, {"username": user.get_username(), "password": GOOD,
                              "next": "/admin/"})


def test_enrolment_shows_the_qr_code_and_secret_and_confirms_with_one_code(sysadmin):
    client = Client()
    client.force_login(sysadmin)
    page = client.get("/accounts/otp/")
    html = page.content.decode()
    assert page.status_code == 200 and page["Cache-Control"] == "no-store"
    assert 'data-testid="otp-qr"><svg' in html
    device = TOTPDevice.objects.get(user=sysadmin, confirmed=False)
    secret = html.split('data-testid="otp-secret">')[1].split("<")[0].replace(" ", "")
    import base64

    assert base64.b32decode(secret + "=" * (-len(secret) % 8)) == device.bin_key

    wrong = client.post("/accounts/otp/", {"otp": "000000" if code(device) != "000000" else "1"})
    assert "动态验证码不正确或已过期" in wrong.content.decode()
    assert not TOTPDevice.objects.filter(user=sysadmin, confirmed=True).exists()
    assert kinds(sysadmin)[-1] == "otp_failed"
    time.sleep(1.1)  # django-otp's delay after a wrong code

    done = client.post("/accounts/otp/", {"otp": code(device)})
    html = done.content.decode()
    assert 'data-testid="otp-backup-codes"' in html
    device.refresh_from_db()
    assert device.confirmed
    backup = StaticDevice.objects.get(user=sysadmin)
    codes = list(backup.token_set.values_list("token", flat=True))
    assert len(codes) == 10 and all(c in html for c in codes)
    assert kinds(sysadmin)[-1] == "otp_enrolled"
    # shown once: the page now offers a new enrolment, never the old codes
    again = client.get("/accounts/otp/").content.decode()
    assert not any(c in again for c in codes) and 'data-testid="otp-status"' in again


def test_ordinary_users_have_no_enrolment_page(nanjing):
    clerk = services.user_upsert(username="clerk", full_name="填报员", password=GOOD,
                                 memberships=[(nanjing.u.jy, "applicant")])
    client = Client()
    client.force_login(clerk)
    assert client.get("/accounts/otp/").status_code == 404


@pytest.mark.parametrize("path", ["/accounts/login/", "/admin/login/"])
def test_a_login_with_a_device_asks_for_the_code_after_the_password(sysadmin, path):
    device = enrol(sysadmin)
    client = Client(REMOTE_ADDR="10.0.0.7")
    response = login(client, sysadmin, path)
    assert response.status_code == 302
    # the password alone opens nothing: every page leads to the code step
    for page in ("/admin/", "/", "/accounts/password/"):
        step = client.get(page)
        assert step.status_code == 302 and step["Location"].startswith("/accounts/login/otp/")
    assert client.get("/api/accounts/").status_code == 401

    wrong = client.post("/accounts/login/otp/", {"otp": "12345x", "next": "/admin/"})
    assert wrong.status_code == 200 and "动态验证码不正确或已过期" in wrong.content.decode()
    assert kinds(sysadmin)[-1] == "otp_failed"
    assert client.get("/admin/").status_code == 302
    too_soon = client.post("/accounts/login/otp/", {"otp": code(device), "next": "/admin/"})
    assert "错误次数过多" in too_soon.content.decode()  # django-otp: 1 s after a wrong code
    time.sleep(2.1)  # then 2 s after the second

    ok = client.post("/accounts/login/otp/", {"otp": code(device), "next": "/admin/"})
    assert ok.status_code == 302 and ok["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    assert kinds(sysadmin)[-1] == "otp_verified"


def test_a_backup_code_works_once(sysadmin):
    enrol(sysadmin)
    first = Client()
    login(first, sysadmin)
    assert first.post("/accounts/login/otp/", {"otp": "backup01"}).status_code == 302
    assert first.get("/admin/").status_code == 200
    second = Client()
    login(second, sysadmin)
    assert second.post("/accounts/login/otp/", {"otp": "backup01"}).status_code == 200
    assert second.get("/admin/").status_code == 302


def test_repeated_wrong_codes_lock_the_login_and_end_the_session(sysadmin):
    device = enrol(sysadmin)
    client = Client(REMOTE_ADDR="10.0.0.8")
    login(client, sysadmin)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert client.post("/accounts/login/otp/", {"otp": "000001"}).status_code == 200
    locked = client.post("/accounts/login/otp/", {"otp": "000001"})
    assert locked.status_code == 429 and "已被锁定" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    # the right password and the right code no longer get in from that client
    assert login(client, sysadmin).status_code == 429
    assert kinds(sysadmin).count("otp_failed") == settings.AXES_FAILURE_LIMIT
    assert "lockout" in kinds(sysadmin)
    # django-otp throttles the device too (kept across logins)
    device.refresh_from_db()
    assert device.throttling_failure_count >= 1 and not device.verify_is_allowed()[0]


def test_required_second_factor_closes_the_admin_until_enrolled(sysadmin, settings):
    settings.ADMIN_OTP_REQUIRED = True
    client = Client()
    login(client, sysadmin)
    blocked = client.get("/admin/")
    assert blocked.status_code == 302 and blocked["Location"].startswith("/accounts/otp/")
    assert client.get("/admin/auth/user/").status_code == 302
    page = client.get("/accounts/otp/")
    assert "管理后台要求双因素认证" in page.content.decode()
    device = TOTPDevice.objects.get(user=sysadmin, confirmed=False)
    client.post("/accounts/otp/", {"otp": code(device)})
    assert client.get("/admin/").status_code == 200


def test_optional_second_factor_leaves_an_unenrolled_admin_in(sysadmin):
    assert settings.ADMIN_OTP_REQUIRED is False
    client = Client()
    login(client, sysadmin)
    page = client.get("/admin/")
    assert page.status_code == 200
    assert 'href="/accounts/otp/" data-testid="admin-otp-link"' in page.content.decode()


def test_the_security_administrator_resets_a_users_devices(sysadmin, nanjing):
    enrol(sysadmin)
    sec = services.user_upsert(username="secadmin", full_name="安全管理员", password=GOOD)
    auditor = services.user_upsert(username="auditor", full_name="安全审计员", password=GOOD)
    assert run("admin_role", "secadmin", "security").code == 0
    assert run("admin_role", "auditor", "audit").code == 0
    device = TOTPDevice.objects.get(user=sysadmin)
    action = {"action": "reset_devices", "_selected_action": [device.pk]}
    url = "/admin/otp_totp/totpdevice/"

    other_admin = services.user_upsert(username="sysadmin2", full_name="系统管理员二",
                                       password=GOOD, memberships=[(nanjing.u.nj, "admin")])
    for outsider in (User.objects.get(pk=auditor.pk), other_admin):
        client = Client()
        client.force_login(outsider)
        assert client.post(url, action).status_code == 403
    assert TOTPDevice.objects.filter(user=sysadmin).exists()

    client = Client()
    client.force_login(User.objects.get(pk=sec.pk))
    listing = client.get(url).content.decode()
    assert "sysadmin" in listing and device.key not in listing
    assert client.post(url, action).status_code == 302
    assert not TOTPDevice.objects.filter(user=sysadmin).exists()
    assert not StaticDevice.objects.filter(user=sysadmin).exists()
    event = SecurityEvent.objects.filter(kind="otp_reset").get()
    assert event.username == "secadmin" and event.target == f"user:{sysadmin.pk}"
    # the next login needs the password only
    fresh = Client()
    login(fresh, sysadmin)
    assert fresh.get("/admin/").status_code == 200


def test_the_token_endpoint_wants_the_code_from_an_enrolled_administrator(sysadmin, nanjing):
    device = enrol(sysadmin)
    api = APIClient(REMOTE_ADDR="10.0.0.9")
    creds = {"username": "sysadmin", "password": GOOD}
    missing = api.post("/api/token/", creds, format="json")
    assert missing.status_code == 400 and "otp" in missing.json()
    wrong = api.post("/api/token/", {**creds, "otp": "999999x"}, format="json")
    assert wrong.status_code == 400 and wrong.json()["otp"] == ["动态验证码不正确或已过期。"]
    assert kinds(sysadmin)[-1] == "otp_failed"
    time.sleep(1.1)  # django-otp's delay after a wrong code
    ok = api.post("/api/token/", {**creds, "otp": code(device)}, format="json")
    assert ok.status_code == 200 and ok.json()["token"]
    # ordinary users: DESIGN §8 unchanged ({username, password} → {token})
    services.user_upsert(username="clerk", full_name="填报员", password=GOOD,
                         memberships=[(nanjing.u.jy, "applicant")])
    plain = api.post("/api/token/", {"username": "clerk", "password": GOOD}, format="json")
    assert plain.status_code == 200 and set(plain.json()) == {"token"}


def test_the_token_endpoint_refuses_an_unenrolled_administrator_when_required(sysadmin,
                                                                               settings):
    settings.ADMIN_OTP_REQUIRED = True
    response = APIClient().post("/api/token/", {"username": "sysadmin", "password": GOOD},
                                format="json")
    assert response.status_code == 403 and "/accounts/otp/" in response.json()["detail"]
