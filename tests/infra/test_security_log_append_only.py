"""On PostgreSQL the security log refuses UPDATE and DELETE of its rows (migration
lifecycle/0004's trigger), and concurrent writers keep one unbroken hash chain (the
advisory lock in lifecycle.security.record)."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from lifecycle import security
from lifecycle.models import SecurityEvent

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_update_and_delete_are_rejected(services):
    event = security.record(kind="login_failed", username="u1")
    for sql in ("UPDATE lifecycle_securityevent SET username = 'x' WHERE id = %s",
                "DELETE FROM lifecycle_securityevent WHERE id = %s"):
        with pytest.raises(DatabaseError, match="append-only"):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(sql, [event.pk])
    with pytest.raises(DatabaseError):
        with transaction.atomic():
            SecurityEvent.objects.filter(pk=event.pk).update(username="x")
    assert SecurityEvent.objects.get(pk=event.pk).username == "u1"
    assert security.verify() == []


def test_concurrent_writers_keep_one_chain(services, run_in_threads):
    def write(barrier):
        barrier.wait()
        for n in range(10):
            security.record(kind="login_failed", username=f"t{n}")

    results = run_in_threads(write, n=4)
    assert all(exc is None for _, exc in results), results
    assert SecurityEvent.objects.count() == 40
    assert security.verify() == []
