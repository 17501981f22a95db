"""A countersign (会签) step runs in parallel: all must approve; one reject ends it."""

from __future__ import annotations

import pytest
from viewflow.workflow.status import STATUS

from approvals import selectors, services
from approvals.models import ApprovalPolicy, StepMode
from lifecycle.models import AccountState
from tests.approvals.helpers import apply_xl, decide

pytestmark = pytest.mark.django_db


@pytest.fixture
def countersign(nanjing):
    policy = ApprovalPolicy.objects.get(process_kind="opening", unit_level="township", unit_kind="")
    policy.extra_mode = StepMode.ALL
    policy.save()
    policy.extra_units.set([nanjing.u.njzj, nanjing.u.jb])
    from lifecycle.services import membership_add

    membership_add(user=nanjing.p.njzj_head, unit=nanjing.u.njzj, role="approver")
    return nanjing


def _to_countersign(nanjing):
    p = nanjing.p
    process = apply_xl(nanjing)
    decide(process, p.xl_head)
    decide(process, p.jy_approver)
    decide(process, p.nj_approver)
    return process


def test_it_opens_one_task_per_unit_and_waits_for_all(countersign):
    p = countersign.p
    process = _to_countersign(countersign)
    tasks = list(selectors.open_tasks(process))
    assert sorted(t.data["units"][0] for t in tasks) == ["JB", "NJZJ"]
    by_unit = {t.data["units"][0]: t for t in tasks}
    services.task_decide(task=by_unit["JB"], actor=p.jb_approver, decision="approve")
    process.account.refresh_from_db()
    assert process.account.state == AccountState.APPLYING
    services.task_decide(task=by_unit["NJZJ"], actor=p.njzj_head, decision="approve")
    process.account.refresh_from_db()
    assert process.account.state == AccountState.APPROVED


def test_it_cancels_the_sibling_when_one_unit_rejects(countersign):
    p = countersign.p
    process = _to_countersign(countersign)
    by_unit = {t.data["units"][0]: t for t in selectors.open_tasks(process)}
    services.task_decide(task=by_unit["JB"], actor=p.jb_approver, decision="reject", comment="不同意")
    by_unit["NJZJ"].refresh_from_db()
    assert by_unit["NJZJ"].status == STATUS.CANCELED
    process.account.refresh_from_db()
    assert process.account.state == AccountState.DRAFT
    assert not list(selectors.open_tasks(process))


def test_it_gives_an_any_one_step_a_single_shared_task(countersign):
    policy = ApprovalPolicy.objects.get(process_kind="opening", unit_level="township", unit_kind="")
    policy.extra_mode = StepMode.ANY
    policy.save()
    p = countersign.p
    process = _to_countersign(countersign)
    [task] = list(selectors.open_tasks(process))
    assert sorted(task.data["units"]) == ["JB", "NJZJ"]
    assert list(selectors.queue_for(p.jb_approver)) == [task]
    assert list(selectors.queue_for(p.njzj_head)) == [task]
    services.task_decide(task=task, actor=p.njzj_head, decision="approve")
    process.account.refresh_from_db()
    assert process.account.state == AccountState.APPROVED


def test_it_lets_a_countersigning_unit_outside_the_tree_read_the_approval(countersign):
    from notices.models import Notice
    from notices.selectors import notices_for

    p = countersign.p
    process = _to_countersign(countersign)
    for task in selectors.open_tasks(process):
        actor = p.jb_approver if task.data["units"] == ["JB"] else p.njzj_head
        services.task_decide(task=task, actor=actor, decision="approve")
    notice = Notice.objects.get(process_id=process.pk, kind="opening_approval")
    assert notice in notices_for(p.jb_approver)  # 江北 is not above 兴隆, but countersigned
    assert notice not in notices_for(p.jbdp_clerk)
