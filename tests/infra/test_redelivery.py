"""acks_late + reject_on_worker_lost on a real worker: a job whose process is killed runs again."""

from __future__ import annotations

import json
import signal
import uuid

import pytest

from config.celery import PING_KEY, ping

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_it_redelivers_a_job_whose_pool_process_was_killed(celery_worker_proc, redis_client, wait_for):
    worker = celery_worker_proc(name="redeliver", concurrency=1)
    token = uuid.uuid4().hex
    key = PING_KEY.format(token=token)
    ping.delay(token, sleep=4)
    # `inspect active` lists a job once the pool has it, possibly before its body ran:
    # wait until the body has counted its first attempt, then kill.
    wait_for(lambda: redis_client.get(key + ":attempts") == "1", message="the job body to start")
    busy = wait_for(worker.busy_children, message="the job to be listed as running")
    worker.kill_children(signal.SIGKILL)  # as the OOM killer would
    answer = json.loads(wait_for(lambda: redis_client.get(key), timeout=60, message="the redelivered job"))
    assert redis_client.get(key + ":attempts") == "2"
    assert answer["pid"] not in busy  # a fresh pool process ran it
    assert worker.alive


def test_it_redelivers_a_job_of_a_killed_worker_to_another(celery_worker_proc, redis_client, wait_for):
    first = celery_worker_proc(name="doomed", concurrency=1)
    token = uuid.uuid4().hex
    key = PING_KEY.format(token=token)
    ping.delay(token, sleep=4)
    wait_for(lambda: redis_client.get(key + ":attempts") == "1", message="the job body to start")
    wait_for(first.busy_children, message="the job to be listed as running")
    first.kill(signal.SIGKILL)  # the whole worker host is gone: nobody rejects the job
    second = celery_worker_proc(name="heir", concurrency=1)
    # Redis restores the unacknowledged job after the visibility timeout (30 s in this leg).
    answer = json.loads(wait_for(lambda: redis_client.get(key), timeout=150, message="the restored job"))
    # Any live worker may take the restored job (the heir, or the shared worker if it resumed
    # consuming meanwhile); what matters is that the dead one did not finish it and that it ran.
    assert answer["hostname"] != first.hostname
    assert second.alive
    assert int(redis_client.get(key + ":attempts")) >= 2
