"""Transfer (转办) to another candidate, and bulk approval after a confirmation step."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from approvals import selectors, services
from approvals.models import Decision
from lifecycle.services import user_upsert
from tests.approvals.helpers import apply_xl, decide, only_open_task

pytestmark = pytest.mark.django_db


def test_it_transfers_a_claimed_task_to_another_candidate_only(nanjing):
    colleague = user_upsert(username="jy_approver2", full_name="建邺审核人二", password="pw",
                            memberships=[(nanjing.u.jy, "approver")])
    process = apply_xl(nanjing)
    decide(process, nanjing.p.xl_head)
    task = only_open_task(process)
    services.task_claim(task=task, actor=nanjing.p.jy_approver)
    with pytest.raises(ValidationError):
        services.task_transfer(task=task, actor=nanjing.p.jy_approver, to_user=nanjing.p.jb_approver)
    services.task_transfer(task=task, actor=nanjing.p.jy_approver, to_user=colleague)
    task.refresh_from_db()
    assert task.owner == colleague
    assert task.data["transfers"][0]["to"] == "jy_approver2"
    with pytest.raises(services.TaskConflict):
        services.task_transfer(task=task, actor=nanjing.p.jy_approver, to_user=colleague)


def test_it_bulk_approves_only_after_confirmation(client, nanjing):
    one = apply_xl(nanjing, name="一号", platform="weibo")
    two = apply_xl(nanjing, name="二号", platform="douyin")
    tasks = [only_open_task(one), only_open_task(two)]
    client.force_login(nanjing.p.xl_head)
    page = client.get(reverse("work:bulk_approve")).content.decode()
    assert "一号" in page and "二号" in page
    confirm = client.post(reverse("work:bulk_approve"), {"task": [t.pk for t in tasks]})
    assert confirm.status_code == 200 and "确认同意以下 2 项" in confirm.content.decode()
    assert not Decision.objects.exists()
    done = client.post(reverse("work:bulk_approve"),
                       {"task": [t.pk for t in tasks], "confirm": "1", "comment": "同意"})
    assert done.status_code == 302
    assert Decision.objects.filter(decision="approve").count() == 2
    assert [t.data["step"] for t in (only_open_task(one), only_open_task(two))] == [1, 1]
    assert list(selectors.queue_for(nanjing.p.xl_head)) == []
