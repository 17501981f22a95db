"""/healthz: no login, JSON, 200 when the database (and broker when jobs are not eager) answer."""

from __future__ import annotations

import pytest

from config import healthz


@pytest.mark.django_db
def test_it_reports_ok_without_login(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == "ok"
    assert body["broker"] in {"eager", "ok"}
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


@pytest.mark.django_db
def test_it_answers_503_when_a_check_fails(client, monkeypatch, caplog):
    def broken():
        raise OSError("connection refused")

    monkeypatch.setitem(healthz.CHECKS, "database", broken)
    with caplog.at_level("ERROR", logger="govmedia.healthz"):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "error"
    assert response.json()["database"] == "error"
    assert "connection refused" not in response.content.decode()  # no internals leak
    assert "check=database error=OSError" in caplog.text


@pytest.mark.django_db
def test_it_rejects_writes(client):
    assert client.post("/healthz").status_code == 405
