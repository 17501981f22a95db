"""Public rate limits key on the client, not on the reverse proxy in front of gunicorn:
X-Forwarded-For counts only with TRUSTED_PROXY_COUNT proxies, and production keeps the
counters in Redis so every gunicorn worker shares them."""

from __future__ import annotations

import json
import logging

import pytest
from django.core.cache import cache
from django.test import RequestFactory, override_settings
from django.urls import reverse
from rest_framework.throttling import ScopedRateThrottle

from portal import views as public_views
from portal.views import client_ip
from review.models import Feedback
from tests.approvals.closure_helpers import world_fixture  # noqa: F401
from tests.test_settings_production import _run

NGINX = "127.0.0.1"


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def _request(remote=NGINX, forwarded=None):
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().post("/public/", **meta)


def test_it_ignores_x_forwarded_for_without_trusted_proxies():
    assert client_ip(_request(remote="203.0.113.7", forwarded="198.51.100.1")) == "203.0.113.7"


@override_settings(TRUSTED_PROXY_COUNT=1)
def test_it_takes_the_address_nginx_appended():
    assert client_ip(_request(forwarded="198.51.100.1")) == "198.51.100.1"
    # A client sending its own header cannot choose its address: nginx appends the real one.
    assert client_ip(_request(forwarded="10.9.9.9, 198.51.100.1")) == "198.51.100.1"


@override_settings(TRUSTED_PROXY_COUNT=2)
def test_it_skips_one_address_per_trusted_proxy():
    # client → load balancer (appends the client) → nginx (appends the balancer) → gunicorn
    assert client_ip(_request(forwarded="10.9.9.9, 198.51.100.1, 192.0.2.10")) == "198.51.100.1"
    assert client_ip(_request(forwarded="198.51.100.1")) == "198.51.100.1"  # fewer hops


@override_settings(TRUSTED_PROXY_COUNT=1)
def test_it_falls_back_to_the_peer_on_a_malformed_header():
    assert client_ip(_request(forwarded="not-an-address")) == NGINX
    assert client_ip(_request(forwarded="")) == NGINX
    assert client_ip(_request(forwarded="2001:db8::1")) == "2001:db8::1"


@pytest.mark.django_db
@override_settings(TRUSTED_PROXY_COUNT=1, PUBLIC_FEEDBACK_LIMIT=2)
def test_it_gives_each_citizen_behind_the_proxy_their_own_budget(client, world):
    url = reverse("public-feedback", args=[world.xl.pk])
    for _i in range(2):
        assert client.post(url, {"kind": "praise"}, HTTP_X_FORWARDED_FOR="198.51.100.1").status_code == 302
    assert client.post(url, {"kind": "praise"}, HTTP_X_FORWARDED_FOR="198.51.100.1").status_code == 429
    # Same REMOTE_ADDR (the proxy), another citizen: not limited.
    assert client.post(url, {"kind": "praise"}, HTTP_X_FORWARDED_FOR="198.51.100.2").status_code == 302
    # Forging a header in front of nginx's entry does not reset the budget.
    forged = client.post(url, {"kind": "praise"}, HTTP_X_FORWARDED_FOR="10.1.1.1, 198.51.100.1")
    assert forged.status_code == 429
    assert Feedback.objects.count() == 3


@pytest.mark.django_db
@override_settings(PUBLIC_FEEDBACK_LIMIT=1)
def test_it_does_not_trust_the_header_by_default(client, world):
    url = reverse("public-feedback", args=[world.xl.pk])
    assert client.post(url, {"kind": "praise"}, HTTP_X_FORWARDED_FOR="198.51.100.1").status_code == 302
    assert client.post(url, {"kind": "praise"}, HTTP_X_FORWARDED_FOR="198.51.100.2").status_code == 429


@pytest.mark.django_db
def test_it_accepts_feedback_when_the_cache_is_down(client, world, monkeypatch, caplog):
    class Down:
        def add(self, *a, **k):
            raise ConnectionError("redis down")

    monkeypatch.setattr(public_views, "cache", Down())
    with caplog.at_level(logging.WARNING, logger="govmedia.public"):
        response = client.post(reverse("public-feedback", args=[world.xl.pk]), {"kind": "praise"})
    assert response.status_code == 302 and Feedback.objects.count() == 1
    assert "feedback_rate_limit_unavailable" in caplog.text


@pytest.mark.django_db
def test_it_throttles_the_public_api_per_forwarded_client(client, world, monkeypatch, settings):
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"public": "1/min"})
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    api = "/api/public/successor/"
    assert client.get(api, {"name": "x"}, HTTP_X_FORWARDED_FOR="198.51.100.1").status_code == 200
    assert client.get(api, {"name": "x"}, HTTP_X_FORWARDED_FOR="198.51.100.1").status_code == 429
    assert client.get(api, {"name": "x"}, HTTP_X_FORWARDED_FOR="198.51.100.2").status_code == 200
    assert client.get(api, {"name": "x"},
                      HTTP_X_FORWARDED_FOR="10.0.0.1, 198.51.100.1").status_code == 429


def _production_settings(env):
    code = ("import json, django; django.setup(); from django.conf import settings as s; "
            "print(json.dumps({'caches': s.CACHES, 'proxies': s.TRUSTED_PROXY_COUNT, "
            "'num_proxies': s.REST_FRAMEWORK['NUM_PROXIES']}))")
    return _run(["-c", code], env)


def test_it_shares_the_production_cache_in_the_brokers_redis():
    result = _production_settings({"CACHE_URL": None, "TRUSTED_PROXY_COUNT": "1"})
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["caches"]["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert out["caches"]["default"]["LOCATION"] == "redis://127.0.0.1:6379/0"
    assert (out["proxies"], out["num_proxies"]) == (1, 1)
    result = _production_settings({"CACHE_URL": "redis://cache.internal:6379/2"})
    assert json.loads(result.stdout)["caches"]["default"]["LOCATION"] == "redis://cache.internal:6379/2"


def test_it_refuses_a_cache_that_is_not_redis_or_a_negative_proxy_count():
    result = _production_settings({"CELERY_BROKER_URL": "amqp://mq/", "CACHE_URL": None})
    assert result.returncode != 0 and "CACHE_URL must be a redis:// URL" in result.stderr
    result = _production_settings({"TRUSTED_PROXY_COUNT": "-1"})
    assert result.returncode != 0 and "TRUSTED_PROXY_COUNT must be 0 or more" in result.stderr
