"""Separation of duties in the one decide path (issue 12 item 1): the applicant never signs
their own process (not even as a delegate), one person signs at most one level, a
delegation goes only to a colleague with the same role in the same unit. Service, REST API
and web all answer 403 with the reason, and nothing is written."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from approvals import services
from approvals.models import Decision, Delegation
from lifecycle import services as lifecycle
from tests.approvals.helpers import apply_xl, decide, only_open_task
from tests.approvals.review_helpers import review_world_fixture  # noqa: F401

pytestmark = pytest.mark.django_db


def _api(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


@pytest.fixture
def clerk_head(nanjing):
    """The street clerk who is also the street's head (the finding: self-approval)."""
    lifecycle.membership_add(user=nanjing.p.xl_clerk, unit=nanjing.u.xl, role="unit_head")
    return nanjing.p.xl_clerk


def test_the_applicant_cannot_sign_their_own_application(nanjing, clerk_head):
    process = apply_xl(nanjing)
    task = only_open_task(process)
    with pytest.raises(services.TaskForbidden, match="申请人不能审核自己的申请"):
        services.task_decide(task=task, actor=clerk_head, decision="approve")
    with pytest.raises(services.TaskForbidden):
        services.task_claim(task=task, actor=clerk_head)
    task.refresh_from_db()
    assert task.owner_id is None and not Decision.objects.filter(process=process).exists()
    # the other head of the unit may
    decide(process, nanjing.p.xl_head)


def test_the_api_answers_403_with_the_reason(nanjing, clerk_head):
    process = apply_xl(nanjing)
    task = only_open_task(process)
    response = _api(clerk_head).post(f"/api/tasks/{task.pk}/decide/", {"decision": "approve"},
                                      format="json")
    assert response.status_code == 403
    assert "申请人不能审核自己的申请" in response.json()["detail"]
    response = _api(clerk_head).post(f"/api/tasks/{task.pk}/claim/")
    assert response.status_code == 403
    assert not Decision.objects.filter(process=process).exists()


def test_the_web_task_page_answers_403_with_the_reason_and_offers_no_form(client, nanjing,
                                                                          clerk_head):
    process = apply_xl(nanjing)
    task = only_open_task(process)
    client.force_login(clerk_head)
    page = client.get(reverse("work:task", args=[task.pk]))
    assert page.status_code == 200 and not page.context["may_act"]
    response = client.post(reverse("work:task", args=[task.pk]),
                           {"d-decision": "approve", "d-comment": ""})
    assert response.status_code == 403
    assert "申请人不能审核自己的申请" in response.content.decode()
    assert not Decision.objects.filter(process=process).exists()


def test_one_person_signs_at_most_one_level(nanjing):
    """The street head who is also a district approver signs the street level, then may
    not sign the district level of the same process (in any round)."""
    p = nanjing.p
    lifecycle.membership_add(user=p.xl_head, unit=nanjing.u.jy, role="approver")
    process = apply_xl(nanjing)
    decide(process, p.xl_head)
    task = only_open_task(process)
    with pytest.raises(services.TaskForbidden, match="只能在一个流程中签署一个审核层级"):
        services.task_decide(task=task, actor=p.xl_head, decision="approve")
    assert Decision.objects.filter(process=process).count() == 1
    response = _api(p.xl_head).post(f"/api/tasks/{task.pk}/decide/", {"decision": "approve"},
                                     format="json")
    assert response.status_code == 403 and "一个审核层级" in response.json()["detail"]
    decide(process, p.jy_approver)  # the district's other approver signs
    # bulk approval reports the task instead of signing it
    lifecycle.membership_add(user=p.jy_approver, unit=nanjing.u.nj, role="approver")
    fresh = type(p.jy_approver).objects.get(pk=p.jy_approver.pk)  # no cached roles
    result = services.tasks_bulk_approve(tasks=[only_open_task(process)], actor=fresh)
    assert result["done"] == [] and "一个审核层级" in result["failed"][0][1]


def test_a_return_and_resubmission_lets_the_same_person_sign_the_same_level_again(nanjing):
    p = nanjing.p
    process = apply_xl(nanjing)
    decide(process, p.xl_head)
    decide(process, p.jy_approver, decision="return", comment="补充材料")
    revision = only_open_task(process)
    services.task_decide(task=revision, actor=p.xl_clerk, decision="approve", data={
        "platform": "wechat_official", "name": "兴隆发布", "purpose": "发布街道政务信息",
        "operator": "某科技公司", "contact_name": "张三", "contact_phone": "025-12345678"})
    process.refresh_from_db()
    # the chain restarts or returns; whoever signs, nobody signs two levels
    steps = {}
    for decision in Decision.objects.filter(process=process, step__isnull=False):
        steps.setdefault(decision.actor_id, set()).add(decision.step)
    assert all(len(s) == 1 for s in steps.values())


def test_delegation_only_to_a_colleague_with_the_same_role_in_the_same_unit(nanjing):
    p = nanjing.p
    today = timezone.localdate()
    with pytest.raises(ValidationError) as exc:
        services.delegation_create(user=p.jy_approver, delegate=p.xl_clerk, starts_on=today,
                                   ends_on=today)
    assert "相同角色" in str(exc.value.message_dict["delegate"])
    with pytest.raises(ValidationError):
        services.delegation_create(user=p.xl_head, delegate=p.xl_clerk, starts_on=today,
                                   ends_on=today)
    assert not Delegation.objects.exists()
    deputy = lifecycle.user_upsert(username="jy_deputy", full_name="建邺副审核人", password="pw",
                                   memberships=[(nanjing.u.jy, "approver")])
    assert list(services.eligible_delegates(p.jy_approver)) == [deputy]
    services.delegation_create(user=p.jy_approver, delegate=deputy, starts_on=today,
                               ends_on=today + datetime.timedelta(days=2))
    assert Delegation.objects.get().delegate == deputy


def test_a_legacy_delegation_to_the_applicant_does_not_let_them_sign(nanjing):
    """The finding: head and district approver both delegated to the clerk (rows written
    before the rule), who then applied and signed both levels."""
    p = nanjing.p
    today = timezone.localdate()
    for user in (p.xl_head, p.jy_approver):
        Delegation.objects.create(user=user, delegate=p.xl_clerk, starts_on=today,
                                  ends_on=today)
    process = apply_xl(nanjing)
    task = only_open_task(process)
    with pytest.raises(services.TaskForbidden, match="申请人不能审核"):
        services.task_decide(task=task, actor=p.xl_clerk, decision="approve")
    assert not Decision.objects.filter(process=process).exists()


def test_a_delegate_cannot_sign_for_the_applicant(nanjing, clerk_head):
    """The applicant (also a head) delegated to a colleague head: the colleague signs in
    their own right, never as the applicant's delegate."""
    p = nanjing.p
    process = apply_xl(nanjing)
    task = only_open_task(process)
    today = timezone.localdate()
    Delegation.objects.create(user=clerk_head, delegate=p.xl_head, starts_on=today, ends_on=today)
    services.task_decide(task=task, actor=p.xl_head, decision="approve")
    assert Decision.objects.get(task=task).acting_for is None


def test_transfer_to_the_applicant_is_refused(nanjing, clerk_head):
    p = nanjing.p
    process = apply_xl(nanjing)
    task = only_open_task(process)
    services.task_claim(task=task, actor=p.xl_head)
    with pytest.raises(ValidationError) as exc:
        services.task_transfer(task=task, actor=p.xl_head, to_user=clerk_head)
    assert "申请人" in str(exc.value.message_dict["to_user"])


def test_the_author_of_a_rectification_report_never_rechecks_it(review_world):
    from approvals.flows import RectificationFlow

    w = review_world
    lifecycle.membership_add(user=w.p.xl_clerk, unit=w.u.jy, role="supervisor_reviewer")
    process = services.rectification_start(actor=w.p.jy_reviewer, account=w.stale,
                                           reason="超过90天未更新")
    report = only_open_task(process)
    services.task_decide(task=report, actor=w.p.xl_clerk, decision="approve",
                         data={"report": "已恢复更新", "evidence_url": "https://example.gov.cn/a"})
    recheck = only_open_task(process)
    assert recheck.flow_task == RectificationFlow.recheck
    clerk = type(w.p.xl_clerk).objects.get(pk=w.p.xl_clerk.pk)
    with pytest.raises(services.TaskForbidden, match="不能复核自己的报告"):
        services.task_decide(task=recheck, actor=clerk, decision="approve",
                             data={"result": "pass", "opinion": "ok"})
    # the reviewer who ordered it rechecks
    assert services.may_sign(process=process, task=recheck, actor=w.p.jy_reviewer)
