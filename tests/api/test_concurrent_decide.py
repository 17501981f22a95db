"""Two POST /api/tasks/{id}/decide/ at the same moment: exactly one 200, one 409."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from approvals.models import Decision
from lifecycle.models import AccountTransition
from tests.approvals.helpers import apply_xl, decide, only_open_task


@pytest.mark.django_db(transaction=True)
def test_it_lets_exactly_one_of_two_concurrent_requests_win(nanjing, client_for):
    p = nanjing.p
    process = apply_xl(nanjing)
    decide(process, p.xl_head)
    decide(process, p.jy_approver)
    task = only_open_task(process)  # the city step: its approval moves the account
    clients = [client_for(p.nj_approver), client_for(p.nj_approver)]
    barrier = threading.Barrier(2)
    codes: list[int] = []

    def click(client):
        try:
            barrier.wait()
            response = client.post(f"/api/tasks/{task.pk}/decide/",
                                   {"decision": "approve", "comment": "同意"}, format="json")
            codes.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=click, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(codes) == [200, 409]
    assert Decision.objects.filter(task=task).count() == 1
    assert AccountTransition.objects.filter(
        account=process.account, name="approve_opening").count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_approvers_racing_for_one_task_get_one_200_and_one_409(nanjing, client_for):
    from lifecycle.services import membership_add

    p = nanjing.p
    membership_add(user=p.jb_approver, unit=nanjing.u.jy, role="approver")
    process = apply_xl(nanjing)
    decide(process, p.xl_head)
    task = only_open_task(process)
    barrier = threading.Barrier(2)
    codes: list[int] = []

    def click(user):
        client = client_for(user)
        try:
            barrier.wait()
            codes.append(client.post(f"/api/tasks/{task.pk}/decide/", {"decision": "approve"},
                                     format="json").status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=click, args=(u,)) for u in (p.jy_approver, p.jb_approver)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(codes) == [200, 409]
    assert Decision.objects.filter(task=task).count() == 1
