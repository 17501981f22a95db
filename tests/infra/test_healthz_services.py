"""/healthz against the real database and broker."""

from __future__ import annotations

import pytest

from config.celery import app

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_it_reports_database_and_broker(services, client):
    assert app.conf.task_always_eager is False
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() | {"ms": 0} == {"status": "ok", "database": "ok", "broker": "ok", "ms": 0}


def test_it_answers_503_when_the_broker_is_down(services, client, monkeypatch):
    nowhere = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    monkeypatch.setattr(app.conf, "broker_url", nowhere)
    monkeypatch.setattr(app.conf, "broker_write_url", nowhere)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["broker"] == "error"
    assert response.json()["database"] == "ok"
    assert response.json()["ms"] < 2500  # a dead broker answers fast: no retry loop
