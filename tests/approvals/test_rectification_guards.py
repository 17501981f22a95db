"""Rectification next to other work on the same account: never alongside a running closure,
rechecks routed to a unit that has a reviewer, and one account that cannot be escalated
does not stop run_due's other work."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone

from approvals import due, services
from approvals.flows import RectificationFlow
from approvals.models import AccountProcess, TaskAssignment
from lifecycle.models import AccountState
from tests.approvals.helpers import only_open_task
from tests.approvals.review_helpers import make_account, review_world_fixture  # noqa: F401

pytestmark = pytest.mark.django_db


def test_it_refuses_a_rectification_while_a_closure_is_running(review_world):
    w = review_world
    closure = services.closure_apply(
        actor=w.p.xl_clerk, account=w.stale, kind="close", reason="停止运营",
        stop_on=timezone.localdate(), successor_channels=[{"kind": "phone", "value": "025-8000"}],
    )
    with pytest.raises(ValidationError) as exc:
        services.rectification_start(actor=w.p.jy_reviewer, account=w.stale, reason="僵尸号")
    assert f"流程 #{closure.pk}" in " ".join(exc.value.message_dict["account"])
    assert not AccountProcess.objects.filter(account=w.stale, kind="rectification").exists()
    w.stale.refresh_from_db()
    assert w.stale.state == AccountState.ACTIVE


def test_it_routes_a_community_accounts_recheck_to_the_nearest_unit_with_a_reviewer(review_world):
    w = review_world
    community = w.u.sq  # its supervisor (兴隆街道) has no supervisor_reviewer
    account = make_account("某社区发布", community, None, days_ago=200)
    process = services.rectification_start(actor=w.p.jy_reviewer, account=account,
                                                  reason="僵尸号")
    assert process.data["rectification"]["recheck_unit"] == w.u.jy.code
    report = only_open_task(process)
    assert report.flow_task == RectificationFlow.report


def test_an_account_that_cannot_be_escalated_does_not_stop_the_others(review_world, monkeypatch):
    w = review_world
    first = services.rectification_start(actor=w.p.jy_reviewer, account=w.stale,
                                                reason="僵尸号")
    second = services.rectification_start(actor=w.p.jy_reviewer, account=w.xl,
                                                 reason="僵尸号")
    broken = only_open_task(first).pk
    original = due.process_one_overdue_rectification

    def flaky(*, task, today):
        if task.pk == broken:
            raise ValidationError({"account": "模拟的失败"})
        return original(task=task, today=today)

    monkeypatch.setattr(due, "process_one_overdue_rectification", flaky)
    deadline = datetime.date.fromisoformat(second.data["rectification"]["deadline"])
    out = io.StringIO()
    call_command("run_due", now=(deadline + datetime.timedelta(days=1)).isoformat(), stdout=out)
    assert "rectifications escalated: 1" in out.getvalue()
    second.refresh_from_db()
    assert second.data["rectification"]["overdue"] is True
    first.refresh_from_db()
    assert first.data["rectification"]["overdue"] is False
    assert TaskAssignment.objects.filter(task_id=broken).exists()


def test_an_approval_the_account_no_longer_allows_is_409_not_500(review_world, client):
    """The account moved between the task being opened and decided (here: forced into
    rectification behind the guard's back): the approver gets a message, nothing is written."""
    from django.urls import reverse

    from approvals.models import Decision
    from lifecycle.models import Account

    w = review_world
    closure = services.closure_apply(
        actor=w.p.xl_clerk, account=w.stale, kind="close", reason="停止运营",
        stop_on=timezone.localdate(), successor_channels=[{"kind": "phone", "value": "025-8000"}],
    )
    head_task = only_open_task(closure)
    services.task_decide(task=head_task, actor=w.p.xl_head, decision="approve")
    Account.objects.filter(pk=w.stale.pk).update(state=AccountState.RECTIFYING)
    last = only_open_task(closure)
    approver = w.p.jy_approver
    client.force_login(approver)
    response = client.post(reverse("work:task", args=[last.pk]),
                           {"d-decision": "approve", "d-comment": "同意"})
    assert response.status_code == 409
    assert "整改中" in response.content.decode()
    assert not Decision.objects.filter(task=last).exists()


def _failed_recheck(w):
    """兴隆旧号 ordered to rectify, reported, failed at recheck → its forced closure process."""
    process = services.rectification_start(actor=w.p.jy_reviewer, account=w.stale,
                                                  reason="僵尸号")
    services.task_decide(task=only_open_task(process), actor=w.p.xl_clerk, decision="approve",
                         data={"report": "无法整改"})
    services.task_decide(task=only_open_task(process), actor=w.p.jy_reviewer, decision="approve",
                         data={"result": "fail", "opinion": "仍未更新"})
    return AccountProcess.objects.get(account=w.stale, kind="closure")


def test_a_forced_closure_without_known_successors_asks_the_unit_before_announcing(
    review_world, client, django_capture_on_commit_callbacks
):
    from django.urls import reverse

    from approvals.flows import ClosureFlow
    from lifecycle.models import Account
    from notices.models import Notice
    from tests.approvals.closure_helpers import pdf_text

    w = review_world
    Account.objects.filter(pk=w.stale.pk).update(contact_phone="")  # nothing to fall back on
    closure = _failed_recheck(w)
    task = only_open_task(closure)
    assert task.flow_task == ClosureFlow.name_successors
    assert not Notice.objects.filter(process_id=closure.pk).exists()  # nothing announced yet

    client.force_login(w.p.xl_clerk)
    url = reverse("work:task", args=[task.pk])
    assert "承接账号" in client.get(url).content.decode()
    vague = client.post(url, {"d-channel_kind_0": "other", "d-channel_value_0": "其他平台"})
    assert vague.status_code == 400
    assert only_open_task(closure).pk == task.pk
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"d-successor_account": str(w.xl.pk),
                                     "d-channel_kind_0": "phone", "d-channel_value_0": "025-12345"})
    assert response.status_code == 302, response.content.decode()[:2000]
    w.stale.refresh_from_db()
    assert w.stale.successor == w.xl
    assert w.stale.successor_channels == [{"kind": "phone", "value": "025-12345"}]
    notice = Notice.objects.get(process_id=closure.pk, kind="closure_announcement")
    text = pdf_text(notice)
    assert "兴隆发布" in text and "025-12345" in text


def test_a_forced_closure_with_a_contact_phone_announces_at_once(review_world):
    from approvals.flows import ClosureFlow
    from notices.models import Notice

    w = review_world  # 兴隆旧号 has contact phone 025-8000
    closure = _failed_recheck(w)
    assert Notice.objects.filter(process_id=closure.pk, kind="closure_announcement").exists()
    assert not any(t.flow_task == ClosureFlow.name_successors
                   for t in closure.task_set.all())
