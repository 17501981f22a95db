"""The security log's writer and checker (等保 安全审计; issue 12 item 9).

`record(...)` is the only writer of SecurityEvent: it chains each row to the previous one
(hash = SHA-256 over the previous hash and the row's canonical content) under a lock, so
rows are totally ordered even with several web nodes (PostgreSQL advisory lock; SQLite
serialises writers itself). `verify()` recomputes the chain: an edited, deleted or
inserted row is reported by its id. Login, logout, failures, lockouts, tokens, password
changes, denials, delegations, role and admin changes all come here (signals in
lifecycle.apps and the callers' services)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from lifecycle.models import SecurityEvent

_LOCK_KEY = 0x6F76_6D64  # "govmedia security log" advisory lock


def _client_ip(request: Any) -> str:
    if request is None:
        return ""
    return str(request.META.get("REMOTE_ADDR", ""))[:64]


def request_id(request: Any) -> str:
    if request is None:
        return ""
    return str(getattr(request, "request_id", "") or request.META.get("HTTP_X_REQUEST_ID", ""))[:64]


def _content(event: SecurityEvent) -> str:
    return json.dumps(
        {
            "at": event.at.isoformat(), "kind": event.kind, "user": event.user_id,
            "username": event.username, "ip": event.ip, "request_id": event.request_id,
            "action": event.action, "target": event.target, "detail": event.detail,
        },
        sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str,
    )


def _digest(prev: str, event: SecurityEvent) -> str:
    return hashlib.sha256((prev + "\n" + _content(event)).encode()).hexdigest()


def record(*, kind: str, request: Any = None, user: Any = None, username: str = "",
           action: str = "", target: str = "", detail: dict | None = None) -> SecurityEvent:
    """Append one event (its own transaction, or the caller's)."""
    if user is not None and not getattr(user, "is_authenticated", False):
        user = None
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
        last = SecurityEvent.objects.order_by("-pk").values_list("hash", flat=True).first()
        event = SecurityEvent(
            at=timezone.now(), kind=kind, user=user,
            username=(username or (user.get_username() if user is not None else ""))[:150],
            ip=_client_ip(request), request_id=request_id(request), action=action[:200],
            target=str(target)[:200], detail=detail or {}, prev_hash=last or "",
        )
        event.hash = _digest(event.prev_hash, event)
        event.save(force_insert=True)
    return event


def verify(*, rows: Iterator[SecurityEvent] | None = None) -> list[str]:
    """Problems of the chain, oldest first (empty: intact)."""
    problems: list[str] = []
    prev = ""
    events = rows if rows is not None else SecurityEvent.objects.order_by("pk").iterator()
    for event in events:
        if event.prev_hash != prev:
            problems.append(f"#{event.pk}: previous row missing or changed (chain broken)")
        if _digest(event.prev_hash, event) != event.hash:
            problems.append(f"#{event.pk}: content changed after it was written")
        prev = event.hash
    return problems
