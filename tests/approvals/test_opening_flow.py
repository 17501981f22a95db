"""OpeningFlow driven through approvals.services: the chain, decisions and the account."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from viewflow.workflow.status import PROCESS, STATUS

from approvals import selectors, services
from approvals.models import AccountProcess, Decision
from lifecycle.models import AccountState, AccountTransition
from tests.approvals.helpers import apply_xl, decide, only_open_task

pytestmark = pytest.mark.django_db


def test_it_freezes_the_chain_at_start(nanjing):
    process = apply_xl(nanjing)
    assert [s["units"] for s in process.chain] == [["JYXL"], ["JY"], ["NJ"]]
    assert [s["role"] for s in process.chain] == ["unit_head", "approver", "approver"]
    assert process.account.state == AccountState.APPLYING


def test_it_routes_each_step_to_that_units_role_only(nanjing):
    p = nanjing.p
    process = apply_xl(nanjing)
    task = only_open_task(process)
    assert list(selectors.queue_for(p.xl_head)) == [task]
    for outsider in (p.jy_approver, p.nj_approver, p.jb_approver, p.xl_clerk):
        assert list(selectors.queue_for(outsider)) == []
    with pytest.raises(services.TaskForbidden):
        services.task_decide(task=task, actor=p.jy_approver, decision="approve")
    assert not Decision.objects.exists()


def test_it_runs_the_whole_chain_to_an_active_account(nanjing):
    p = nanjing.p
    process = apply_xl(nanjing)
    decide(process, p.xl_head, comment="同意")
    assert list(selectors.queue_for(p.jy_approver))
    decide(process, p.jy_approver)
    decide(process, p.nj_approver)
    process.refresh_from_db()
    process.account.refresh_from_db()
    assert process.account.state == AccountState.APPROVED
    register = only_open_task(process)
    assert register.flow_task.task_kind == "registration"
    services.task_decide(
        task=register, actor=p.xl_clerk, decision="approve",
        data={"platform_id": "gh_xinglong", "verified_subject": "兴隆街道办事处",
              "live_on": "2026-12-01"},
    )
    process.refresh_from_db()
    account = process.account
    account.refresh_from_db()
    assert account.state == AccountState.ACTIVE
    assert account.platform_id == "gh_xinglong"
    assert account.opened_on == datetime.date(2026, 12, 1)
    assert process.status == PROCESS.DONE
    moves = list(AccountTransition.objects.filter(account=account).values_list("name", flat=True))
    assert moves == ["submit", "approve_opening", "register"]
    assert Decision.objects.filter(process=process).count() == 4


def test_it_rejects_with_a_reason_and_ends(nanjing):
    p = nanjing.p
    process = apply_xl(nanjing)
    decide(process, p.xl_head)
    with pytest.raises(ValidationError) as exc:
        decide(process, p.jy_approver, decision="reject")
    assert "comment" in exc.value.message_dict
    decide(process, p.jy_approver, decision="reject", comment="功能与区账号重复")
    process.refresh_from_db()
    assert process.status == PROCESS.DONE
    assert not list(selectors.open_tasks(process))
    process.account.refresh_from_db()
    assert process.account.state == AccountState.DRAFT
    row = AccountTransition.objects.get(account=process.account, name="reject")
    assert row.actor == p.jy_approver and row.reason == "功能与区账号重复"


def test_it_returns_to_the_applicant_who_revises_and_resubmits(nanjing):
    p = nanjing.p
    process = apply_xl(nanjing)
    decide(process, p.xl_head)
    decide(process, p.jy_approver, decision="return", comment="请补充运维单位")
    revise = only_open_task(process)
    assert revise.flow_task.task_kind == "revision"
    services.task_decide(
        task=revise, actor=p.xl_clerk, decision="approve",
        data={"name": "兴隆街道发布", "purpose": "发布", "operator": "兴隆街道宣传办",
              "contact_name": "张三", "contact_phone": "025-1"},
    )
    # Changed: the chain starts over at its first step (issue 12 §7).
    task = only_open_task(process)
    assert task.data["step"] == 0
    assert list(selectors.queue_for(p.xl_head)) == [task]
    process.account.refresh_from_db()
    assert process.account.name == "兴隆街道发布"


def test_it_returns_to_an_earlier_step(nanjing):
    p = nanjing.p
    process = apply_xl(nanjing)
    decide(process, p.xl_head)
    decide(process, p.jy_approver)
    decide(process, p.nj_approver, decision="return", comment="请街道重新确认", return_to=0)
    task = only_open_task(process)
    assert task.data["step"] == 0
    assert list(selectors.queue_for(p.xl_head)) == [task]


def test_it_refuses_a_second_decision_on_the_same_task(nanjing):
    p = nanjing.p
    process = apply_xl(nanjing)
    task = only_open_task(process)
    services.task_decide(task=task, actor=p.xl_head, decision="approve")
    with pytest.raises(services.TaskConflict):
        services.task_decide(task=task, actor=p.xl_head, decision="approve")
    assert Decision.objects.filter(task=task).count() == 1
    assert AccountProcess.objects.get(pk=process.pk).data["step"] == 1


def test_it_refuses_a_task_held_by_someone_else(nanjing):
    p = nanjing.p
    from lifecycle.services import membership_add

    membership_add(user=p.jb_approver, unit=nanjing.u.jy, role="approver")
    process = apply_xl(nanjing)
    decide(process, p.xl_head)
    task = only_open_task(process)
    services.task_claim(task=task, actor=p.jy_approver)
    with pytest.raises(services.TaskConflict):
        services.task_claim(task=task, actor=p.jb_approver)
    with pytest.raises(services.TaskConflict):
        services.task_decide(task=task, actor=p.jb_approver, decision="approve")
    task.refresh_from_db()
    assert task.owner == p.jy_approver and task.status == STATUS.ASSIGNED


def test_it_lets_the_applicant_withdraw_before_the_first_decision(nanjing):
    p = nanjing.p
    process = apply_xl(nanjing)
    services.process_withdraw(process=process, actor=p.xl_clerk)
    process.refresh_from_db()
    assert process.status == PROCESS.CANCELED
    process.account.refresh_from_db()
    assert process.account.state == AccountState.DRAFT
    other = apply_xl(nanjing, name="兴隆二号", platform="weibo")
    decide(other, p.xl_head)
    with pytest.raises(ValidationError):
        services.process_withdraw(process=other, actor=p.xl_clerk)


def test_it_writes_no_empty_history_row_when_resubmitted_unchanged(nanjing):
    p = nanjing.p
    process = apply_xl(nanjing)
    decide(process, p.xl_head)
    decide(process, p.jy_approver, decision="return", comment="请确认")
    account = process.account
    revise = only_open_task(process)
    services.task_decide(
        task=revise, actor=p.xl_clerk, decision="approve",
        data={"name": account.name, "purpose": account.purpose, "operator": account.operator,
              "contact_name": account.contact_name, "contact_phone": account.contact_phone},
    )
    assert not AccountTransition.objects.filter(account=account, name="change").exists()
    assert only_open_task(process).data["step"] == 1
