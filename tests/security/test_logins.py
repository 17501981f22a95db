"""Logins and tokens (issue 12 item 6, DESIGN §8): lockout per username and client on the
web, admin and API logins (the finding: 30 wrong passwords, then the right one logged in),
password rules, forced change of an initial password, self-service change, session
expiry, expiring tokens listed by prefix and revoked on password change and on request."""

from __future__ import annotations

import datetime
import time

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from lifecycle import passwords, services
from lifecycle.models import SecurityEvent
from lifecycle.signals import LOGIN_AT

pytestmark = pytest.mark.django_db
GOOD = "Qiu#Shui-2026x"
User = get_user_model()


@pytest.fixture(autouse=True)
def _fresh():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def zhang(nanjing):
    user = services.user_upsert(username="zhang", full_name="张三", password=GOOD,
                                memberships=[(nanjing.u.jy, "approver")])
    return user


def _web_login(client, password, username="zhang", path="/accounts/login/"):
    return client.post(path, {"username": username, "password": password})


def test_five_failures_lock_the_username_for_that_client_on_the_web(zhang, nanjing):
    client = Client(REMOTE_ADDR="10.0.0.1")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _web_login(client, "wrong").status_code == 200  # the form again
    assert _web_login(client, "wrong").status_code == 429  # the 5th failure locks
    response = _web_login(client, GOOD)
    assert response.status_code == 429 and "已被锁定" in response.content.decode()
    assert "_auth_user_id" not in client.session
    # another client (another address) and another user are not affected
    assert _web_login(Client(REMOTE_ADDR="10.0.0.2"), GOOD).status_code == 302
    services.user_upsert(username="li", full_name="李四", password=GOOD,
                         memberships=[(nanjing.u.jy, "approver")])
    assert _web_login(client, GOOD, username="li").status_code == 302
    kinds = set(SecurityEvent.objects.values_list("kind", flat=True))
    assert {"login_failed", "lockout", "login"} <= kinds


def test_the_admin_login_locks_too(zhang):
    zhang.is_staff = True
    zhang.save()
    client = Client(REMOTE_ADDR="10.0.0.3")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _web_login(client, "wrong", path="/admin/login/")
    assert _web_login(client, GOOD, path="/admin/login/").status_code == 429


def test_the_token_endpoint_locks_and_answers_json(zhang):
    client = APIClient(REMOTE_ADDR="10.0.0.4")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert client.post("/api/token/", {"username": "zhang", "password": "x"}).status_code == 400
    assert client.post("/api/token/", {"username": "zhang", "password": "x"}).status_code == 429
    response = client.post("/api/token/", {"username": "zhang", "password": GOOD})
    assert response.status_code == 429 and "已被锁定" in response.json()["detail"]


def test_the_security_administrator_unlocks(zhang):
    client = Client(REMOTE_ADDR="10.0.0.5")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _web_login(client, "wrong")
    assert AccessAttempt.objects.filter(username="zhang").exists()
    root = User.objects.create_superuser("root", "", "pw")
    admin = Client()
    admin.force_login(root)
    attempt = AccessAttempt.objects.get(username="zhang")
    response = admin.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert _web_login(client, GOOD).status_code == 302


def test_an_office_behind_one_address_logs_in_at_nine(nanjing):
    client = APIClient(REMOTE_ADDR="10.0.0.6")
    for n in range(40):  # 20/min was the old blanket limit
        services.user_upsert(username=f"clerk{n}", full_name=f"办事员{n}", password=GOOD,
                             memberships=[(nanjing.u.xl, "applicant")])
        response = client.post("/api/token/", {"username": f"clerk{n}", "password": GOOD})
        assert response.status_code == 200, (n, response.content)


@pytest.mark.parametrize("password,code", [
    ("zhangsan2026A", "password_too_similar"),  # like the username
    ("Zhang-San-2026", "password_too_similar"),
    ("abcdefghij", "password_too_simple"),
    ("Short1!", "password_too_short"),
])
def test_password_rules(zhang, password, code):
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as exc:
        validate_password(password, zhang)
    assert code in [e.code for e in exc.value.error_list], exc.value.messages
    validate_password("Lan#Tian-99-wide", zhang)  # a good one passes


def test_a_password_like_the_unit_name_is_refused(zhang, nanjing):
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as exc:
        validate_password("建邺区人民政府办公室Ab1", zhang)
    assert "password_too_similar" in [e.code for e in exc.value.error_list]
    with pytest.raises(ValidationError):
        validate_password("jy#Office-77", zhang)  # the unit's code... and its short name:
    with pytest.raises(ValidationError):
        validate_password("建政办@2026abc", zhang)


def test_self_service_change_refuses_the_last_five_and_revokes_tokens(zhang):
    client = Client()
    client.force_login(zhang)
    token = Token.objects.create(user=zhang)
    used = [GOOD]
    for n in range(5):
        new = f"Lan#Tian-{n}-wide"
        response = client.post("/accounts/password/", {
            "old_password": used[-1], "new_password1": new, "new_password2": new})
        assert response.status_code == 302, response.content.decode()[:3000]
        used.append(new)
    assert not Token.objects.filter(pk=token.pk).exists()
    for old in used[1:5]:  # the last five (the current one included) are refused
        response = client.post("/accounts/password/", {
            "old_password": used[-1], "new_password1": old, "new_password2": old})
        assert response.status_code == 200 and "最近 5 次" in response.content.decode()
    assert SecurityEvent.objects.filter(kind="password_changed", username="zhang").count() == 5


def test_an_initial_password_must_be_changed_first(zhang):
    passwords.require_change(zhang)
    client = Client()
    assert _web_login(client, GOOD).status_code == 302
    response = client.get("/workflow/inbox/")
    assert response.status_code == 302 and response["Location"] == "/accounts/password/"
    assert "请先设置自己的新密码" in client.get("/accounts/password/").content.decode()
    # no token before the change either
    assert APIClient().post("/api/token/", {"username": "zhang", "password": GOOD}).status_code == 403
    new = "Lan#Tian-first-1"
    response = client.post("/accounts/password/", {
        "old_password": GOOD, "new_password1": new, "new_password2": new})
    assert response.status_code == 302
    assert client.get("/workflow/inbox/").status_code == 200
    assert not passwords.must_change(zhang)


def test_sessions_expire_when_idle_and_absolutely(zhang):
    from lifecycle.signals import LAST_SEEN

    assert settings.SESSION_IDLE_SECONDS == 30 * 60
    client = Client()
    _web_login(client, GOOD)
    assert client.get("/workflow/inbox/").status_code == 200
    session = client.session
    session[LAST_SEEN] = int(time.time()) - settings.SESSION_IDLE_SECONDS - 1
    session.save()
    response = client.get("/workflow/inbox/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    _web_login(client, GOOD)
    assert client.get("/workflow/inbox/").status_code == 200
    session = client.session
    session[LOGIN_AT] = int(time.time()) - settings.SESSION_ABSOLUTE_SECONDS - 1
    session.save()
    response = client.get("/workflow/inbox/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert client.get("/workflow/inbox/").status_code == 302  # logged out


def test_tokens_expire_and_are_revoked_on_request(zhang):
    client = APIClient()
    key = client.post("/api/token/", {"username": "zhang", "password": GOOD}).json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/units/").status_code == 200
    assert client.delete("/api/token/").status_code == 204
    assert client.get("/api/units/").status_code == 401
    key = APIClient().post("/api/token/", {"username": "zhang", "password": GOOD}).json()["token"]
    Token.objects.filter(key=key).update(
        created=timezone.now() - datetime.timedelta(seconds=settings.API_TOKEN_TTL_SECONDS + 1))
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = client.get("/api/units/")
    assert response.status_code == 401 and "过期" in response.json()["detail"]
    assert not Token.objects.filter(key=key).exists()
    kinds = list(SecurityEvent.objects.values_list("kind", flat=True))
    assert kinds.count("token_issued") == 2 and kinds.count("token_revoked") == 2


def test_the_admin_lists_tokens_by_prefix_only(zhang):
    token = Token.objects.create(user=zhang)
    admin = Client()
    admin.force_login(User.objects.create_superuser("root", "", "pw"))
    html = admin.get("/admin/authtoken/tokenproxy/").content.decode()
    assert token.key[:8] in html and token.key not in html
    # revoked from the user's page (an action), never by its key
    response = admin.post("/admin/auth/user/", {"action": "revoke_tokens",
                                                "_selected_action": [zhang.pk]})
    assert response.status_code == 302 and not Token.objects.filter(user=zhang).exists()
    assert SecurityEvent.objects.filter(kind="token_revoked", target=f"user:{zhang.pk}").exists()
