"""GET /api/accounts/ pages chosen by key (lifecycle.http.PagedByKey): every page at sizes
10 and 20 is the slice of the reader's accounts in (name, id) order, `count` is exact and
`next`/`previous` keep the shape of DESIGN §8, with filters, for readers at two levels;
no account outside the reader's subtree appears on any page."""

from __future__ import annotations

import pytest

from lifecycle.models import Account, AccountState
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def many(nanjing):
    u = nanjing.u
    units = [u.jy, u.xl, u.sq, u.jb, u.jbdp, u.njzj]
    states = [AccountState.ACTIVE, AccountState.CLOSED, AccountState.APPLYING]
    for i in range(46):
        # Names repeat (the order falls back to the id) and interleave across units.
        AccountFactory(unit=units[i % len(units)], name=f"账号{(i * 7) % 13:02d}",
                       state=states[i % 3], platform=("weibo", "douyin")[i % 2])


def _walk(client, url, size):
    pages, ids, page = [], [], 1
    while True:
        sep = "&" if "?" in url else "?"
        body = client.get(f"{url}{sep}page_size={size}&page={page}").json()
        pages.append(body)
        ids += [r["id"] for r in body["results"]]
        if not body["next"]:
            return pages, ids
        page += 1


@pytest.mark.parametrize("query,where", [
    ("", {}),
    ("?state=active", {"state": AccountState.ACTIVE}),
    ("?platform=douyin&state=closed", {"platform": "douyin", "state": AccountState.CLOSED}),
])
@pytest.mark.parametrize("reader,top", [("jy_approver", "jy"), ("nj_approver", "nj")])
def test_every_page_is_the_slice_of_the_sorted_scope(nanjing, many, client_for, reader, top,
                                                     query, where):
    scope = Account.objects.filter(unit__path__startswith=getattr(nanjing.u, top).path, **where)
    expected = list(scope.order_by("name", "pk").values_list("pk", flat=True))
    assert expected  # the data has rows for every case
    client = client_for(getattr(nanjing.p, reader))
    for size in (10, 20):
        pages, ids = _walk(client, f"/api/accounts/{query}", size)
        assert ids == expected
        assert all(p["count"] == len(expected) for p in pages)
        assert set(pages[0]) == {"count", "next", "previous", "results"}
        assert pages[0]["previous"] is None
        assert [len(p["results"]) for p in pages[:-1]] == [size] * (len(pages) - 1)
        if len(pages) > 1:
            assert f"page_size={size}" in pages[0]["next"] and "page=2" in pages[0]["next"]
            assert pages[1]["previous"] is not None


def test_a_page_past_the_end_is_still_a_404(nanjing, many, client_for):
    response = client_for(nanjing.p.jy_approver).get("/api/accounts/?page_size=100&page=3")
    assert response.status_code == 404
