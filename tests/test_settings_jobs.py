"""Jobs configuration: acknowledgement settings reach Celery; beat runs run_due every minute."""

from __future__ import annotations

import pytest
from django.utils import timezone

from config import celery as celery_module
from config.celery import app


def test_it_acknowledges_jobs_late_and_requeues_when_a_worker_dies():
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.worker_prefetch_multiplier == 1


def test_it_schedules_run_due_every_minute_on_beat():
    entry = app.conf.beat_schedule["run-due"]
    assert entry["task"] == "config.celery.run_due"
    assert entry["schedule"] == 60.0
    assert entry["options"]["expires"] < 60  # a missed minute is dropped, not piled up
    assert "config.celery.run_due" in app.tasks


def test_it_runs_the_due_work_of_today_from_the_task(monkeypatch, caplog):
    """The one Celery entry of due work calls approvals.due.run_due, as the command does."""
    calls = []

    def fake_run_due(*, today):
        calls.append(today)
        return f"run_due {today.isoformat()}: notice periods ended: 0"

    monkeypatch.setattr("approvals.due.run_due", fake_run_due)
    with caplog.at_level("INFO", logger="govmedia.jobs"):
        out = celery_module.run_due.apply().get()
    assert calls == [timezone.localdate()]
    assert "notice periods ended: 0" in out
    assert "event=run_due status=done" in caplog.text


@pytest.mark.django_db
def test_it_answers_a_ping_in_process():
    answer = celery_module.ping.apply(args=["t1"]).get()
    assert answer["token"] == "t1"
    assert answer["select_1"] == 1


def test_it_has_no_redis_client_on_the_in_memory_broker():
    assert app.conf.broker_url.startswith("memory://") or celery_module.redis_client() is not None
    if app.conf.broker_url.startswith("memory://"):
        assert celery_module.redis_client() is None
