"""OA actions through approvals.services.oa: 催办 (who, rate limit, record, notification),
抄送 (targets, read-only scope, notification), 评论, 加签 before and after one's own step."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError

from approvals import selectors, services
from approvals.chains import step_title
from approvals.models import Decision, ProcessEvent, ProcessEventKind
from lifecycle import notifications as n
from lifecycle import services as lifecycle
from lifecycle.models import Notification
from tests.approvals.helpers import apply_xl, decide, only_open_task

pytestmark = pytest.mark.django_db


def _kinds(user):
    return [row.kind for row in Notification.objects.filter(recipient=user)]


# -- urge -------------------------------------------------------------------------------------


def test_the_applicant_urges_the_holders_once_an_hour(nanjing):
    p = nanjing.p
    process = apply_xl(nanjing)
    event = services.process_urge(process=process, actor=p.xl_clerk, comment="急用")
    assert event.kind == ProcessEventKind.URGE and event.data["to"] == [p.xl_head.pk]
    [row] = Notification.objects.filter(recipient=p.xl_head, kind=n.URGED)
    assert row.text == "兴隆填报员催办：兴隆发布（单位负责人审核），请尽快办理"
    assert row.body == "急用"
    with pytest.raises(services.TaskConflict, match="分钟后再催办"):
        services.process_urge(process=process, actor=p.xl_clerk)
    ProcessEvent.objects.filter(pk=event.pk).update(at=event.at - datetime.timedelta(hours=2))
    services.process_urge(process=process, actor=p.xl_clerk)
    assert ProcessEvent.objects.filter(kind=ProcessEventKind.URGE).count() == 2


def test_a_supervisor_may_urge_but_an_outsider_may_not(nanjing):
    p = nanjing.p
    process = apply_xl(nanjing)
    services.process_urge(process=process, actor=p.jy_approver)  # 建邺区 is above 兴隆街道
    with pytest.raises(services.TaskForbidden):
        services.process_urge(process=process, actor=p.jb_approver)
    assert ProcessEvent.objects.count() == 1


def test_nothing_to_urge_on_a_finished_process(nanjing):
    p = nanjing.p
    process = apply_xl(nanjing)
    services.process_withdraw(process=process, actor=p.xl_clerk)
    with pytest.raises(services.TaskConflict):
        services.process_urge(process=process, actor=p.xl_clerk)
    assert not ProcessEvent.objects.exists()


# -- copy -------------------------------------------------------------------------------------


def test_copy_gives_read_access_and_notifies(nanjing):
    p, u = nanjing.p, nanjing.u
    process = apply_xl(nanjing)
    outsider = lifecycle.user_upsert(username="jy_clerk", full_name="建邺填报员", password="pw",
                                     memberships=[(u.jy, "applicant")])
    assert not selectors.process_in_scope(p.jb_approver, process.pk)
    # the district approver copies to one person of their district and to a unit
    services.process_copy(process=process, actor=p.jy_approver, users=[outsider],
                          units=[u.xl], comment="请知悉")
    assert n.COPIED in _kinds(outsider)
    assert n.COPIED in _kinds(p.xl_head)  # a member of the copied unit
    # 江北 is outside 建邺's units: refused, nothing written
    with pytest.raises(ValidationError):
        services.process_copy(process=process, actor=p.jy_approver, users=[p.jb_approver])
    with pytest.raises(ValidationError):
        services.process_copy(process=process, actor=p.jy_approver)
    assert ProcessEvent.objects.filter(kind=ProcessEventKind.COPY).count() == 1


def test_a_copied_reader_sees_the_process(nanjing):
    p, u = nanjing.p, nanjing.u
    process = apply_xl(nanjing)
    jb_head = lifecycle.user_upsert(username="nj_head", full_name="市府办负责人", password="pw",
                                    memberships=[(u.nj, "unit_head")])
    services.process_copy(process=process, actor=jb_head, users=[p.jb_approver])
    assert selectors.process_in_scope(p.jb_approver, process.pk)
    assert not selectors.process_in_scope(p.jbdp_clerk, process.pk)


def test_someone_not_involved_may_not_copy(nanjing):
    p = nanjing.p
    process = apply_xl(nanjing)
    with pytest.raises(services.TaskForbidden):
        services.process_copy(process=process, actor=p.jbdp_clerk, units=[nanjing.u.jbdp])


# -- comment ----------------------------------------------------------------------------------


def test_a_comment_is_recorded_without_deciding(nanjing):
    p = nanjing.p
    process = apply_xl(nanjing)
    services.process_comment(process=process, actor=p.jy_approver, comment="材料齐全")
    assert only_open_task(process).status == "NEW"
    assert ProcessEvent.objects.get(kind=ProcessEventKind.COMMENT).comment == "材料齐全"
    with pytest.raises(ValidationError):
        services.process_comment(process=process, actor=p.jy_approver, comment="  ")
    with pytest.raises(services.TaskForbidden):
        services.process_comment(process=process, actor=p.jb_approver, comment="看看")


# -- add a signer -----------------------------------------------------------------------------


def _labels(process):
    process.refresh_from_db()
    return [step["label"] for step in process.data["chain"]]


def test_add_a_signer_after_ones_own_step(nanjing):
    p, u = nanjing.p, nanjing.u
    process = apply_xl(nanjing)
    decide(process, p.xl_head)
    task = only_open_task(process)  # 建邺区 step
    extra = lifecycle.user_upsert(username="jy_second", full_name="建邺二审", password="pw",
                                  memberships=[(u.jy, "approver")])
    assert extra in services.signer_candidates(task, p.jy_approver)
    assert p.xl_clerk not in services.signer_candidates(task, p.jy_approver)  # the applicant
    assert p.xl_head not in services.signer_candidates(task, p.jy_approver)  # signed already
    services.task_add_signer(task=task, actor=p.jy_approver, signer=extra, position="after",
                             reason="涉及网络安全，请二审把关")
    labels = _labels(process)
    assert labels[2] == "加签：建邺二审（建邺区人民政府办公室）"
    assert step_title(process.data["chain"][2]) == labels[2]  # the task page's chain
    decide(process, p.jy_approver)
    added = only_open_task(process)
    assert added.owner == extra and added.data["step"] == 2  # assigned to the person
    decide(process, extra)
    assert only_open_task(process).data["step"] == 3  # the city step follows


def test_add_a_signer_before_ones_own_step(nanjing, django_capture_on_commit_callbacks):
    p, u = nanjing.p, nanjing.u
    process = apply_xl(nanjing)
    decide(process, p.xl_head)
    task = only_open_task(process)
    extra = lifecycle.user_upsert(username="jy_second", full_name="建邺二审", password="pw",
                                  memberships=[(u.jy, "approver")])
    with django_capture_on_commit_callbacks(execute=True):
        services.task_add_signer(task=task, actor=p.jy_approver, signer=extra, position="before",
                                 reason="请先由二审核对")
    assert n.TASK_NEW in _kinds(extra)
    added = only_open_task(process)
    assert added.owner == extra and added.data["step"] == 1
    recorded = Decision.objects.get(task=task)
    assert (recorded.decision, recorded.step) == ("addsign", 2)
    decide(process, extra)
    back = only_open_task(process)
    assert back.data["step"] == 2
    decide(process, p.jy_approver)  # the approver signs their own (moved) step
    assert only_open_task(process).data["step"] == 3


def test_add_signer_refuses_bad_input_and_writes_nothing(nanjing):
    p = nanjing.p
    process = apply_xl(nanjing)
    task = only_open_task(process)
    before = process.data["chain"]
    for kwargs in ({"signer": p.jb_approver, "position": "after", "reason": "x"},
                   {"signer": p.jy_approver, "position": "sideways", "reason": "x"},
                   {"signer": p.jy_approver, "position": "after", "reason": " "}):
        with pytest.raises(ValidationError):
            services.task_add_signer(task=task, actor=p.xl_head, **kwargs)
    process.refresh_from_db()
    assert process.data["chain"] == before and not ProcessEvent.objects.exists()
