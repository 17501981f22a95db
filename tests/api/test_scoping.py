"""A user of another district: 404 on every object route, empty lists (DESIGN §8, §10)."""

from __future__ import annotations

import pytest

from tests.api.helpers import imported, results
from tests.approvals.helpers import apply_xl, decide, only_open_task

pytestmark = pytest.mark.django_db


@pytest.fixture
def jianye(nanjing):
    """An opening process in 兴隆 (建邺) waiting at the district step, plus an active account."""
    process = apply_xl(nanjing)
    decide(process, nanjing.p.xl_head)
    account = imported(nanjing.u.xl, "兴隆老号", platform="weibo")
    return {"process": process, "task": only_open_task(process), "account": account}


def test_another_district_gets_empty_lists(nanjing, jianye, client_for):
    client = client_for(nanjing.p.jb_approver)  # 江北新区
    for url in ("/api/accounts/", "/api/accounts/?unit=JY", "/api/accounts/?q=兴隆",
                "/api/tasks/", "/api/tasks/?status=new", "/api/tasks/?status=done",
                "/api/tasks/?status=canceled"):
        assert results(client.get(url)) == [], url
    assert [u["code"] for u in results(client.get("/api/units/"))] == ["JB", "JBDP"]


def test_another_district_gets_404_on_every_object_route(nanjing, jianye, client_for):
    client = client_for(nanjing.p.jb_approver)
    account, task = jianye["account"], jianye["task"]
    for url in (f"/api/accounts/{account.pk}/", f"/api/accounts/{account.pk}/history/",
                f"/api/accounts/{jianye['process'].account.pk}/", f"/api/tasks/{task.pk}/"):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/api/tasks/{task.pk}/claim/").status_code == 404
    assert client.post(f"/api/tasks/{task.pk}/decide/", {"decision": "approve"},
                       format="json").status_code == 404
    task.refresh_from_db()
    assert task.owner_id is None


def test_existing_and_missing_objects_answer_alike(nanjing, jianye, client_for):
    client = client_for(nanjing.p.jb_approver)
    existing = client.get(f"/api/accounts/{jianye['account'].pk}/")
    missing = client.get("/api/accounts/999999/")
    assert existing.status_code == missing.status_code == 404
    assert existing.json() == missing.json()
    existing = client.post(f"/api/tasks/{jianye['task'].pk}/claim/")
    missing = client.post("/api/tasks/999999/claim/")
    assert existing.json() == missing.json()


def test_the_own_district_sees_them(nanjing, jianye, client_for):
    client = client_for(nanjing.p.jy_approver)
    assert client.get(f"/api/accounts/{jianye['account'].pk}/").status_code == 200
    assert [r["id"] for r in results(client.get("/api/tasks/"))] == [jianye["task"].pk]


def test_another_districts_notices_are_invisible(nanjing, jianye, client_for):
    from notices import services as notices_services

    notice = notices_services.issue(kind="closure_announcement", account=jianye["account"],
                          issuing_unit=jianye["account"].unit, actor=nanjing.p.xl_clerk,
                          context={"reason": "测试", "stop_on": "2026-12-15"})
    outsider = client_for(nanjing.p.jb_approver)
    assert results(outsider.get("/api/notices/")) == []
    assert outsider.get(f"/api/notices/{notice.pk}/").status_code == 404
    # The owning unit reads it; 建邺's approver, above it but neither on a chain of it nor
    # an archivist, does not (DESIGN §8 "Roles").
    insider = client_for(nanjing.p.xl_clerk)
    assert [r["number"] for r in results(insider.get("/api/notices/"))] == [notice.number]
    assert results(client_for(nanjing.p.jy_approver).get("/api/notices/")) == []
