"""Closure and merger through the browser views: the application form, the task pages of
the chain, run_due, and the deregistration step (task page fields are prefixed "d-")."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from approvals.models import AccountProcess
from lifecycle.models import AccountState
from tests.approvals.closure_helpers import world_fixture  # noqa: F401
from tests.approvals.helpers import only_open_task

pytestmark = pytest.mark.django_db


def _post_task(client, user, task, **fields):
    client.force_login(user)
    return client.post(reverse("work:task", args=[task.pk]), {f"d-{k}": v for k, v in fields.items()})


def _apply(client, world, account, **fields):
    client.force_login(world.p.njzj_clerk)
    return client.post(reverse("work:apply_closure", args=[account.pk]), fields)


def _drive(client, world, process):
    for user in (world.p.njzj_head, world.p.nj_approver):
        task = only_open_task(process)
        assert client.get(reverse("work:task", args=[task.pk])).status_code in (200, 302)
        response = _post_task(client, user, task, decision="approve", comment="同意")
        assert response.status_code == 302, response.content.decode()[:1500]
    process.refresh_from_db()
    call_command("run_due", now=process.data["notice_period"]["due_on"], stdout=io.StringIO())
    task = only_open_task(process)
    client.force_login(world.p.njzj_clerk)
    page = client.get(reverse("work:task", args=[task.pk]))
    assert page.status_code == 200 and "平台注销日期" in page.content.decode()
    response = _post_task(client, world.p.njzj_clerk, task,
                          deregistered_on=timezone.localdate().isoformat())
    assert response.status_code == 302, response.content.decode()[:1500]
    process.account.refresh_from_db()
    return process.account


def test_it_closes_an_account_from_the_web_form(client, world):
    client.force_login(world.p.njzj_clerk)
    page = client.get(reverse("work:apply_closure", args=[world.zj.pk]))
    assert page.status_code == 200 and "南京质检" in page.content.decode()
    response = _apply(
        client, world, world.zj, kind="close", reason="职能划转", stop_on=timezone.localdate(),
        successor_account=world.sy.pk, channel_kind_0="website",
        channel_value_0="https://amr.nanjing.gov.cn",
    )
    assert response.status_code == 302, response.content.decode()[:1500]
    process = AccountProcess.objects.get(account=world.zj, kind="closure")
    account = _drive(client, world, process)
    assert account.state == AccountState.CLOSED
    assert account.successor == world.sy


def test_it_merges_an_account_from_the_web_form(client, world):
    response = _apply(client, world, world.zj, kind="merge", reason="整合",
                      stop_on=timezone.localdate(), successor_account=world.sy.pk)
    assert response.status_code == 302
    account = _drive(client, world, AccountProcess.objects.get(account=world.zj))
    assert account.state == AccountState.MERGED and account.successor == world.sy


def test_it_shows_the_vague_successor_message_and_writes_nothing(client, world):
    response = _apply(client, world, world.zj, kind="close", reason="x",
                      stop_on=timezone.localdate(), channel_kind_0="other",
                      channel_value_0="其他平台")
    assert response.status_code == 400
    assert "仅写“其他平台”不予接受" in response.content.decode()
    assert not AccountProcess.objects.exists()


def test_it_hides_accounts_of_other_units(client, world):
    client.force_login(world.p.xl_clerk)
    assert client.get(reverse("work:apply_closure", args=[world.zj.pk])).status_code == 404
    assert client.get(reverse("work:apply_change", args=[world.zj.pk])).status_code == 404
