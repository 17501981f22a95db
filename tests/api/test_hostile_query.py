"""Odd query strings are client errors (400), never server errors."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("query", [
    "year=²", "account=١", "account=999999999999999999999999", "year=99999", "year=0",
    "kind=%00x", "status=x%00",
])
def test_it_answers_400_to_malformed_notice_filters(client, nanjing, query):
    client.force_login(nanjing.p.nj_archivist)
    response = client.get(f"/api/notices/?{query}")
    assert response.status_code == 400, response.content


def test_it_drops_nul_characters_from_query_strings(client, nanjing):
    from tests.factories import AccountFactory

    AccountFactory(unit=nanjing.u.xl, name="兴隆发布")
    client.force_login(nanjing.p.jy_approver)
    response = client.get("/api/accounts/?q=%E5%85%B4%E9%9A%86%00%E5%8F%91%E5%B8%83&%00=x")
    assert response.status_code == 200
    assert [a["name"] for a in response.json()["results"]] == ["兴隆发布"]
    assert client.get("/api/notices/?number=%00").status_code == 200
    # "abc" once the NUL is gone: an unknown unit code, no rows (codes are not probed).
    assert client.get("/api/notices/?unit=%00abc").json()["count"] == 0


def test_it_refuses_nul_in_a_json_body_and_writes_nothing(client, nanjing):
    from lifecycle.models import Account

    client.force_login(nanjing.p.xl_clerk)
    response = client.post(
        "/api/applications/opening/",
        data='{"unit": "JYXL", "platform": "weibo", "name": "兴隆\\u0000微博", "purpose": "p",'
             ' "contact_name": "张", "contact_phone": "1"}',
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "NUL" in response.json()["detail"]
    assert not Account.objects.exists()
