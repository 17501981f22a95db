"""GET /api/notices/ filters: validated like the accounts' and tasks' (400 naming the allowed
values), and a unit code never reveals whether it exists."""

from __future__ import annotations

import pytest

from notices import services as notices_services
from notices.kinds import KINDS
from tests.api.helpers import imported, results

pytestmark = pytest.mark.django_db


@pytest.fixture
def archivist(nanjing, client_for):
    account = imported(nanjing.u.xl, "兴隆老号", platform="weibo")
    notice = notices_services.issue(kind="closure_announcement", account=account,
                          issuing_unit=nanjing.u.xl, actor=nanjing.p.xl_clerk,
                          context={"reason": "测试", "stop_on": "2026-12-15"})
    return client_for(nanjing.p.nj_archivist), notice


def test_an_unknown_and_an_out_of_scope_unit_answer_alike(nanjing, client_for, archivist):
    _, notice = archivist
    client = client_for(nanjing.p.jb_approver)
    unknown = client.get("/api/notices/", {"unit": "NOPE"})
    out_of_scope = client.get("/api/notices/", {"unit": "JYXL"})
    assert unknown.status_code == out_of_scope.status_code == 200
    assert unknown.json() == out_of_scope.json() == {
        "count": 0, "next": None, "previous": None, "results": []}
    # A reader of the unit's notices still filters by it.
    reader, _ = archivist
    assert [r["id"] for r in results(reader.get("/api/notices/", {"unit": "JY"}))] == [notice.pk]
    assert results(reader.get("/api/notices/", {"unit": "NOPE"})) == []


def test_an_unknown_kind_is_400_naming_the_kinds(archivist):
    client, _ = archivist
    response = client.get("/api/notices/", {"kind": "bogus"})
    assert response.status_code == 400
    (message,) = response.json()["kind"]
    assert "bogus" in message
    assert all(code in message for code in KINDS)


def test_an_unknown_status_is_400_naming_the_statuses(archivist):
    client, _ = archivist
    response = client.get("/api/notices/", {"status": "bogus"})
    assert response.status_code == 400
    (message,) = response.json()["status"]
    assert all(s in message for s in ("pending", "rendered", "failed", "revoked"))


@pytest.mark.parametrize("year", ["0", "-1", "1899", "10000", "abc", "²", "2026.5", "1e3"])
def test_a_year_outside_1900_9999_is_400(archivist, year):
    client, _ = archivist
    response = client.get("/api/notices/", {"year": year})
    assert response.status_code == 400, response.content
    assert list(response.json()) == ["year"]


def test_a_year_inside_the_range_filters(archivist):
    client, notice = archivist
    assert [r["id"] for r in results(client.get("/api/notices/", {"year": notice.year}))] == [
        notice.pk]
    assert results(client.get("/api/notices/", {"year": "1900"})) == []
    assert results(client.get("/api/notices/", {"year": "9999"})) == []


def test_empty_parameters_are_ignored(archivist):
    client, notice = archivist
    query = "kind=&unit=&account=&year=&number=&status="
    assert [r["id"] for r in results(client.get(f"/api/notices/?{query}"))] == [notice.pk]


@pytest.mark.parametrize("account", ["0", "-3", "١", "abc", "99999999999999999999"])
def test_an_account_that_is_no_id_is_400(archivist, account):
    client, _ = archivist
    response = client.get("/api/notices/", {"account": account})
    assert response.status_code == 400
    assert list(response.json()) == ["account"]


@pytest.mark.parametrize(("url", "field", "allowed"), [
    ("/api/accounts/?state=bogus", "state", ("active", "closing", "merged")),
    ("/api/accounts/?platform=bogus", "platform", ("wechat_official", "weibo", "douyin")),
])
def test_the_accounts_filters_name_the_allowed_values(nanjing, client_for, url, field, allowed):
    response = client_for(nanjing.p.jy_approver).get(url)
    assert response.status_code == 400
    (message,) = response.json()[field]
    assert "bogus" in message and all(value in message for value in allowed)


def test_the_tasks_status_filter_is_validated(nanjing, client_for):
    response = client_for(nanjing.p.jy_approver).get("/api/tasks/?status=bogus")
    assert response.status_code == 400
    assert list(response.json()) == ["status"]
