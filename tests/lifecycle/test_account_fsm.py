"""The account state machine (DESIGN §5): every allowed move, forbidden ones refused with a
clear message, one audit row per move, stale writers refused."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError

from lifecycle import services
from lifecycle.models import Account, AccountState, AccountTransition
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db
S = AccountState
D = datetime.date(2026, 12, 1)


def _account(nanjing, state):
    return AccountFactory(unit=nanjing.u.xl, state=state)


# (service, kwargs, from, to)
ALLOWED = [
    ("account_reject", {"reason": "不予批准"}, S.APPLYING, S.DRAFT),
    ("account_withdraw", {}, S.APPLYING, S.DRAFT),
    ("account_approve_opening", {}, S.APPLYING, S.APPROVED),
    ("account_register", {"platform_id": "gh_x", "verified_subject": "兴隆街道办事处", "live_on": D},
     S.APPROVED, S.ACTIVE),
    ("account_order_rectification", {"reason": "考核不合格"}, S.ACTIVE, S.RECTIFYING),
    ("account_pass_recheck", {}, S.RECTIFYING, S.ACTIVE),
    ("account_fail_recheck", {}, S.RECTIFYING, S.CLOSING),
    ("account_start_closure", {}, S.ACTIVE, S.CLOSING),
    ("account_deregister", {"deregistered_on": D}, S.CLOSING, S.CLOSED),
]


@pytest.mark.parametrize("service,kwargs,source,target", ALLOWED, ids=[a[0] for a in ALLOWED])
def test_it_moves_and_records_every_allowed_transition(nanjing, service, kwargs, source, target):
    account = _account(nanjing, source)
    actor = nanjing.p.jy_approver
    moved = getattr(services, service)(account=account, actor=actor, **kwargs)
    assert moved.state == target
    assert Account.objects.get(pk=account.pk).state == target
    row = AccountTransition.objects.get(account=account)
    assert (row.from_state, row.to_state, row.actor) == (source, target, actor)


def test_it_submits_an_application_from_draft(nanjing):
    account = services.account_apply(unit=nanjing.u.xl, platform="weibo", name="兴隆微博",
                                     actor=nanjing.p.xl_clerk)
    assert account.state == S.APPLYING
    assert AccountTransition.objects.get(account=account).name == "submit"


def test_it_merges_into_an_active_successor(nanjing):
    successor = _account(nanjing, S.ACTIVE)
    account = _account(nanjing, S.CLOSING)
    services.account_merge(account=account, actor=nanjing.p.jy_approver, successor=successor,
                           deregistered_on=D)
    account.refresh_from_db()
    assert (account.state, account.successor, account.closed_on) == (S.MERGED, successor, D)


FORBIDDEN = [
    ("account_approve_opening", {}, S.DRAFT),
    ("account_register", {"platform_id": "x", "verified_subject": "y", "live_on": D}, S.APPLYING),
    ("account_start_closure", {}, S.CLOSED),
    ("account_start_closure", {}, S.MERGED),
    ("account_start_closure", {}, S.CLOSING),
    ("account_pass_recheck", {}, S.ACTIVE),
    ("account_deregister", {"deregistered_on": D}, S.ACTIVE),
    ("account_order_rectification", {"reason": "r"}, S.CLOSED),
]


@pytest.mark.parametrize("service,kwargs,source", FORBIDDEN,
                         ids=[f"{f[0]}-from-{f[2]}" for f in FORBIDDEN])
def test_it_refuses_a_forbidden_transition_and_writes_nothing(nanjing, service, kwargs, source):
    account = _account(nanjing, source)
    with pytest.raises(services.TransitionError) as exc:
        getattr(services, service)(account=account, actor=nanjing.p.jy_approver, **kwargs)
    assert "不能执行" in str(exc.value)
    assert Account.objects.get(pk=account.pk).state == source
    assert not AccountTransition.objects.filter(account=account).exists()


def test_it_never_reactivates_a_closed_account(nanjing):
    for state in (S.CLOSED, S.MERGED):
        account = _account(nanjing, state)
        for service in ("account_pass_recheck", "account_approve_opening"):
            with pytest.raises(services.TransitionError):
                getattr(services, service)(account=account, actor=nanjing.p.jy_approver)
        assert Account.objects.get(pk=account.pk).state == state


def test_it_refuses_a_stale_copy(nanjing):
    account = _account(nanjing, S.ACTIVE)
    stale = Account.objects.get(pk=account.pk)
    services.account_start_closure(account=account, actor=nanjing.p.jy_approver)
    with pytest.raises(services.TransitionConflict):
        services.account_order_rectification(account=stale, actor=nanjing.p.jy_approver, reason="r")
    assert AccountTransition.objects.filter(account=account).count() == 1


def test_it_protects_the_state_field(nanjing):
    account = _account(nanjing, S.ACTIVE)
    with pytest.raises(AttributeError):
        account.state = S.CLOSED


@pytest.mark.parametrize("unit_attr,field,text", [
    ("nb", "unit", "内设机构不得开设"),
    ("sq", None, None),
])
def test_it_enforces_the_opening_rules_with_their_messages(nanjing, unit_attr, field, text):
    unit = getattr(nanjing.u, unit_attr)
    if field is None:  # a community committee: allowed by the unit flag, refused by policy
        unit.may_open_accounts = False
        unit.save()
        field, text = "unit", "按层级规定不得开设"
    with pytest.raises(ValidationError) as exc:
        services.account_apply(unit=unit, platform="weibo", name="某账号", actor=nanjing.p.xl_clerk)
    assert text in exc.value.message_dict[field][0]
    assert not Account.objects.exists()


def test_it_needs_an_exemption_reason_for_a_second_account_on_a_platform(nanjing):
    _account(nanjing, S.ACTIVE)  # wechat_official of 兴隆
    with pytest.raises(ValidationError) as exc:
        services.account_apply(unit=nanjing.u.xl, platform="wechat_official", name="兴隆二号",
                               actor=nanjing.p.xl_clerk)
    assert "原则上一个单位在同一平台只开设一个账号" in exc.value.message_dict["exemption_reason"][0]
    account = services.account_apply(unit=nanjing.u.xl, platform="wechat_official", name="兴隆二号",
                                     actor=nanjing.p.xl_clerk, exemption_reason="功能不同")
    assert account.state == S.APPLYING
