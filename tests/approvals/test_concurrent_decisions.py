"""Two decisions on one task at the same moment: exactly one wins (SQLite leg)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from approvals import selectors, services
from approvals.models import Decision
from lifecycle.models import AccountTransition
from tests.approvals.helpers import apply_xl, decide, only_open_task


@pytest.mark.django_db(transaction=True)
def test_it_lets_exactly_one_of_two_concurrent_decisions_win(nanjing):
    p = nanjing.p
    process = apply_xl(nanjing)
    decide(process, p.xl_head)
    decide(process, p.jy_approver)
    task = only_open_task(process)  # the city step: its approval moves the account
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def click():
        try:
            barrier.wait()
            services.task_decide(task=task, actor=p.nj_approver, decision="approve")
            outcomes.append("ok")
        except services.TaskConflict:
            outcomes.append("conflict")
        finally:
            connection.close()

    threads = [threading.Thread(target=click) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes) == ["conflict", "ok"]
    assert Decision.objects.filter(task=task).count() == 1
    assert AccountTransition.objects.filter(account=process.account, name="approve_opening").count() == 1
    # One set of next tasks: the single registration task.
    assert [t.flow_task.task_kind for t in selectors.open_tasks(process)] == ["registration"]
