"""Data steps driven through the API: values of the wrong JSON type, a platform id already
in service, dates far off, and a repeat on a done task — each a clear 400/409, nothing
written."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from approvals.models import Decision
from lifecycle.models import AccountState
from tests.api.helpers import imported
from tests.approvals.helpers import apply_xl, decide, only_open_task

pytestmark = pytest.mark.django_db


def _registration(nanjing):
    p = nanjing.p
    process = apply_xl(nanjing)
    for user in (p.xl_head, p.jy_approver, p.nj_approver):
        decide(process, user)
    return process, only_open_task(process)


def _data(**extra):
    return {"platform_id": "gh_xl", "verified_subject": "兴隆街道办事处",
            "live_on": timezone.localdate().isoformat(), **extra}


@pytest.mark.parametrize("bad", [
    {"live_on": 99999999999999999999},
    {"live_on": 20261230},
    {"platform_id": ["x"]},
    {"verified_subject": {"a": 1}},
])
def test_wrong_json_types_are_400_not_500_or_text(nanjing, client_for, bad):
    process, task = _registration(nanjing)
    response = client_for(nanjing.p.xl_clerk).post(
        f"/api/tasks/{task.pk}/decide/", {"decision": "approve", "data": _data(**bad)},
        format="json")
    assert response.status_code == 400, response.content
    assert set(response.json()) == set(bad)
    assert not Decision.objects.filter(task=task).exists()
    process.account.refresh_from_db()
    assert process.account.state == AccountState.APPROVED


def test_a_platform_id_in_service_is_refused(nanjing, client_for):
    imported(nanjing.u.jy, "建邺发布", platform="wechat_official", platform_id="gh_taken")
    process, task = _registration(nanjing)
    assert process.account.platform == "wechat_official"
    response = client_for(nanjing.p.xl_clerk).post(
        f"/api/tasks/{task.pk}/decide/",
        {"decision": "approve", "data": _data(platform_id="gh_taken")}, format="json")
    assert response.status_code == 400
    assert "建邺发布" in response.json()["platform_id"][0]
    assert not Decision.objects.filter(task=task).exists()


def test_a_go_live_date_years_ahead_is_refused(nanjing, client_for):
    _, task = _registration(nanjing)
    response = client_for(nanjing.p.xl_clerk).post(
        f"/api/tasks/{task.pk}/decide/",
        {"decision": "approve", "data": _data(live_on="2099-01-01")}, format="json")
    assert response.status_code == 400 and "live_on" in response.json()


def test_a_repeat_on_a_done_task_is_409_even_with_bad_data(nanjing, client_for):
    process, task = _registration(nanjing)
    client = client_for(nanjing.p.xl_clerk)
    url = f"/api/tasks/{task.pk}/decide/"
    assert client.post(url, {"decision": "approve", "data": _data()}, format="json").status_code == 200
    response = client.post(url, {"decision": "approve", "data": {"live_on": "x"}}, format="json")
    assert response.status_code == 409


def test_a_deregistration_before_the_opening_is_refused():
    from lifecycle import services as lifecycle
    from lifecycle.models import Account

    account = Account(opened_on=datetime.date(2014, 3, 1))
    with pytest.raises(Exception) as exc:
        lifecycle.check_deregistration(account=account, deregistered_on=datetime.date(1999, 1, 1))
    assert "deregistered_on" in exc.value.message_dict
    with pytest.raises(Exception) as exc:
        lifecycle.check_deregistration(account=account, deregistered_on=datetime.date(2099, 1, 1))
    assert "deregistered_on" in exc.value.message_dict
    lifecycle.check_deregistration(account=account, deregistered_on=timezone.localdate())
