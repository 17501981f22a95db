"""Two run_due runs at once on PostgreSQL (two connections, real transactions): every overdue
assignment is marked and hooked once, every escalation e-mailed once and every in-app
notification written once — the bulk claims (UPDATE … RETURNING, SKIP LOCKED on the
processes) hand each of them to exactly one run."""

from __future__ import annotations

import datetime
import logging
import re
import threading
from collections import Counter

import pytest
from django.core import mail

from approvals import due, run_due_mail
from approvals.models import TaskAssignment
from lifecycle import notifications
from lifecycle import services as lifecycle
from lifecycle.models import Notification
from tests.approvals.closure_helpers import apply_closure, njzj_account, world_fixture  # noqa: F401
from tests.approvals.helpers import only_open_task

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

COUNT = 12


def _closures(world) -> list[TaskAssignment]:
    rows = []
    for i in range(COUNT):
        account = njzj_account(world, f"并发{i}", f"concurrent-{i}")
        rows.append(TaskAssignment.objects.get(task=only_open_task(apply_closure(world, account))))
    return rows


def _count(summary: str, label: str) -> int:
    return int(re.search(rf"{label}: (\d+)", summary).group(1))


def test_two_concurrent_runs_send_each_escalation_exactly_once(
        services, run_in_threads, world, monkeypatch):
    monkeypatch.setattr(run_due_mail, "BATCH", 4)  # several batches: the runs interleave
    monkeypatch.setattr(due, "REMIND_BATCH", 4)
    nj_heads = [
        lifecycle.user_upsert(username=f"nj_head{i}", full_name=f"市府办负责人{i}",
                              email=f"head{i}@nj.example", password="pw",
                              memberships=[(world.u.nj, "unit_head")])
        for i in range(2)
    ]
    assignments = _closures(world)
    late = assignments[0].due_on + datetime.timedelta(days=2)
    hooked: list[int] = []
    due.task_overdue.connect(lambda **kw: hooked.append(kw["assignment"].pk), weak=False,
                             dispatch_uid="test-run-due-concurrency")
    mail.outbox = []

    def run(barrier):
        barrier.wait()
        return due.run_due(today=late)

    try:
        results = run_in_threads(run, n=2)
    finally:
        due.task_overdue.disconnect(dispatch_uid="test-run-due-concurrency")

    assert [exc for _r, exc in results] == [None, None], results
    summaries = [summary for summary, _exc in results]
    assert sum(_count(s, "overdue tasks reminded") for s in summaries) == COUNT
    assert sum(_count(s, "escalation e-mails sent") for s in summaries) == 2 * COUNT
    assert sorted(hooked) == sorted(a.pk for a in assignments)
    # Each head got one escalation per assignment, none twice.
    sent = Counter((m.to[0], m.body) for m in mail.outbox)
    assert len(mail.outbox) == 2 * COUNT and set(sent.values()) == {1}
    assert Counter(m.to[0] for m in mail.outbox) == {h.email: COUNT for h in nj_heads}
    for assignment in assignments:
        assignment.refresh_from_db()
        assert assignment.reminded_on == late
        entry = assignment.task.data["mail"][f"overdue:{assignment.pk}"]
        assert entry["done"]
        assert [(r["status"], r["attempts"]) for r in entry["to"].values()] == [("sent", 1)] * 2
    keys = Notification.objects.filter(kind=notifications.OVERDUE).values_list("recipient", "key")
    assert len(keys) == len(set(keys)) == 3 * COUNT  # two heads + the unit's own head

    again = due.run_due(today=late)  # nothing left
    assert "escalation e-mails sent: 0" in again and "overdue tasks reminded: 0" in again


def test_a_process_held_by_a_decision_defers_its_escalation_to_the_next_run(
        services, run_in_threads, world, monkeypatch, caplog):
    """The batch skips a locked process (SKIP LOCKED), then tries it with the flow's own lock,
    which gives up after its retries: that mail waits for the next run, the rest go out."""
    from django.db import transaction

    from approvals.models import AccountProcess

    caplog.set_level(logging.INFO, logger="govmedia.run_due")
    monkeypatch.setattr(run_due_mail, "BATCH", 4)
    lifecycle.user_upsert(username="nj_head", full_name="市府办负责人", email="head@nj.example",
                          password="pw", memberships=[(world.u.nj, "unit_head")])
    held = _closures(world)[2]
    late = held.due_on + datetime.timedelta(days=2)
    released = threading.Event()

    def decision(barrier):
        with transaction.atomic():
            AccountProcess.objects.select_for_update().get(pk=held.task.process_id)
            barrier.wait()
            released.wait(timeout=50)

    def run(barrier):
        barrier.wait()
        try:
            return due.run_due(today=late)
        finally:
            released.set()

    results = run_in_threads(lambda barrier: (decision if barrier.wait() == 0 else run)(barrier),
                             n=2)

    assert [exc for _r, exc in results] == [None, None], results
    summary = next(r for r, _exc in results if r)
    assert _count(summary, "escalation e-mails sent") == COUNT - 1
    assert "event=mail_deferred" in caplog.text and f"mail=overdue:{held.pk}" in caplog.text
    held.task.refresh_from_db()
    assert f"overdue:{held.pk}" not in held.task.data.get("mail", {})
    assert not Notification.objects.filter(key=f"overdue:{held.pk}").exists()

    assert "escalation e-mails sent: 1" in due.run_due(today=late)  # the lock is free now
    assert Counter(m.body for m in mail.outbox).most_common(1)[0][1] == 1
    assert len(mail.outbox) == COUNT
    assert Notification.objects.filter(key=f"overdue:{held.pk}").count() == 2
