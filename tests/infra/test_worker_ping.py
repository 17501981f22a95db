"""A job sent to the broker is executed by a real Celery worker on the same test database."""

from __future__ import annotations

import json
import os
import time
import uuid

import pytest
from django.db import connection

from config.celery import HEARTBEAT_KEY, PING_KEY, ping

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_it_runs_a_job_on_the_shared_worker(services, redis_client, wait_for):
    token = uuid.uuid4().hex
    ping.delay(token)  # not eager: the message goes through Redis
    raw = wait_for(lambda: redis_client.get(PING_KEY.format(token=token)), message="the ping answer")
    answer = json.loads(raw)
    assert answer["pid"] != os.getpid()
    assert answer["vendor"] == "postgresql"
    # The worker reads and writes the very database this test session uses.
    assert answer["database"] == connection.settings_dict["NAME"]
    assert answer["select_1"] == 1


def test_it_receives_beat_heartbeats(services, redis_client, wait_for):
    # Beat sends a heartbeat every 5 s in this leg; a worker stores it.
    beat = wait_for(lambda: redis_client.get(HEARTBEAT_KEY), timeout=20, message="a beat heartbeat")
    first = float(beat)
    wait_for(
        lambda: float(redis_client.get(HEARTBEAT_KEY) or 0) > first, timeout=20, message="the next heartbeat"
    )
    assert abs(float(redis_client.get(HEARTBEAT_KEY)) - time.time()) < 15


def test_it_runs_jobs_on_a_worker_the_test_started(celery_worker_proc, redis_client, wait_for):
    worker = celery_worker_proc(name="pingtest", concurrency=1)
    token = uuid.uuid4().hex
    ping.delay(token)
    answer = json.loads(wait_for(lambda: redis_client.get(PING_KEY.format(token=token))))
    # The shared worker is paused on the default queue: the test's own worker ran it.
    assert answer["hostname"] == worker.hostname
    assert worker.children(), "a prefork pool process"
