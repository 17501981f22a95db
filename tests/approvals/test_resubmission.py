"""A resubmission (issue 11 §2, issue 12 §7): recorded as 重新提交 with what it changed; a
changed application restarts the chain at its first step and supersedes the sign-offs given
so far (also in the notice); an unchanged one returns to the step that returned it. Through
the service, the web task page and the REST API."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from approvals import selectors, services
from approvals.models import Decision, DecisionKind
from tests.approvals.helpers import apply_xl, decide, only_open_task

pytestmark = pytest.mark.django_db


def _returned_from_city(nanjing):
    p = nanjing.p
    process = apply_xl(nanjing)
    decide(process, p.xl_head)
    decide(process, p.jy_approver)
    decide(process, p.nj_approver, decision="return", comment="用途写得太笼统")
    revise = only_open_task(process)
    assert revise.flow_task.task_kind == "revision"
    return process, revise


def _values(account, **changes):
    values = {"name": account.name, "purpose": account.purpose, "operator": account.operator,
              "contact_name": account.contact_name, "contact_phone": account.contact_phone}
    return {**values, **changes}


def test_a_changed_resubmission_restarts_the_chain_and_supersedes_earlier_sign_offs(nanjing):
    p = nanjing.p
    process, revise = _returned_from_city(nanjing)
    services.task_decide(task=revise, actor=p.xl_clerk, decision="approve",
                         data=_values(process.account, purpose="发布兴隆街道政务信息和便民服务"))
    row = Decision.objects.get(task=revise)
    assert row.decision == DecisionKind.RESUBMIT
    assert row.data["_changes"] == [{"field": "purpose", "label": "开设用途", "before": "发布街道政务信息",
                                     "after": "发布兴隆街道政务信息和便民服务"}]
    process.refresh_from_db()
    task = only_open_task(process)
    assert task.data["step"] == 0  # back to the street head, not the city
    assert list(selectors.queue_for(p.xl_head)) == [task]
    assert process.restart_round == row.round
    earlier = Decision.objects.filter(process=process, step__isnull=False, round__lt=row.round)
    assert earlier.count() == 3  # head, district, the city's return: all superseded


def test_an_unchanged_resubmission_returns_to_the_step_that_returned_it(nanjing):
    p = nanjing.p
    process, revise = _returned_from_city(nanjing)
    services.task_decide(task=revise, actor=p.xl_clerk, decision="approve",
                         data=_values(process.account))
    row = Decision.objects.get(task=revise)
    assert row.decision == DecisionKind.RESUBMIT and row.data["_changes"] == []
    process.refresh_from_db()
    task = only_open_task(process)
    assert task.data["step"] == 2
    assert list(selectors.queue_for(p.nj_approver)) == [task]
    assert process.restart_round == -1


def test_the_notice_lists_only_the_sign_offs_of_the_restarted_chain(
    nanjing, django_capture_on_commit_callbacks
):
    from notices.models import Notice

    p = nanjing.p
    process, revise = _returned_from_city(nanjing)
    services.task_decide(task=revise, actor=p.xl_clerk, decision="approve",
                         data=_values(process.account, name="兴隆街道发布"))
    with django_capture_on_commit_callbacks(execute=True):
        decide(process, p.xl_head, comment="第二轮同意")
        decide(process, p.jy_approver)
        decide(process, p.nj_approver)
    notice = Notice.objects.get(process_id=process.pk)
    chain = notice.context["chain"]
    assert [c["decision"] for c in chain] == ["同意", "同意", "同意"]
    assert chain[0]["comment"] == "第二轮同意"


def test_the_web_resubmission_with_a_change_restarts_and_is_labelled(nanjing, client):
    p = nanjing.p
    process, revise = _returned_from_city(nanjing)
    client.force_login(p.xl_clerk)
    post = {f"d-{k}": v for k, v in _values(process.account, contact_phone="025-87654321").items()}
    response = client.post(f"/work/tasks/{revise.pk}/", {"action": "approve", **post})
    assert response.status_code == 302, response.content.decode()[:1500]
    row = Decision.objects.get(task=revise)
    assert row.decision == DecisionKind.RESUBMIT
    assert [c["field"] for c in row.data["_changes"]] == ["contact_phone"]
    assert only_open_task(process).data["step"] == 0


def test_the_api_resubmission_unchanged_goes_back_to_the_city(nanjing):
    p = nanjing.p
    process, revise = _returned_from_city(nanjing)
    api = APIClient()
    api.force_authenticate(p.xl_clerk)
    response = api.post(f"/api/tasks/{revise.pk}/decide/",
                        {"decision": "approve", "data": _values(process.account)}, format="json")
    assert response.status_code == 200, response.content
    assert Decision.objects.get(task=revise).decision == DecisionKind.RESUBMIT
    assert only_open_task(process).data["step"] == 2


def test_the_api_does_not_take_resubmit_as_a_decision(nanjing):
    p = nanjing.p
    process, revise = _returned_from_city(nanjing)
    api = APIClient()
    api.force_authenticate(p.xl_clerk)
    response = api.post(f"/api/tasks/{revise.pk}/decide/",
                        {"decision": "resubmit", "data": _values(process.account)}, format="json")
    assert response.status_code == 400
    assert not Decision.objects.filter(task=revise).exists()
