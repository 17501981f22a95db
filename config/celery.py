"""The Celery app: settings from Django (CELERY_* names), tasks from every app, beat schedule.

Diagnostic and periodic tasks of the platform itself live here:
- `config.celery.ping`: answers with the worker's host, pid and database (tests, /healthz tooling);
- `config.celery.beat_heartbeat`: beat's sign of life, stored in Redis;
- `config.celery.run_due`: the one Celery entry of due work (approvals.due.run_due), sent by beat
  every minute.
"""

from __future__ import annotations

import json
import logging
import os
import time

from celery import Celery

from config.env import envbool, envint

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

logger = logging.getLogger("govmedia.jobs")

app = Celery("govmedia")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

PING_KEY = "govmedia:ping:{token}"
HEARTBEAT_KEY = "govmedia:beat:heartbeat"

# Beat: run_due every minute (CELERY_BEAT_RUN_DUE=false turns it off, as the test
# leg does), a heartbeat so /healthz-style checks can see that beat is alive.
# `expires` drops a message that no worker took within the interval, so a
# backlog never turns into a burst of run_due calls.
_schedule = {
    "beat-heartbeat": {
        "task": "config.celery.beat_heartbeat",
        "schedule": float(envint("GOVMEDIA_BEAT_HEARTBEAT_SECONDS", 60)),
        "options": {"expires": envint("GOVMEDIA_BEAT_HEARTBEAT_SECONDS", 60)},
    },
}
if envbool("CELERY_BEAT_RUN_DUE", True):
    _schedule["run-due"] = {
        "task": "config.celery.run_due",
        "schedule": 60.0,
        "options": {"expires": 55},
    }
app.conf.beat_schedule = _schedule

# With acks_late, Redis hands a job whose worker vanished (SIGKILL, lost host) to another
# worker once it is older than the visibility timeout; kombu looks for such jobs every
# interval × throttle seconds (10 × 10 by default). Settings may set the timeout
# (production does); this variable wins everywhere and also makes the sweep run every
# 5 s, so a test leg can see a restore within a minute.
if os.environ.get("CELERY_VISIBILITY_TIMEOUT"):
    app.conf.broker_transport_options = {
        "visibility_timeout": envint("CELERY_VISIBILITY_TIMEOUT", 3600),
        "unacked_restore_interval": 5,
        "unacked_restore_throttle": 1,
    }


def redis_client():
    """A redis client on the broker, or None when the broker is not Redis (memory://, eager)."""
    url = app.conf.broker_url or ""
    if not url.startswith(("redis://", "rediss://")):
        return None
    import redis

    return redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)


@app.task(name="config.celery.ping", ignore_result=True)
def ping(token: str = "", sleep: float = 0.0) -> dict:
    """Report who ran this: host, pid, database name and a `SELECT 1` through the ORM connection.

    With a Redis broker and a token, the answer is also stored for 5 minutes under
    `govmedia:ping:<token>` (there is no result backend), and every start of the job
    increments `govmedia:ping:<token>:attempts`. `sleep` seconds pass before the answer
    is stored, so redelivery tests can kill the worker mid-job.
    """
    from django.db import connection

    client = redis_client()
    if client is not None and token:
        client.incr(PING_KEY.format(token=token) + ":attempts")
        client.expire(PING_KEY.format(token=token) + ":attempts", 300)
    if sleep:
        time.sleep(sleep)

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        (one,) = cursor.fetchone()
    answer = {
        "token": token,
        "hostname": ping.request.hostname or "",
        "pid": os.getpid(),
        "database": str(connection.settings_dict["NAME"]),
        "vendor": connection.vendor,
        "select_1": one,
        "at": time.time(),
    }
    if client is not None and token:
        client.set(PING_KEY.format(token=token), json.dumps(answer), ex=300)
    logger.info("event=ping token=%s pid=%s database=%s", token, answer["pid"], answer["database"])
    return answer


@app.task(name="config.celery.beat_heartbeat", ignore_result=True)
def beat_heartbeat() -> float:
    now = time.time()
    client = redis_client()
    if client is not None:
        client.set(HEARTBEAT_KEY, str(now), ex=3600)
    return now


@app.task(name="config.celery.run_due", ignore_result=True)
def run_due() -> str:
    """Due work of today (approvals.due.run_due: ended notice periods, deadlines, reminders;
    idempotent), the same function `manage.py run_due` calls."""
    from django.utils import timezone

    # Imported when the job runs: the Celery app is created before Django's apps are ready.
    from approvals import due

    started = time.monotonic()
    summary = due.run_due(today=timezone.localdate())
    logger.info(
        "event=run_due status=done seconds=%.3f summary=%s",
        time.monotonic() - started, json.dumps(summary, ensure_ascii=False),
    )
    return summary
