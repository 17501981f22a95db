"""A returned closure or change application is edited by the applicant and resubmitted:
the revision step shows the application's own form, validates it like a new application
and replaces the plan the approvers and the notice see."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from approvals.models import AccountProcess, Decision
from lifecycle.models import AccountState
from notices.models import Notice
from tests.approvals.closure_helpers import (  # noqa: F401  (world_fixture provides `world`)
    apply_closure,
    approve_chain,
    days,
    pdf_text,
    world_fixture,
)
from tests.approvals.helpers import decide, only_open_task

pytestmark = pytest.mark.django_db

VAGUE = [{"kind": "other", "value": "其他平台"}]


def _returned_closure(world, **kwargs):
    process = apply_closure(world, **kwargs)
    decide(process, world.p.njzj_head, decision="return", comment="承接渠道不具体，请写明网址")
    task = only_open_task(process)
    assert task.flow_task.task_kind == "revision"
    return process, task


def _closure_post(*, reason, stop_on, channels, kind="close", successor=""):
    data = {"action": "approve", "d-kind": kind, "d-reason": reason,
            "d-stop_on": stop_on.isoformat(), "d-successor_account": successor}
    for i in range(4):
        kind_i, value_i = channels[i] if i < len(channels) else ("", "")
        data[f"d-channel_kind_{i}"] = kind_i
        data[f"d-channel_value_{i}"] = value_i
    return data


def test_it_shows_the_returned_closure_prefilled_for_editing(world, client):
    process, task = _returned_closure(world, successor=world.sy)
    client.force_login(world.p.njzj_clerk)
    page = client.get(f"/work/tasks/{task.pk}/").content.decode()
    assert "承接渠道不具体，请写明网址" in page  # the return comment
    assert "职能划转，账号停止运营" in page  # the reason as applied
    assert 'value="https://amr.nanjing.gov.cn"' in page
    assert 'value="025-12345"' in page
    assert f'<option value="{world.sy.pk}" selected>' in page


def test_it_resubmits_an_edited_closure_and_announces_the_new_successors(
    world, client, django_capture_on_commit_callbacks
):
    process, task = _returned_closure(world)
    client.force_login(world.p.njzj_clerk)
    stop_on = timezone.localdate() + days(5)
    response = client.post(f"/work/tasks/{task.pk}/", _closure_post(
        reason="机构改革，职能并入市场监管局", stop_on=stop_on,
        channels=[("website", "https://scjgj.nanjing.gov.cn"), ("phone", "025-12315")],
    ))
    assert response.status_code == 302, response.content.decode()[:2000]
    process.refresh_from_db()
    plan = process.data["closure"]
    assert plan["reason"] == "机构改革，职能并入市场监管局"
    assert plan["stop_on"] == stop_on.isoformat()
    assert plan["channels"] == [{"kind": "website", "value": "https://scjgj.nanjing.gov.cn"},
                                {"kind": "phone", "value": "025-12315"}]
    revision = Decision.objects.get(process=process, task=task)
    assert revision.data["channels"] == plan["channels"]
    world.zj.refresh_from_db()
    assert world.zj.state == AccountState.ACTIVE and world.zj.name == "南京质检"

    # The chain starts over at the unit head and the notice carries the revised successors.
    with django_capture_on_commit_callbacks(execute=True):
        approve_chain(world, process)
    text = pdf_text(Notice.objects.get(process_id=process.pk))
    assert "https://scjgj.nanjing.gov.cn" in text and "025-12315" in text
    assert "amr.nanjing.gov.cn" not in text


def test_it_rejects_a_vague_revision_and_keeps_the_application(world, client):
    process, task = _returned_closure(world)
    before = dict(process.data["closure"])
    client.force_login(world.p.njzj_clerk)
    response = client.post(f"/work/tasks/{task.pk}/", _closure_post(
        reason="x", stop_on=timezone.localdate(), channels=[("other", "其他平台")],
    ))
    assert response.status_code == 400
    page = response.content.decode()
    assert "其他平台" in page and "具体" in page  # the vague-successor message, on the form
    process.refresh_from_db()
    assert process.data["closure"] == before
    assert only_open_task(process).pk == task.pk
    assert not Decision.objects.filter(task=task).exists()


def test_it_rejects_a_past_stop_date_in_a_revision(world, client):
    process, task = _returned_closure(world)
    client.force_login(world.p.njzj_clerk)
    response = client.post(f"/work/tasks/{task.pk}/", _closure_post(
        reason="x", stop_on=timezone.localdate() - days(1),
        channels=[("website", "https://scjgj.nanjing.gov.cn")],
    ))
    assert response.status_code == 400
    assert "不得早于今天" in response.content.decode() or "早于" in response.content.decode()
    assert not Decision.objects.filter(task=task).exists()


def test_it_turns_a_returned_closure_into_a_merger(world, client):
    process, task = _returned_closure(world)
    client.force_login(world.p.njzj_clerk)
    response = client.post(f"/work/tasks/{task.pk}/", _closure_post(
        kind="merge", reason="并入南京食药监", stop_on=timezone.localdate(), channels=[],
        successor=str(world.sy.pk),
    ))
    assert response.status_code == 302, response.content.decode()[:2000]
    process.refresh_from_db()
    assert process.data["closure"]["kind"] == "merge"
    assert process.data["closure"]["successor_account"] == world.sy.pk


def test_it_edits_a_returned_change_before_it_is_applied(world, client,
                                                         django_capture_on_commit_callbacks):
    from approvals import services

    process = services.change_apply(actor=world.p.njzj_clerk, account=world.zj,
                                    changes={"name": "南京市场监管"}, reason="机构改革更名")
    decide(process, world.p.njzj_head, decision="return", comment="名称应与机构全称一致")
    task = only_open_task(process)
    client.force_login(world.p.njzj_clerk)
    page = client.get(f"/work/tasks/{task.pk}/").content.decode()
    assert 'value="南京市场监管"' in page and "机构改革更名" in page
    data = {"action": "approve", "d-name": "南京市市场监督管理局", "d-operator": "",
            "d-verified_subject": "", "d-contact_name": "", "d-contact_phone": "025-8000",
            "d-purpose": "", "d-reason": "按机构全称更名"}
    response = client.post(f"/work/tasks/{task.pk}/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    process.refresh_from_db()
    assert process.data["change"]["changes"] == {"name": "南京市市场监督管理局"}
    assert process.data["change"]["reason"] == "按机构全称更名"
    world.zj.refresh_from_db()
    assert world.zj.name == "南京质检"  # nothing applied before the chain approves
    with django_capture_on_commit_callbacks(execute=True):
        approve_chain(world, process)
    world.zj.refresh_from_db()
    assert world.zj.name == "南京市市场监督管理局"


def test_it_rejects_a_change_revision_that_changes_nothing(world, client):
    from approvals import services

    process = services.change_apply(actor=world.p.njzj_clerk, account=world.zj,
                                    changes={"name": "南京市场监管"}, reason="机构改革更名")
    decide(process, world.p.njzj_head, decision="return", comment="请核实")
    task = only_open_task(process)
    with pytest.raises(ValidationError) as exc:
        services.task_decide(task=task, actor=world.p.njzj_clerk, decision="approve",
                             data={"name": "南京质检"})
    assert "changes" in exc.value.message_dict
    assert AccountProcess.objects.get(pk=process.pk).data["change"]["changes"] == {
        "name": "南京市场监管"}
    assert not Decision.objects.filter(task=task).exists()


def test_the_approver_sees_what_a_closure_asks_for(world, client):
    from approvals import services

    process = services.closure_apply(
        actor=world.p.njzj_clerk, account=world.zj_weibo, kind="merge", reason="整合到公众号",
        stop_on=timezone.localdate() + days(3), successor_account=world.sy,
        successor_channels=[{"kind": "website", "value": "https://amr.nanjing.gov.cn"}],
    )
    task = only_open_task(process)
    client.force_login(world.p.njzj_head)
    page = client.get(f"/work/tasks/{task.pk}/").content.decode()
    block = page[page.index('data-testid="closure-request"'):]
    assert "整合（并入其他账号）" in block and "整合到公众号" in block
    assert (timezone.localdate() + days(3)).isoformat() in block
    assert "南京食药监" in block and "njshiyaojian" in block
    assert "网站：https://amr.nanjing.gov.cn" in block
    assert "平台" in block and "不同" in block  # the cross-platform note


def test_the_approver_sees_what_a_change_asks_for(world, client):
    from approvals import services

    process = services.change_apply(actor=world.p.njzj_clerk, account=world.zj,
                                    changes={"name": "南京市场监管", "operator": "某传媒公司"},
                                    reason="机构改革更名")
    task = only_open_task(process)
    client.force_login(world.p.njzj_head)
    page = client.get(f"/work/tasks/{task.pk}/").content.decode()
    block = page[page.index('data-testid="change-request"'):]
    assert "账号名称" in block and "南京质检 → <strong>南京市场监管</strong>" in block
    assert "运维单位" in block and "（空） → <strong>某传媒公司</strong>" in block
    assert "机构改革更名" in block


def test_the_approver_of_a_reopening_sees_the_closed_record(world, client):
    from approvals import services
    from tests.approvals.closure_helpers import close_fully

    old = close_fully(world, world.zj_weibo).account
    process = services.opening_apply(
        actor=world.p.njzj_clerk, unit=world.u.njzj, platform="weibo", name="南京质检微博",
        purpose="恢复开设", contact_name="张三", contact_phone="025-1234",
    )
    assert process.account.reopens == old
    client.force_login(world.p.njzj_head)
    page = client.get(f"/work/tasks/{only_open_task(process).pk}/").content.decode()
    block = page[page.index('data-testid="reopens"'):]
    assert "南京质检微博" in block and "已关停" in block
