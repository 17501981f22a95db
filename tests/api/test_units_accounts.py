"""GET /api/units/, /api/accounts/ (filters), /api/accounts/{id}/ and its history."""

from __future__ import annotations

import pytest

from lifecycle import services
from lifecycle.models import AccountState
from tests.api.helpers import imported, results

pytestmark = pytest.mark.django_db

ACCOUNT_FIELDS = {
    "id", "name", "platform", "platform_id", "unit", "state", "operator", "successor",
    "successor_channels", "followers", "posts_total", "last_post_on", "opened_on", "closed_on",
}


@pytest.fixture
def accounts(nanjing):
    u = nanjing.u
    return {
        "jy": imported(u.jy, "建邺发布", platform="wechat_official", platform_id="gh_jianye"),
        "xl": imported(u.xl, "兴隆发布", platform="weibo", platform_id="xinglong123"),
        "sq": imported(u.sq, "某社区", platform="douyin", platform_id="dy_sq"),
        "jb": imported(u.jb, "江北发布", platform="wechat_official", platform_id="gh_jiangbei"),
    }


def test_it_lists_the_units_of_my_subtree(nanjing, client_for):
    rows = results(client_for(nanjing.p.jy_approver).get("/api/units/"))
    assert [r["code"] for r in rows] == ["JY", "JYXL", "JYXLSQ", "JYXLNB"]
    assert rows[1] == {
        "code": "JYXL", "name": "兴隆街道办事处", "short_name": "兴街办", "level": "township",
        "kind": "government_office", "parent": {"code": "JY", "name": "建邺区人民政府办公室"},
        "supervisor": {"code": "JY", "name": "建邺区人民政府办公室"}, "may_open_accounts": True,
    }


def test_it_lists_no_units_for_a_user_without_memberships(nanjing, client_for):
    from django.contrib.auth import get_user_model

    nobody = get_user_model().objects.create_user("nobody", password="pw")
    body = client_for(nobody).get("/api/units/").json()
    assert body == {"count": 0, "next": None, "previous": None, "results": []}


def test_it_lists_accounts_with_the_contract_fields(nanjing, accounts, client_for):
    rows = results(client_for(nanjing.p.jy_approver).get("/api/accounts/"))
    assert sorted(r["name"] for r in rows) == ["兴隆发布", "建邺发布", "某社区"]
    row = next(r for r in rows if r["name"] == "建邺发布")
    assert set(row) == ACCOUNT_FIELDS
    assert row == {
        "id": accounts["jy"].pk, "name": "建邺发布", "platform": "wechat_official",
        "platform_id": "gh_jianye", "unit": {"code": "JY", "name": "建邺区人民政府办公室"},
        "state": "active", "operator": "", "successor": None, "successor_channels": [],
        "followers": 100, "posts_total": 10, "last_post_on": "2026-05-01",
        "opened_on": "2019-06-05", "closed_on": None,
    }


def test_it_paginates(nanjing, accounts, client_for):
    body = client_for(nanjing.p.nj_approver).get("/api/accounts/?page=1").json()
    assert body["count"] == 4 and body["next"] is None and body["previous"] is None


def test_it_filters_by_state_and_platform(nanjing, accounts, client_for):
    client = client_for(nanjing.p.nj_approver)
    services.account_start_closure(account=accounts["xl"], actor=nanjing.p.nj_approver)
    assert [r["name"] for r in results(client.get("/api/accounts/?state=closing"))] == ["兴隆发布"]
    names = [r["name"] for r in results(client.get("/api/accounts/?platform=wechat_official"))]
    assert sorted(names) == ["建邺发布", "江北发布"]
    assert results(client.get("/api/accounts/?state=closing&platform=wechat_official")) == []


def test_it_filters_a_units_whole_subtree(nanjing, accounts, client_for):
    client = client_for(nanjing.p.nj_approver)
    names = sorted(r["name"] for r in results(client.get("/api/accounts/?unit=JYXL")))
    assert names == ["兴隆发布", "某社区"]
    assert [r["name"] for r in results(client.get("/api/accounts/?unit=JB"))] == ["江北发布"]


def test_it_matches_q_on_name_and_platform_id(nanjing, accounts, client_for):
    client = client_for(nanjing.p.nj_approver)
    assert [r["name"] for r in results(client.get("/api/accounts/?q=兴隆"))] == ["兴隆发布"]
    assert [r["name"] for r in results(client.get("/api/accounts/?q=GH_JIANG"))] == ["江北发布"]


@pytest.mark.parametrize("query, field", [("state=open", "state"), ("platform=myspace", "platform"),
                                          ("q=" + "x" * 201, "q"), ("unit=" + "X" * 33, "unit")])
def test_it_refuses_bad_filters_with_field_messages(nanjing, client_for, query, field):
    response = client_for(nanjing.p.nj_approver).get(f"/api/accounts/?{query}")
    assert response.status_code == 400
    assert list(response.json()) == [field]


def test_an_unknown_or_foreign_unit_filter_lists_nothing(nanjing, accounts, client_for):
    client = client_for(nanjing.p.jy_approver)
    assert results(client.get("/api/accounts/?unit=NOPE")) == []
    assert results(client.get("/api/accounts/?unit=JB")) == []


def test_it_shows_one_account(nanjing, accounts, client_for):
    response = client_for(nanjing.p.jy_approver).get(f"/api/accounts/{accounts['xl'].pk}/")
    assert response.status_code == 200
    assert response.json()["unit"] == {"code": "JYXL", "name": "兴隆街道办事处"}


def test_it_shows_the_successor_as_a_reference(nanjing, accounts, client_for):
    xl = services.account_start_closure(account=accounts["xl"], actor=nanjing.p.jy_approver)
    services.account_set_closure_plan(
        account=xl, actor=nanjing.p.jy_approver, successor=accounts["jy"],
        channels=[{"kind": "phone", "value": "025-1"}],
    )
    body = client_for(nanjing.p.jy_approver).get(f"/api/accounts/{xl.pk}/").json()
    assert body["successor"] == {"id": accounts["jy"].pk, "name": "建邺发布",
                                 "platform": "wechat_official", "platform_id": "gh_jianye"}
    assert body["successor_channels"] == [{"kind": "phone", "value": "025-1"}]


def test_it_answers_404_for_an_unknown_account(nanjing, client_for):
    assert client_for(nanjing.p.jy_approver).get("/api/accounts/999999/").status_code == 404


def test_it_lists_the_history_oldest_first(nanjing, accounts, client_for):
    services.account_start_closure(account=accounts["xl"], actor=nanjing.p.jy_approver,
                                   reason="整合")
    rows = results(client_for(nanjing.p.jy_approver).get(
        f"/api/accounts/{accounts['xl'].pk}/history/"))
    assert [(r["from"], r["to"]) for r in rows] == [(None, "active"), ("active", "closing")]
    assert rows[1]["actor"] == {"username": "jy_approver", "full_name": "建邺审核人"}
    assert rows[1]["reason"] == "整合"
    assert set(rows[1]) == {"from", "to", "actor", "reason", "at"}
    assert rows[0]["actor"] is None


def test_history_of_an_unknown_account_is_404(nanjing, client_for):
    assert client_for(nanjing.p.nj_approver).get("/api/accounts/999999/history/").status_code == 404


def test_states_vocabulary_is_the_contracts(nanjing):
    assert AccountState.values == ["draft", "applying", "approved", "active", "rectifying",
                                   "closing", "closed", "merged"]
