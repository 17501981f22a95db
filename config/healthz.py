"""`/healthz`: is this web process able to serve? No login, JSON, 200 or 503.

Checks the database (`SELECT 1` on every configured connection) and, when jobs
are not eager, the broker (a connection that answers within 2 s). A load
balancer polls it; a deploy waits for it. It reveals no configuration values.
"""

from __future__ import annotations

import logging
import time

from django.db import connections
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from config.celery import app

logger = logging.getLogger("govmedia.healthz")


def check_database() -> str:
    for alias in connections:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    return "ok"


def check_broker() -> str:
    if app.conf.task_always_eager:
        return "eager"
    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=0, timeout=2)
        client = getattr(conn.default_channel, "client", None)
        if client is not None and hasattr(client, "ping"):
            client.ping()  # Redis: a round trip, not just an open socket
    return "ok"


CHECKS = {"database": check_database, "broker": check_broker}


@never_cache
@require_GET
def healthz(request):
    started = time.monotonic()
    report: dict[str, object] = {}
    healthy = True
    for name, check in CHECKS.items():
        try:
            report[name] = check()
        except Exception as exc:  # any failure is a failed check, never a 500
            healthy = False
            report[name] = "error"
            logger.error("event=healthz check=%s error=%s", name, type(exc).__name__)
    report["status"] = "ok" if healthy else "error"
    report["ms"] = round((time.monotonic() - started) * 1000, 1)
    return JsonResponse(report, status=200 if healthy else 503)
