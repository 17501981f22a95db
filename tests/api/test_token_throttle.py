"""POST /api/token/ has its own throttle scope (`login`, LOGIN_RATE_LIMIT): heavy use of the
public lookups never blocks logins, and guessing passwords is still a 429."""

from __future__ import annotations

import pytest
from django.conf import settings
from rest_framework.throttling import ScopedRateThrottle

pytestmark = pytest.mark.django_db

LOOKUP = "/api/public/successor/?name=兴隆"


@pytest.fixture
def low_rates(monkeypatch):
    # DRF binds the rates to the class at import; low rates for these tests only.
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"public": "3/min", "login": "3/min"})


def login(anon, password="pw"):
    return anon.post("/api/token/", {"username": "xl_clerk", "password": password}, format="json")


def test_heavy_public_lookups_do_not_block_logins(nanjing, anon, low_rates):
    assert [anon.get(LOOKUP).status_code for _ in range(4)] == [200, 200, 200, 429]
    response = login(anon)
    assert response.status_code == 200
    assert response.json()["token"]


def test_guessing_passwords_is_throttled_without_blocking_public_lookups(nanjing, anon, low_rates):
    assert [login(anon, "wrong").status_code for _ in range(4)] == [400, 400, 400, 429]
    assert login(anon).status_code == 429  # the right password too, until the window ends
    assert anon.get(LOOKUP).status_code == 200


def test_the_login_rate_is_its_own_setting():
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    assert set(rates) >= {"public", "login"}
    assert ScopedRateThrottle().parse_rate(rates["login"])[0] > 0
