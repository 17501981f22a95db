"""Deeply nested JSON bodies are a client error (400), never a RecursionError (500)."""

from __future__ import annotations

import pytest

from config.api_errors import MAX_JSON_DEPTH
from lifecycle.models import Account

pytestmark = pytest.mark.django_db


def nested(levels: int) -> str:
    return '{"username": ' + "[" * levels + "]" * levels + ', "password": "x"}'


@pytest.mark.parametrize("levels", [MAX_JSON_DEPTH, 400, 1000, 100_000])
def test_it_refuses_deep_nesting_at_the_token_endpoint(nanjing, anon, levels):
    response = anon.post("/api/token/", data=nested(levels), content_type="application/json")
    assert response.status_code == 400, response.content[:200]
    assert response["Content-Type"] == "application/json"
    assert str(MAX_JSON_DEPTH) in response.json()["detail"]


def test_it_refuses_deep_nesting_in_authenticated_writes_and_writes_nothing(nanjing, client_for):
    client = client_for(nanjing.p.xl_clerk)
    body = ('{"unit": "JYXL", "platform": "weibo", "name": "兴隆微博", "purpose": '
            + "[" * 400 + "]" * 400 + ', "contact_name": "张", "contact_phone": "1"}')
    response = client.post("/api/applications/opening/", data=body,
                           content_type="application/json")
    assert response.status_code == 400
    assert "detail" in response.json()
    assert not Account.objects.exists()


def test_it_accepts_nesting_up_to_the_limit(nanjing, anon):
    # One level less than the limit: parsed, then refused by the serializer as a bad value.
    response = anon.post("/api/token/", data=nested(MAX_JSON_DEPTH - 2),
                         content_type="application/json")
    assert response.status_code == 400
    assert "username" in response.json()


def test_it_still_finds_nul_deep_inside(nanjing, anon):
    body = '{"username": [[[[{"a": ["x\\u0000"]}]]]], "password": "x"}'
    response = anon.post("/api/token/", data=body, content_type="application/json")
    assert response.status_code == 400
    assert "NUL" in response.json()["detail"]
