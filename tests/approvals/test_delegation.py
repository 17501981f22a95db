"""Delegation (委托): only to a colleague holding the same role in the same unit (issue 12:
the earlier tests delegated a district approver's work to the street clerk — the applicant —
which separation of duties now refuses; see test_separation_of_duties)."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from approvals import selectors, services
from approvals.models import Decision, Delegation
from lifecycle import services as lifecycle
from tests.approvals.helpers import apply_xl, decide, only_open_task

pytestmark = pytest.mark.django_db


def _deputy(nanjing):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(username="jy_deputy").first()
    return user or lifecycle.user_upsert(username="jy_deputy", full_name="建邺副审核人",
                                         password="pw", memberships=[(nanjing.u.jy, "approver")])


def _delegate(nanjing, days=3, start_offset=0):
    today = timezone.localdate()
    return services.delegation_create(
        user=nanjing.p.jy_approver, delegate=_deputy(nanjing),
        starts_on=today + datetime.timedelta(days=start_offset),
        ends_on=today + datetime.timedelta(days=start_offset + days), reason="出差",
    )


def test_it_lets_the_delegate_decide_in_their_own_right(nanjing):
    p = nanjing.p
    process = apply_xl(nanjing)
    decide(process, p.xl_head)
    _delegate(nanjing)
    task = only_open_task(process)
    from django.contrib.auth import get_user_model

    deputy = get_user_model().objects.get(username="jy_deputy")  # fresh: no cached roles
    assert list(selectors.queue_for(deputy)) == [task]
    services.task_decide(task=task, actor=deputy, decision="approve", comment="代为同意")
    decision = Decision.objects.get(task=task)
    # the deputy holds the role themselves: no acting-for on the record
    assert decision.actor == deputy and decision.acting_for is None


def test_it_refuses_a_delegation_to_the_street_clerk(nanjing):
    today = timezone.localdate()
    with pytest.raises(ValidationError) as exc:
        services.delegation_create(user=nanjing.p.jy_approver, delegate=nanjing.p.xl_clerk,
                                   starts_on=today, ends_on=today)
    assert "delegate" in exc.value.message_dict
    assert not Delegation.objects.exists()


def test_it_ignores_delegations_not_yet_started_or_ended(nanjing):
    from approvals.selectors import active_delegators

    deputy = _deputy(nanjing)
    _delegate(nanjing, start_offset=2)
    assert active_delegators(type(deputy).objects.get(pk=deputy.pk)) == []
    delegation = _delegate(nanjing)
    assert active_delegators(type(deputy).objects.get(pk=deputy.pk)) == [nanjing.p.jy_approver.pk]
    services.delegation_end(delegation=delegation, actor=nanjing.p.jy_approver)
    assert active_delegators(type(deputy).objects.get(pk=deputy.pk)) == []


def test_it_rejects_bad_delegations(nanjing):
    today = timezone.localdate()
    with pytest.raises(ValidationError) as exc:
        services.delegation_create(user=nanjing.p.jy_approver, delegate=nanjing.p.jy_approver,
                                   starts_on=today, ends_on=today)
    assert "delegate" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.delegation_create(user=nanjing.p.jy_approver, delegate=_deputy(nanjing),
                                   starts_on=today, ends_on=today - datetime.timedelta(days=1))
    assert "ends_on" in exc.value.message_dict
    assert not Delegation.objects.exists()


def test_it_creates_a_delegation_from_the_web_page(client, nanjing):
    deputy = _deputy(nanjing)
    client.force_login(nanjing.p.jy_approver)
    today = timezone.localdate().isoformat()
    response = client.post(reverse("work:delegations"), {
        "delegate": "xl_clerk", "starts_on": today, "ends_on": today, "reason": "休假"})
    assert response.status_code == 400 and "相同角色" in response.content.decode()
    response = client.post(reverse("work:delegations"), {
        "delegate": "jy_deputy", "starts_on": today, "ends_on": today, "reason": "休假"})
    assert response.status_code == 302
    assert Delegation.objects.get().delegate == deputy
    response = client.post(reverse("work:delegations"), {
        "delegate": "nobody", "starts_on": today, "ends_on": today})
    assert response.status_code == 400 and "没有该用户" in response.content.decode()
