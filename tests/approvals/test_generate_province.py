"""bench/generate.py (issue 15 item 1): besides the opening flows, the province holds
closures waiting in their notice period and ordered rectifications — recheck open, report
open, report overdue — with the rows the flows write, and run_due finishes the notice
periods and escalates the overdue reports through the flows' own services."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from approvals.due import run_due
from approvals.flows import ClosureFlow, RectificationFlow
from approvals.models import AccountProcess, TaskAssignment
from bench.generate import generate
from lifecycle.models import Account, AccountState, Role
from notices.models import Notice

pytestmark = pytest.mark.django_db


def _open(process, node):
    return Task.objects.filter(process=process, flow_task=node, status=STATUS.NEW)


def test_notice_periods_and_rectifications_are_generated_and_run_due_finishes_them():
    counts = generate(scale=0.01, seed=15, log=lambda *_: None)
    today = timezone.localdate()

    # -- closures in their notice period: announced, waiting, due ahead --------------------
    closures = list(AccountProcess.objects.filter(kind="closure").select_related("account"))
    assert len(closures) == counts["closures in notice period"] > 0
    for process in closures:
        assert process.account.state == AccountState.CLOSING
        period = process.data["notice_period"]
        assert period["due_on"] > today.isoformat() and not period["ended"]
        assert _open(process, ClosureFlow.wait_notice_period).count() == 1
        announcement = process.data["closure"]["announcement"]
        notice = Notice.objects.get(pk=announcement["notice_id"])
        assert (notice.kind, notice.number, notice.process_id) == (
            "closure_announcement", announcement["number"], process.pk)
        assert process.account.transitions.filter(name="announce", process_id=process.pk).exists()

    # -- rectifications: one per rectifying account, in three stages ------------------------
    rectifying = set(Account.objects.filter(state=AccountState.RECTIFYING).values_list("pk", flat=True))
    rectifications = list(AccountProcess.objects.filter(kind="rectification"))
    assert {p.account_id for p in rectifications} == rectifying
    stages = {"recheck": 0, "report": 0, "overdue": 0}
    for process in rectifications:
        plan = process.data["rectification"]
        assert Notice.objects.get(pk=plan["notice"]["id"]).kind == "rectification_order"
        report = _open(process, RectificationFlow.report).first()
        if report is None:
            recheck = _open(process, RectificationFlow.recheck).get()
            assignment = TaskAssignment.objects.get(task=recheck)
            assert assignment.role == Role.SUPERVISOR_REVIEWER
            assert assignment.unit.code == plan["recheck_unit"]
            stages["recheck"] += 1
            continue
        assignment = TaskAssignment.objects.get(task=report)
        assert (assignment.role, assignment.unit_id) == (Role.APPLICANT, process.account.unit_id)
        assert assignment.due_on.isoformat() == plan["deadline"]
        stages["overdue" if plan["deadline"] < today.isoformat() else "report"] += 1
    assert stages == {
        "recheck": counts["rectifications (recheck open)"],
        "report": counts["rectifications (report open)"],
        "overdue": counts["rectifications (overdue)"],
    }
    assert all(stages.values())

    # -- run_due ten days on: due notice periods ended, overdue reports escalated ----------
    day = today + datetime.timedelta(days=10)
    due = [p for p in closures if p.data["notice_period"]["due_on"] <= day.isoformat()]
    late = [p for p in rectifications
            if _open(p, RectificationFlow.report).exists()
            and p.data["rectification"]["deadline"] < day.isoformat()]
    assert due and late
    summary = run_due(today=day)
    assert f"notice periods ended: {len(due)};" in summary
    assert f"rectifications escalated: {len(late)};" in summary
    for process in due:
        assert not _open(process, ClosureFlow.wait_notice_period).exists()
        deregister = _open(process, ClosureFlow.deregister).get()
        assert TaskAssignment.objects.get(task=deregister).role == Role.APPLICANT
    for process in late:
        process.refresh_from_db()
        assert process.data["rectification"]["outcome"] == "overdue"
        assert Account.objects.get(pk=process.account_id).state == AccountState.CLOSING
        forced = AccountProcess.objects.get(pk=process.data["rectification"]["closure_process"])
        assert forced.kind == "closure" and forced.data["closure"]["forced"]
    # The same day again: nothing left.
    again = run_due(today=day)
    assert "notice periods ended: 0;" in again and "rectifications escalated: 0;" in again


def test_the_generated_notices_are_found_by_the_archive_search():
    """Every generated notice carries the search text rendering would write (and, on SQLite,
    its full-text row), so the benchmark's archive search finds what an archivist would."""
    from notices.search import matching, text_for

    generate(scale=0.01, seed=15, log=lambda *_: None)
    notices = list(Notice.objects.all())
    # the same words (PostgreSQL's jsonb gives the frozen facts back in its own key order)
    assert notices and all(sorted(n.search_text.split()) == sorted(text_for(n).split())
                           for n in notices)
    approvals = Notice.objects.filter(kind="opening_approval")
    assert matching(Notice.objects.all(), "批复").count() >= approvals.count() > 0
    one = approvals.select_related("account").first()
    assert one.pk in set(matching(Notice.objects.all(), one.account.name).values_list("pk", flat=True))
