"""The approval events reach the notification centre (lifecycle.notifications): a new
task tells its candidates, an approver's 同意/不同意 tells the applicant, a return tells the
applicant through the revision task, and run_due's reminders and escalations leave in-app
rows (once) beside the e-mail, which follows each user's preference."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core import mail
from django.core.management import call_command

from approvals.models import TaskAssignment
from approvals.nodes import task_url
from lifecycle import notifications as n
from lifecycle import services as lifecycle
from lifecycle.models import Notification
from tests.approvals.closure_helpers import apply_closure, world_fixture  # noqa: F401
from tests.approvals.helpers import decide, only_open_task

pytestmark = pytest.mark.django_db


def _rows(user, kind=None):
    qs = Notification.objects.filter(recipient=user)
    return list(qs.filter(kind=kind) if kind else qs)


def test_a_new_task_notifies_its_candidates(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        process = apply_closure(world)
    task = only_open_task(process)
    [row] = _rows(world.p.njzj_head)
    assert row.kind == n.TASK_NEW
    assert row.link == task_url(task)
    assert row.text == "新待办：南京质检（单位负责人审核），申请单位：南京市质量技术监督局"
    assert _rows(world.p.njzj_clerk) == []  # the applicant is no candidate


def test_a_decision_tells_the_applicant_and_the_next_step_its_candidates(
    world, django_capture_on_commit_callbacks
):
    process = apply_closure(world)
    with django_capture_on_commit_callbacks(execute=True):
        decide(process, world.p.njzj_head, comment="情况属实")
    [decided] = _rows(world.p.njzj_clerk, n.DECIDED)
    assert decided.text == "审批通过：南京质检（单位负责人审核）"
    assert decided.body == "情况属实"
    assert decided.actor == world.p.njzj_head
    assert [r.kind for r in _rows(world.p.nj_approver)] == [n.TASK_NEW]
    assert _rows(world.p.njzj_head) == []  # nobody is told of their own act


def test_a_return_tells_the_applicant_once_with_the_reason(world, django_capture_on_commit_callbacks):
    process = apply_closure(world)
    with django_capture_on_commit_callbacks(execute=True):
        decide(process, world.p.njzj_head, decision="return", comment="请写明承接网址")
    task = only_open_task(process)
    [row] = _rows(world.p.njzj_clerk)
    assert row.kind == n.RETURNED
    assert row.body == "请写明承接网址"
    assert row.link == task_url(task)


def _run(day: datetime.date) -> None:
    call_command("run_due", now=day.isoformat(), stdout=io.StringIO())


def test_run_due_leaves_one_reminder_in_app_even_without_an_address(world):
    process = apply_closure(world)
    assignment = TaskAssignment.objects.get(task=only_open_task(process))
    _run(assignment.due_on)
    _run(assignment.due_on)
    [row] = _rows(world.p.njzj_head, n.REMINDER)
    assert row.key == f"reminder:{assignment.task_id}"
    assert "请于" in row.text and assignment.due_on.isoformat() in row.text
    assert mail.outbox == []  # no address: in-app only


def test_run_due_escalation_reaches_heads_and_holders_in_app(world):
    nj_head = lifecycle.user_upsert(username="nj_head", full_name="市府办负责人",
                                    email="head@nj.example", password="pw",
                                    memberships=[(world.u.nj, "unit_head")])
    process = apply_closure(world)
    decide(process, world.p.njzj_head, comment="同意")
    assignment = TaskAssignment.objects.get(task=only_open_task(process))
    late = assignment.due_on + datetime.timedelta(days=3)
    _run(late)
    _run(late)
    [to_head] = _rows(nj_head, n.OVERDUE)
    assert "已超期3天" in to_head.text and "南京市人民政府办公室" in to_head.text
    [to_holder] = _rows(world.p.nj_approver, n.OVERDUE)
    assert to_holder.link == task_url(assignment.task)
    assert [m.to for m in mail.outbox] == [["head@nj.example"]]  # e-mail as before


def test_an_email_preference_turned_off_stops_run_due_mail(world):
    head = world.p.njzj_head
    head.email = "head@njzj.example"
    head.save(update_fields=["email"])
    n.preferences_set(user=head, choices={n.REMINDER: (True, False)})
    process = apply_closure(world)
    assignment = TaskAssignment.objects.get(task=only_open_task(process))
    _run(assignment.due_on)
    assert mail.outbox == []
    assert len(_rows(head, n.REMINDER)) == 1


def test_seed_demo_leaves_notifications_for_the_personas(db, django_capture_on_commit_callbacks):
    from tests.lifecycle.import_files import run

    with django_capture_on_commit_callbacks(execute=True):
        result = run("seed_demo")
    assert result.code == 0, result.err
    kinds = set(Notification.objects.values_list("recipient__username", "kind"))
    assert ("xinglong_head", n.TASK_NEW) in kinds  # a to-do waiting at the street's head
    assert ("hushu_clerk", n.RETURNED) in kinds  # 湖熟's returned application
    assert ("xinglong_clerk", n.DECIDED) in kinds  # sign-offs of 兴隆's applications
