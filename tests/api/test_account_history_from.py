"""History rows {from, to, actor, reason, at}: `from` is null when there was no state before
(an imported account's first row), never an empty string."""

from __future__ import annotations

import pytest
from drf_spectacular.generators import SchemaGenerator

from lifecycle import services
from tests.api.helpers import imported, results

pytestmark = pytest.mark.django_db


def test_an_imported_accounts_first_row_has_no_previous_state(nanjing, client_for):
    account = imported(nanjing.u.xl, "兴隆老号", platform="weibo")
    services.account_order_rectification(account=account, actor=nanjing.p.jy_approver,
                                         reason="超过14天未更新")
    rows = results(client_for(nanjing.p.jy_approver).get(f"/api/accounts/{account.pk}/history/"))
    assert [(r["from"], r["to"]) for r in rows] == [(None, "active"), ("active", "rectifying")]
    assert set(rows[0]) == {"from", "to", "actor", "reason", "at"}


def test_the_schema_says_from_may_be_null():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    row = schema["components"]["schemas"]["Transition"]["properties"]
    assert row["from"].get("nullable") is True
    assert not row["to"].get("nullable")
