"""RectificationFlow through the web views: order (→ rectifying, 整改通知 with a deadline in
working days) → the owning unit's report → the supervisor unit's recheck: pass → active;
fail → closing + forced ClosureFlow; no report by the deadline → run_due escalates (twice:
idempotent)."""

from __future__ import annotations

import datetime
import io

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from approvals import due, services
from approvals.flows import ClosureFlow, RectificationFlow
from approvals.models import AccountProcess, TaskAssignment
from lifecycle.models import AccountState
from lifecycle.workdays import add_working_days
from notices.models import Notice
from tests.approvals.closure_helpers import pdf_text
from tests.approvals.helpers import only_open_task
from tests.approvals.review_helpers import review_world_fixture  # noqa: F401

pytestmark = pytest.mark.django_db


def _order(client, world, account, user=None):
    client.force_login(user or world.p.jy_reviewer)
    page = client.get(reverse("work:rectify", args=[account.pk]))
    assert page.status_code == 200
    response = client.post(reverse("work:rectify", args=[account.pk]),
                           {"reason": "超过90天未更新"})
    assert response.status_code == 302, response.content.decode()[:2000]
    return AccountProcess.objects.get(account=account, kind="rectification")


def _post(client, user, task, **fields):
    client.force_login(user)
    return client.post(reverse("work:task", args=[task.pk]),
                       {f"d-{k}": v for k, v in fields.items()})


def _report(client, world, process):
    task = only_open_task(process)
    assert task.flow_task == RectificationFlow.report
    response = _post(client, world.p.xl_clerk, task, report="已恢复更新，每周发布3条",
                     evidence_url="https://example.gov.cn/a")
    assert response.status_code == 302, response.content.decode()[:2000]


def test_it_orders_a_rectification_with_a_deadline(client, review_world,
                                                   django_capture_on_commit_callbacks):
    w = review_world
    with django_capture_on_commit_callbacks(execute=True):
        process = _order(client, w, w.stale)
    w.stale.refresh_from_db()
    assert w.stale.state == AccountState.RECTIFYING
    deadline = add_working_days(timezone.localdate(), 10)
    assert process.data["rectification"]["deadline"] == deadline.isoformat()
    task = only_open_task(process)
    assert TaskAssignment.objects.get(task=task).due_on == deadline
    notice = Notice.objects.get(kind="rectification_order")
    # Ordered by 建邺区 (the reviewer's unit above 兴隆), deadline in the text.
    assert notice.issuing_unit == w.u.jy
    text = pdf_text(notice)
    assert "兴隆旧号" in text and f"{deadline.year}年{deadline.month}月{deadline.day}日" in text


def test_it_passes_the_recheck_through_the_web(client, review_world):
    w = review_world
    process = _order(client, w, w.stale)
    _report(client, w, process)
    task = only_open_task(process)
    assert task.flow_task == RectificationFlow.recheck
    client.force_login(w.p.jy_reviewer)
    page = client.get(reverse("work:task", args=[task.pk]))
    assert page.status_code == 200 and "复核结论" in page.content.decode()
    response = _post(client, w.p.jy_reviewer, task, result="pass", opinion="整改到位")
    assert response.status_code == 302, response.content.decode()[:2000]
    w.stale.refresh_from_db()
    process.refresh_from_db()
    assert w.stale.state == AccountState.ACTIVE and process.finished is not None
    assert process.data["rectification_report"]["report"].startswith("已恢复更新")
    assert list(w.stale.transitions.values_list("name", flat=True))[-2:] == [
        "order_rectification", "pass_recheck"]


def test_the_recheck_may_return_for_more_material(client, review_world):
    w = review_world
    process = _order(client, w, w.stale)
    _report(client, w, process)
    task = only_open_task(process)
    client.force_login(w.p.jy_reviewer)
    assert "退回补充材料" in client.get(reverse("work:task", args=[task.pk])).content.decode()
    response = _post(client, w.p.jy_reviewer, task, result="more", opinion="请补充近两周截图")
    assert response.status_code == 302, response.content.decode()[:2000]
    w.stale.refresh_from_db()
    assert w.stale.state == AccountState.RECTIFYING  # still rectifying, same deadline
    again = only_open_task(process)
    assert again.flow_task == RectificationFlow.report and again.pk != task.pk
    client.force_login(w.p.xl_clerk)
    page = client.get(reverse("work:task", args=[again.pk])).content.decode()
    assert "请补充近两周截图" in page and "退回补充材料" in page  # the timeline says why
    _report(client, w, process)
    response = _post(client, w.p.jy_reviewer, only_open_task(process), result="pass",
                     opinion="材料齐全")
    assert response.status_code == 302
    w.stale.refresh_from_db()
    assert w.stale.state == AccountState.ACTIVE


def test_it_fails_the_recheck_into_a_forced_closure(client, review_world):
    w = review_world
    process = _order(client, w, w.stale)
    _report(client, w, process)
    response = _post(client, w.p.jy_reviewer, only_open_task(process), result="fail",
                     opinion="仍未更新")
    assert response.status_code == 302, response.content.decode()[:2000]
    w.stale.refresh_from_db()
    assert w.stale.state == AccountState.CLOSING
    closure = AccountProcess.objects.get(account=w.stale, kind="closure")
    assert closure.data["closure"]["forced"] is True
    assert closure.flow_class is ClosureFlow
    process.refresh_from_db()
    assert process.data["rectification"]["outcome"] == "fail"
    assert process.data["rectification"]["closure_process"] == closure.pk


def test_it_escalates_an_overdue_rectification_once(client, review_world):
    w = review_world
    process = _order(client, w, w.stale)
    deadline = datetime.date.fromisoformat(process.data["rectification"]["deadline"])
    before = (deadline - datetime.timedelta(days=1)).isoformat()
    out = io.StringIO()
    call_command("run_due", now=before, stdout=out)
    assert "rectifications reminded: 1" in out.getvalue()
    assert "rectifications escalated: 0" in out.getvalue()
    assert TaskAssignment.objects.get(task=only_open_task(process)).reminded_on is not None
    late = (deadline + datetime.timedelta(days=1)).isoformat()
    out = io.StringIO()
    call_command("run_due", now=late, stdout=out)
    assert "rectifications escalated: 1" in out.getvalue()
    out = io.StringIO()
    call_command("run_due", now=late, stdout=out)
    assert "rectifications escalated: 0" in out.getvalue()
    assert "rectifications reminded: 0" in out.getvalue()
    w.stale.refresh_from_db()
    process.refresh_from_db()
    assert w.stale.state == AccountState.CLOSING
    assert process.finished is not None and process.data["rectification"]["outcome"] == "overdue"
    assert AccountProcess.objects.filter(account=w.stale, kind="closure").count() == 1
    # The forced closure started by `run_due --now` counts from the simulated day.
    closure = AccountProcess.objects.get(account=w.stale, kind="closure")
    assert closure.data["closure"]["stop_on"] == late
    assert "as_of" not in closure.data and "as_of" not in process.data  # no date left behind
    assert closure.data["notice_period"]["ends_on"] == add_working_days(
        datetime.date.fromisoformat(late), settings.NOTICE_PERIOD_WORKING_DAYS).isoformat()


def test_it_does_not_escalate_on_the_deadline_itself(review_world):
    w = review_world
    process = services.rectification_start(actor=w.p.jy_reviewer, account=w.stale,
                                                  reason="僵尸号")
    deadline = datetime.date.fromisoformat(process.data["rectification"]["deadline"])
    task = only_open_task(process)
    assert due.process_one_overdue_rectification(task=task, today=deadline) is False
    assert only_open_task(process) == task


def test_it_refuses_an_outsider_and_a_second_order(review_world):
    w = review_world
    with pytest.raises(ValidationError) as exc:
        services.rectification_start(actor=w.p.jb_approver, account=w.stale, reason="x")
    assert "account" in exc.value.message_dict
    services.rectification_start(actor=w.p.jy_reviewer, account=w.stale, reason="x")
    with pytest.raises(ValidationError) as exc:
        services.rectification_start(actor=w.p.nj_inspector, account=w.stale, reason="x")
    assert "整改中" in exc.value.message_dict["account"][0]
    assert AccountProcess.objects.filter(kind="rectification").count() == 1
