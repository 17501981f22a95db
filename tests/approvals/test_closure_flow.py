"""ClosureFlow (close) through approvals.services: chain, announcement, notice period in
working days, deregistration, and every rejection writing nothing."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from viewflow.workflow.status import PROCESS

from approvals import services
from approvals.models import AccountProcess
from lifecycle import services as lifecycle
from lifecycle.models import AccountState, AccountTransition
from lifecycle.workdays import add_working_days
from notices.models import Notice
from tests.approvals.closure_helpers import (  # noqa: F401  (world_fixture provides `world`)
    CHANNELS,
    apply_closure,
    approve_chain,
    close_fully,
    days,
    deregister,
    end_notice_period,
    pdf_text,
    wait_task,
    world_fixture,
)
from tests.approvals.helpers import decide, only_open_task

pytestmark = pytest.mark.django_db


def test_it_freezes_the_closure_chain_and_keeps_the_account_active(world):
    process = apply_closure(world)
    assert process.kind == "closure"
    assert [s["units"] for s in process.chain] == [["NJZJ"], ["NJ"]]
    assert process.data["closure"]["channels"] == CHANNELS
    world.zj.refresh_from_db()
    assert world.zj.state == AccountState.ACTIVE


def test_it_runs_a_closure_to_closed(world):
    process = approve_chain(world, apply_closure(world, successor=world.sy))
    account = process.account
    account.refresh_from_db()
    assert account.state == AccountState.CLOSING
    assert account.successor == world.sy
    assert account.successor_channels == CHANNELS

    notice = Notice.objects.get(process_id=process.pk)
    assert notice.kind == "closure_announcement"
    assert notice.issuing_unit == world.u.njzj  # the owning unit
    assert notice.number == f"宁质监公告〔{timezone.localdate().year}〕1号"
    assert notice.context["successor_account"]["name"] == "南京食药监"
    assert [c["kind_label"] for c in notice.context["channels"]] == ["网站", "电话"]
    assert process.data["closure"]["announcement"]["number"] == notice.number

    period = process.data["notice_period"]
    today = timezone.localdate()
    assert period["working_days"] == 15
    assert period["ends_on"] == add_working_days(today, 15).isoformat()
    assert period["due_on"] == (add_working_days(today, 15) + days(1)).isoformat()
    assert wait_task(process) is not None  # waiting for run_due, no human task yet

    end_notice_period(process)
    assert wait_task(process) is None
    deregister(world, process, on=today + days(30))
    account.refresh_from_db()
    assert account.state == AccountState.CLOSED
    assert account.closed_on == today + days(30)
    assert account.successor == world.sy
    assert process.status == PROCESS.DONE
    names = list(AccountTransition.objects.filter(account=account).values_list("name", flat=True))
    assert names == ["start_closure", "announce", "deregister"]


def test_it_puts_the_successors_in_the_announcement_pdf(world, django_capture_on_commit_callbacks):
    process = apply_closure(world, successor=world.sy)
    with django_capture_on_commit_callbacks(execute=True):
        approve_chain(world, process)
    notice = Notice.objects.get(process_id=process.pk)
    text = pdf_text(notice)
    for expected in ("南京质检", "南京食药监", "njshiyaojian", "https://amr.nanjing.gov.cn",
                     "025-12345", "关停"):
        assert expected in text, expected


@override_settings(NOTICE_PERIOD_WORKING_DAYS=0)
def test_it_asks_for_deregistration_at_once_when_the_period_is_zero(world):
    process = approve_chain(world, apply_closure(world))
    assert wait_task(process) is None
    task = only_open_task(process)
    assert task.flow_task.task_kind == "deregistration"
    assert task.assignments.get().unit == world.u.njzj
    deregister(world, process)
    assert process.account.state == AccountState.CLOSED


def test_it_does_not_end_the_period_early(world):
    process = approve_chain(world, apply_closure(world))
    call_command("run_due", now=process.data["notice_period"]["ends_on"], stdout=io.StringIO())
    assert wait_task(process) is not None


def test_it_never_deregisters_before_the_stop_date(world):
    stop = add_working_days(timezone.localdate(), 40)
    process = approve_chain(world, apply_closure(world, stop_on=stop))
    assert process.data["notice_period"]["due_on"] == stop.isoformat()


def test_it_keeps_the_account_active_when_rejected(world):
    process = apply_closure(world)
    decide(process, world.p.njzj_head, decision="reject", comment="暂不关停")
    process.refresh_from_db()
    assert process.status == PROCESS.DONE
    world.zj.refresh_from_db()
    assert world.zj.state == AccountState.ACTIVE
    assert not Notice.objects.exists()


def test_it_lets_the_applicant_withdraw_before_the_first_decision(world):
    process = apply_closure(world)
    services.process_withdraw(process=process, actor=world.p.njzj_clerk)
    world.zj.refresh_from_db()
    assert world.zj.state == AccountState.ACTIVE
    assert apply_closure(world).pk != process.pk  # a new application is possible


# -- rejections: clear message, nothing written ----------------------------------------


def _rejected(world, field, message, **kwargs):
    before = AccountTransition.objects.count()
    with pytest.raises(ValidationError) as exc:
        apply_closure(world, **kwargs)
    assert field in exc.value.message_dict, exc.value.message_dict
    assert message in " ".join(exc.value.message_dict[field])
    assert AccountTransition.objects.count() == before
    assert not AccountProcess.objects.filter(kind="closure", account=world.zj).exists() or \
        AccountProcess.objects.filter(kind="closure", account=world.zj).count() == 1
    return exc.value


def test_it_rejects_a_vague_successor(world):
    _rejected(world, "successor_channels", "其他平台", channels=[{"kind": "other", "value": "其他平台"}])
    _rejected(world, "successor_channels", "至少指明", channels=[])
    assert not AccountProcess.objects.exists()


def test_it_rejects_an_address_without_a_phone(world):
    _rejected(world, "successor_channels", "联系电话",
              channels=[{"kind": "address", "value": "南京市某路1号"}])
    # …and accepts it with a phone
    apply_closure(world, channels=[{"kind": "address", "value": "南京市某路1号"},
                                   {"kind": "phone", "value": "025-1"}])


def test_it_rejects_a_closed_successor(world):
    close_fully(world, world.zj_weibo)
    _rejected(world, "successor_account", "运行状态", successor=world.zj_weibo)


def test_it_rejects_a_successor_with_a_pending_closure(world):
    apply_closure(world, world.sy)
    _rejected(world, "successor_account", "正在办理关停", successor=world.sy)


def test_it_rejects_an_account_already_closing(world):
    approve_chain(world, apply_closure(world))
    _rejected(world, "account", "已在关停程序中")


def test_it_rejects_a_second_application_while_one_is_pending(world):
    first = apply_closure(world)
    _rejected(world, "account", f"流程 #{first.pk}")


def test_it_rejects_a_closed_account(world):
    close_fully(world)
    _rejected(world, "account", "已关停")


def test_it_rejects_a_stop_date_in_the_past(world):
    _rejected(world, "stop_on", "不能早于今天", stop_on=timezone.localdate() - days(1))
    assert not AccountProcess.objects.exists()


def test_it_rejects_a_successor_that_leads_back(world):
    # 南京食药监 (active) names 南京质检 as its successor in stale data: closing 质检 into
    # 食药监 would make a cycle, found transitively.
    from lifecycle.models import Account

    Account.objects.filter(pk=world.jb.pk).update(successor=world.zj)
    Account.objects.filter(pk=world.sy.pk).update(successor=world.jb)
    _rejected(world, "successor_account", "循环", successor=world.sy)


def test_it_rejects_someone_not_applicant_of_the_owning_unit(world):
    with pytest.raises(ValidationError) as exc:
        services.closure_apply(
            actor=world.p.xl_clerk, account=world.zj, kind="close", reason="x",
            stop_on=timezone.localdate(), successor_channels=CHANNELS,
        )
    assert "account" in exc.value.message_dict
    assert not AccountProcess.objects.exists()


def test_it_rejects_an_unknown_kind_and_missing_reason(world):
    with pytest.raises(ValidationError) as exc:
        apply_closure(world, kind="delete", reason=" ")
    assert {"kind", "reason"} <= set(exc.value.message_dict)


# -- forced closure (failed rectification recheck) -----------------------------------------


def _fail_recheck(world, account):
    lifecycle.account_order_rectification(account=account, actor=world.p.nj_approver, reason="无更新")
    return lifecycle.account_fail_recheck(account=account, actor=world.p.nj_approver, reason="整改不到位")


@override_settings(NOTICE_PERIOD_WORKING_DAYS=0)
def test_it_runs_a_forced_closure_past_the_chain(world):
    account = _fail_recheck(world, world.xl)
    assert account.state == AccountState.CLOSING
    process = services.forced_closure_start(actor=world.p.nj_approver, account=account,
                                            reason="整改复核不通过，强制关停")
    assert process.chain == []
    notice = Notice.objects.get(process_id=process.pk)
    assert notice.kind == "closure_announcement" and notice.issuing_unit == world.u.xl
    # no successor given: the account's contact phone is named, never "other platforms"
    assert process.data["closure"]["channels"] == [{"kind": "phone", "value": "025-8000"}]
    task = only_open_task(process)
    services.task_decide(task=task, actor=world.p.xl_clerk, decision="approve",
                         data={"deregistered_on": timezone.localdate().isoformat()})
    account.refresh_from_db()
    assert account.state == AccountState.CLOSED


def test_it_refuses_a_forced_closure_by_an_outsider_or_for_an_active_account(world):
    account = _fail_recheck(world, world.xl)
    with pytest.raises(ValidationError) as exc:
        services.forced_closure_start(actor=world.p.jb_approver, account=account, reason="x")
    assert "account" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.forced_closure_start(actor=world.p.nj_approver, account=world.zj, reason="x")
    assert "关停程序" in " ".join(exc.value.message_dict["account"])
    assert not AccountProcess.objects.exists()


def test_it_resubmits_a_returned_application_without_touching_the_account(world, client):
    process = apply_closure(world)
    decide(process, world.p.njzj_head, decision="return", comment="请补充承接渠道说明")
    task = only_open_task(process)
    assert task.flow_task.task_kind == "revision"
    client.force_login(world.p.njzj_clerk)
    page = client.get(f"/work/tasks/{task.pk}/")
    assert page.status_code == 200 and "重新提交" in page.content.decode()
    response = client.post(f"/work/tasks/{task.pk}/", {"action": "approve", "d-comment": "已补充"})
    assert response.status_code == 302, response.content.decode()[:1500]
    world.zj.refresh_from_db()
    assert world.zj.name == "南京质检" and world.zj.state == AccountState.ACTIVE
    assert only_open_task(process).flow_task.task_kind == "decision"


def test_it_shows_the_closure_process_page(world, client):
    process = approve_chain(world, apply_closure(world))
    client.force_login(world.p.njzj_clerk)
    end_notice_period(process)
    queue = client.get(reverse("workflow:queue")).content.decode()
    assert "南京质检" in queue and "平台注销确认" in queue
    # viewflow resolves its namespaces once the site's URLs have been loaded by a request
    url = process.flow_class.instance.reverse("process_detail", args=[process.pk])
    assert client.get(url).status_code == 200


def test_an_unpublished_successor_answers_like_an_unknown_one(world):
    """Accounts still in the application stages are not public: naming one as successor
    gives the same message as a made-up id, so no state or process number leaks."""
    from lifecycle.models import AccountState

    applying = world.jb
    applying.__class__.objects.filter(pk=applying.pk).update(state=AccountState.APPLYING)
    for successor in (applying.pk, 987654, "x", 10**30):
        with pytest.raises(ValidationError) as exc:
            apply_closure(world, successor=successor)
        assert exc.value.message_dict["successor_account"] == ["承接账号不存在。"]
    # A pending closure of the successor is named without its process number.
    pending = apply_closure(world, world.sy)
    with pytest.raises(ValidationError) as exc:
        apply_closure(world, successor=world.sy)
    assert f"#{pending.pk}" not in " ".join(exc.value.message_dict["successor_account"])


@pytest.mark.parametrize("channel", [
    {"kind": "website", "value": "其他平台"},
    {"kind": "phone", "value": "请关注本单位其他平台"},
    {"kind": "app", "value": "其他官方平台"},
    {"kind": "website", "value": "南京市政府网站"},
    {"kind": "phone", "value": "市长热线"},
])
def test_it_rejects_a_concrete_kind_with_a_vague_value(world, channel):
    _rejected(world, "successor_channels", "[0]", channels=[channel])


def test_it_accepts_free_text_that_points_somewhere(world):
    process = apply_closure(world, channels=[
        {"kind": "account", "value": "微信公众号「南京发布」"}, {"kind": "phone", "value": "12345"},
        {"kind": "website", "value": "www.nanjing.gov.cn"}, {"kind": "app", "value": "我的南京"},
    ])
    assert len(process.data["closure"]["channels"]) == 4
