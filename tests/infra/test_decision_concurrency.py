"""Two decisions on one task at once on PostgreSQL (process row lock, two connections):
exactly one wins, one Decision and one audit row, one set of next tasks."""

from __future__ import annotations

import pytest

from approvals import selectors
from approvals import services as approvals_services
from approvals.models import Decision
from lifecycle.models import AccountState, AccountTransition
from tests.approvals.helpers import apply_xl, decide, only_open_task

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_it_lets_exactly_one_of_two_concurrent_decisions_win(services, run_in_threads, nanjing):
    p = nanjing.p
    process = apply_xl(nanjing)
    decide(process, p.xl_head)
    decide(process, p.jy_approver)
    task = only_open_task(process)  # the last step: approving it moves the account

    def click(barrier):
        barrier.wait()
        return approvals_services.task_decide(task=task, actor=p.nj_approver, decision="approve")

    results = run_in_threads(click, n=2)
    errors = [exc for _r, exc in results if exc is not None]
    assert len(errors) == 1 and isinstance(errors[0], approvals_services.TaskConflict), results
    assert Decision.objects.filter(task=task).count() == 1
    assert AccountTransition.objects.filter(account=process.account, name="approve_opening").count() == 1
    process.account.refresh_from_db()
    assert process.account.state == AccountState.APPROVED
    assert [t.flow_task.task_kind for t in selectors.open_tasks(process)] == ["registration"]


def test_it_lets_one_of_two_approvers_claim_a_shared_task(services, run_in_threads, nanjing):
    from lifecycle.services import membership_add

    p = nanjing.p
    membership_add(user=p.jb_approver, unit=nanjing.u.jy, role="approver")
    process = apply_xl(nanjing)
    decide(process, p.xl_head)
    task = only_open_task(process)
    actors = [p.jy_approver, p.jb_approver]

    def claim(barrier):
        actor = actors[barrier.wait()]
        return approvals_services.task_decide(task=task, actor=actor, decision="approve")

    results = run_in_threads(claim, n=2)
    assert sum(exc is None for _r, exc in results) == 1, results
    assert Decision.objects.filter(task=task).count() == 1
