"""API personas: token-authenticated clients for the `nanjing` users."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core.cache import cache
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient


@pytest.fixture(autouse=True)
def _fresh_throttle():
    # Throttle counters live in the cache; each test starts below the public rate.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def client_for() -> Callable[..., APIClient]:
    """client_for(user) → an APIClient sending `Authorization: Token <key>`."""

    def make(user) -> APIClient:
        client = APIClient()
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return make


@pytest.fixture
def anon() -> APIClient:
    return APIClient()
