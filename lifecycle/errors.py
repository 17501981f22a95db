"""The exception bases every layer raises from (DESIGN §3, §8 errors). config.api_errors maps
them to HTTP answers, so no app imports config:

    Conflict  → 409  a stale transition, a task held by someone else or already decided
    Forbidden → 403  the user may not do this (a PermissionDenied, so Django answers 403 too)

Rule violations are Django ValidationErrors (→ 400 with field messages)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied


class Conflict(Exception):
    """The action conflicts with the current state (HTTP 409)."""


class Forbidden(PermissionDenied):
    """The user may not do this (HTTP 403, or 404 where existence must not leak)."""
