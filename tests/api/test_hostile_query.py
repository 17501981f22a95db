"""Odd query strings are client errors (400), never server errors."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("query", [
    "year=²", "account=١", "account=999999999999999999999999", "year=99999",
    "number=%00", "unit=%00abc", "q=a%00b",
])
def test_it_answers_400_to_malformed_notice_filters(client, nanjing, query):
    client.force_login(nanjing.p.nj_archivist)
    response = client.get(f"/api/notices/?{query}")
    assert response.status_code == 400, response.content


def test_it_refuses_nul_in_any_query_string(client, nanjing):
    client.force_login(nanjing.p.jy_approver)
    response = client.get("/api/accounts/?q=%00")
    assert response.status_code == 400
    assert "NUL" in response.json()["detail"]
