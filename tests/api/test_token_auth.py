"""POST /api/token/ and how every other route authenticates (token or session)."""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token

pytestmark = pytest.mark.django_db


def test_it_issues_a_token_for_good_credentials(nanjing, anon):
    response = anon.post("/api/token/", {"username": "xl_clerk", "password": "pw"}, format="json")
    assert response.status_code == 200
    assert response.json() == {"token": Token.objects.get(user=nanjing.p.xl_clerk).key}


def test_it_returns_the_same_token_twice(nanjing, anon):
    first = anon.post("/api/token/", {"username": "xl_clerk", "password": "pw"}, format="json")
    second = anon.post("/api/token/", {"username": "xl_clerk", "password": "pw"}, format="json")
    assert first.json() == second.json()


def test_it_refuses_bad_credentials_with_400(nanjing, anon):
    response = anon.post("/api/token/", {"username": "xl_clerk", "password": "nope"}, format="json")
    assert response.status_code == 400
    assert response.json()["non_field_errors"]
    assert not Token.objects.exists()


@pytest.mark.parametrize("missing", ["username", "password"])
def test_it_names_the_missing_field(nanjing, anon, missing):
    body = {"username": "xl_clerk", "password": "pw"}
    del body[missing]
    response = anon.post("/api/token/", body, format="json")
    assert response.status_code == 400
    assert list(response.json()) == [missing]


def test_a_username_longer_than_any_is_refused_on_the_field_and_logs_nothing(nanjing, anon):
    """Found by the schemathesis run on PostgreSQL: 300 characters reached the lockout log
    (django-axes, a 255-character column) and failed as a 500."""
    from axes.models import AccessAttempt

    response = anon.post("/api/token/", {"username": "x" * 300, "password": "pw"}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["username"]
    assert not AccessAttempt.objects.exists() and not Token.objects.exists()


def test_it_refuses_a_non_object_body(nanjing, anon):
    response = anon.post("/api/token/", ["xl_clerk", "pw"], format="json")
    assert response.status_code == 400


def test_the_token_authenticates(nanjing, anon):
    key = anon.post("/api/token/", {"username": "xl_clerk", "password": "pw"},
                    format="json").json()["token"]
    anon.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert anon.get("/api/units/").status_code == 200


def test_a_session_authenticates(nanjing, client):
    client.force_login(nanjing.p.xl_clerk)
    assert client.get("/api/accounts/").status_code == 200


@pytest.mark.parametrize("url", ["/api/units/", "/api/accounts/", "/api/accounts/1/",
                                 "/api/accounts/1/history/", "/api/tasks/", "/api/tasks/1/"])
def test_it_answers_401_without_credentials(nanjing, anon, url):
    response = anon.get(url)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Token")


@pytest.mark.parametrize("url", ["/api/applications/opening/", "/api/applications/closure/",
                                 "/api/tasks/1/claim/", "/api/tasks/1/decide/"])
def test_it_answers_401_to_anonymous_writes(nanjing, anon, url):
    assert anon.post(url, {}, format="json").status_code == 401


def test_it_answers_401_for_a_wrong_token(nanjing, anon):
    anon.credentials(HTTP_AUTHORIZATION="Token 0000000000000000000000000000000000000000")
    assert anon.get("/api/accounts/").status_code == 401


def test_a_session_write_needs_the_csrf_token(nanjing):
    from rest_framework.test import APIClient

    client = APIClient(enforce_csrf_checks=True)
    client.force_login(nanjing.p.xl_clerk)
    response = client.post("/api/applications/opening/", {}, format="json")
    assert response.status_code == 403


def test_the_token_endpoint_is_rate_limited(nanjing, anon, monkeypatch):
    from rest_framework.throttling import ScopedRateThrottle

    # DRF binds the rates to the class at import; a low public rate for this test only.
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"public": "60/min", "login": "3/min"})
    codes = [
        anon.post("/api/token/", {"username": "x", "password": "y"}, format="json").status_code
        for _ in range(4)
    ]
    assert codes == [400, 400, 400, 429]
