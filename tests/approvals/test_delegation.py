"""Acting-for: a delegate claims and decides the delegator's tasks; the record says so."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from approvals import selectors, services
from approvals.models import Decision, Delegation
from tests.approvals.helpers import apply_xl, decide, only_open_task

pytestmark = pytest.mark.django_db


def _delegate(nanjing, days=3, start_offset=0):
    today = timezone.localdate()
    return services.delegation_create(
        user=nanjing.p.jy_approver, delegate=nanjing.p.xl_clerk,
        starts_on=today + datetime.timedelta(days=start_offset),
        ends_on=today + datetime.timedelta(days=start_offset + days), reason="出差",
    )


def test_it_lets_the_delegate_decide_and_records_acting_for(nanjing):
    p = nanjing.p
    process = apply_xl(nanjing)
    decide(process, p.xl_head)
    assert list(selectors.queue_for(p.xl_clerk)) == []
    _delegate(nanjing)
    task = only_open_task(process)
    from django.contrib.auth import get_user_model

    clerk = get_user_model().objects.get(pk=p.xl_clerk.pk)  # fresh: no cached roles
    assert list(selectors.queue_for(clerk)) == [task]
    services.task_decide(task=task, actor=clerk, decision="approve", comment="代为同意")
    decision = Decision.objects.get(task=task)
    assert decision.actor == clerk and decision.acting_for == p.jy_approver


def test_it_ignores_delegations_not_yet_started_or_ended(nanjing):
    from django.contrib.auth import get_user_model

    process = apply_xl(nanjing)
    decide(process, nanjing.p.xl_head)
    _delegate(nanjing, start_offset=2)
    clerk = get_user_model().objects.get(pk=nanjing.p.xl_clerk.pk)
    assert list(selectors.queue_for(clerk)) == []
    delegation = _delegate(nanjing)
    services.delegation_end(delegation=delegation, actor=nanjing.p.jy_approver)
    clerk = get_user_model().objects.get(pk=nanjing.p.xl_clerk.pk)
    assert list(selectors.queue_for(clerk)) == []


def test_it_rejects_bad_delegations(nanjing):
    today = timezone.localdate()
    with pytest.raises(ValidationError) as exc:
        services.delegation_create(user=nanjing.p.jy_approver, delegate=nanjing.p.jy_approver,
                                   starts_on=today, ends_on=today)
    assert "delegate" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.delegation_create(user=nanjing.p.jy_approver, delegate=nanjing.p.xl_clerk,
                                   starts_on=today, ends_on=today - datetime.timedelta(days=1))
    assert "ends_on" in exc.value.message_dict
    assert not Delegation.objects.exists()


def test_it_creates_a_delegation_from_the_web_page(client, nanjing):
    client.force_login(nanjing.p.jy_approver)
    today = timezone.localdate().isoformat()
    response = client.post(reverse("work:delegations"), {
        "delegate": "xl_clerk", "starts_on": today, "ends_on": today, "reason": "休假"})
    assert response.status_code == 302
    assert Delegation.objects.get().delegate == nanjing.p.xl_clerk
    response = client.post(reverse("work:delegations"), {
        "delegate": "nobody", "starts_on": today, "ends_on": today})
    assert response.status_code == 400 and "没有该用户" in response.content.decode()
