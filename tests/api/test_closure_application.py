"""POST /api/applications/closure/ → approvals.services.closure_apply (its rules, its texts)."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from approvals import services
from approvals.models import AccountProcess
from lifecycle import services as lifecycle
from lifecycle.models import AccountState
from tests.api.helpers import imported

pytestmark = pytest.mark.django_db

URL = "/api/applications/closure/"
CHANNELS = [{"kind": "website", "value": "https://amr.nanjing.gov.cn"},
            {"kind": "phone", "value": "025-12345"}]


@pytest.fixture
def zj(nanjing):
    return imported(nanjing.u.njzj, "南京质检", platform="wechat_official", platform_id="njzj")


@pytest.fixture
def sy(nanjing):
    return imported(nanjing.u.njzj, "南京食药监", platform="weibo", platform_id="njsy")


def body(account, **extra):
    return {"account": account.pk, "kind": "close", "reason": "职能划转，账号停止运营",
            "stop_on": timezone.localdate().isoformat(), "successor_channels": CHANNELS, **extra}


def test_it_starts_the_closure_flow(nanjing, zj, client_for):
    response = client_for(nanjing.p.njzj_clerk).post(URL, body(zj), format="json")
    assert response.status_code == 201, response.content
    process = AccountProcess.objects.get(pk=response.json()["process_id"])
    assert response.json()["account"] == {"id": zj.pk, "name": "南京质检",
                                           "platform": "wechat_official", "platform_id": "njzj"}
    assert process.kind == "closure" and process.account == zj
    assert process.data["closure"]["channels"] == CHANNELS


def test_it_merges_into_a_named_successor(nanjing, zj, sy, client_for):
    response = client_for(nanjing.p.njzj_clerk).post(
        URL, body(zj, kind="merge", successor_account=sy.pk, successor_channels=[]), format="json")
    assert response.status_code == 201, response.content
    process = AccountProcess.objects.get(pk=response.json()["process_id"])
    assert process.data["closure"]["successor_account"] == sy.pk


@pytest.mark.parametrize("field", ["account", "kind", "reason", "stop_on"])
def test_it_requires_each_field(nanjing, zj, client_for, field):
    data = body(zj)
    del data[field]
    response = client_for(nanjing.p.njzj_clerk).post(URL, data, format="json")
    assert response.status_code == 400
    assert response.json() == {field: [str(lifecycle.ERR_REQUIRED)]}


@pytest.mark.parametrize("extra, field, message", [
    ({"kind": "sell"}, "kind", services.ERR_CLOSURE_KIND),
    ({"reason": "  "}, "reason", lifecycle.ERR_REQUIRED),
    ({"stop_on": "2020-01-01"}, "stop_on", services.ERR_STOP_ON_PAST),
    ({"stop_on": "tomorrow"}, "stop_on", services.ERR_STOP_ON_INVALID),
    ({"kind": "merge"}, "successor_account", services.ERR_MERGE_NEEDS_SUCCESSOR),
    ({"successor_account": 999999}, "successor_account", services.ERR_SUCCESSOR_UNKNOWN),
    ({"successor_channels": [{"kind": "other", "value": "其他平台"}]}, "successor_channels",
     lifecycle.ERR_SUCCESSOR_VAGUE),
    ({"successor_channels": [{"kind": "address", "value": "某路1号"}]}, "successor_channels",
     lifecycle.ERR_SUCCESSOR_ADDRESS_ONLY),
])
def test_it_answers_each_rule_with_the_service_text(nanjing, zj, client_for, extra, field, message):
    response = client_for(nanjing.p.njzj_clerk).post(URL, body(zj, **extra), format="json")
    assert response.status_code == 400
    assert response.json()[field] == [str(message)]
    assert not AccountProcess.objects.filter(kind="closure").exists()


@pytest.mark.parametrize("extra, field", [
    ({"account": "twelve"}, "account"),
    ({"successor_account": "x"}, "successor_account"),
    ({"successor_channels": "website"}, "successor_channels"),
    ({"successor_channels": [["website", "x"]]}, "successor_channels"),
    ({"reason": {"a": 1}}, "reason"),
])
def test_it_refuses_wrong_types(nanjing, zj, client_for, extra, field):
    response = client_for(nanjing.p.njzj_clerk).post(URL, {**body(zj), **extra}, format="json")
    assert response.status_code == 400
    assert field in response.json()


def test_it_refuses_a_second_application(nanjing, zj, client_for):
    client = client_for(nanjing.p.njzj_clerk)
    assert client.post(URL, body(zj), format="json").status_code == 201
    response = client.post(URL, body(zj), format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["account"]


def test_it_refuses_an_account_of_another_unit_in_scope(nanjing, client_for):
    # 兴隆's clerk sees nothing of 质监; the 建邺 approver sees 兴隆 but is no applicant there.
    xl = imported(nanjing.u.xl, "兴隆发布")
    response = client_for(nanjing.p.jy_approver).post(URL, body(xl), format="json")
    assert response.status_code == 400
    assert response.json()["account"] == [str(services.ERR_NOT_ACCOUNT_APPLICANT)]


def test_an_out_of_scope_account_reads_like_an_unknown_one(nanjing, zj, client_for):
    client = client_for(nanjing.p.xl_clerk)
    foreign = client.post(URL, body(zj), format="json")
    unknown = client.post(URL, {**body(zj), "account": 999999}, format="json")
    assert foreign.status_code == unknown.status_code == 400
    assert foreign.json() == unknown.json() == {"account": ["账号不存在。"]}


def test_a_future_stop_on_is_accepted_and_the_account_stays_active(nanjing, zj, client_for):
    data = body(zj, stop_on=(timezone.localdate() + datetime.timedelta(days=3)).isoformat())
    assert client_for(nanjing.p.njzj_clerk).post(URL, data, format="json").status_code == 201
    zj.refresh_from_db()
    assert zj.state == AccountState.ACTIVE  # closing only once the chain approves
