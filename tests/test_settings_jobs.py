"""Jobs configuration: acknowledgement settings reach Celery; beat runs run_due every minute."""

from __future__ import annotations

import pytest
from django.core.management import BaseCommand

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


def test_it_runs_the_run_due_command_from_the_task(monkeypatch):
    calls = []

    class FakeRunDue(BaseCommand):
        def handle(self, *args, **options):
            calls.append(options)
            self.stdout.write("0 notice periods ended")

    monkeypatch.setattr("django.core.management.get_commands", lambda: {"run_due": "fake"}, raising=True)
    monkeypatch.setattr("django.core.management.load_command_class", lambda app_name, name: FakeRunDue())
    out = celery_module.run_due.apply().get()
    assert len(calls) == 1
    assert "0 notice periods ended" in out


def test_it_logs_and_skips_when_run_due_is_not_installed(monkeypatch, caplog):
    monkeypatch.setattr("django.core.management.get_commands", lambda: {}, raising=True)
    with caplog.at_level("WARNING", logger="govmedia.jobs"):
        assert celery_module.run_due.apply().get() == ""
    assert "event=run_due status=missing" in caplog.text


@pytest.mark.django_db
def test_it_answers_a_ping_in_process():
    answer = celery_module.ping.apply(args=["t1"]).get()
    assert answer["token"] == "t1"
    assert answer["select_1"] == 1


def test_it_has_no_redis_client_on_the_in_memory_broker():
    assert app.conf.broker_url.startswith("memory://") or celery_module.redis_client() is not None
    if app.conf.broker_url.startswith("memory://"):
        assert celery_module.redis_client() is None
