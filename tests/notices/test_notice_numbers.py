"""Numbers typed with [] () 【】 （） or full-width digits find the 〔〕 number, in the public
verification and in the archive search."""

from __future__ import annotations

import pytest

from notices.numbers import normalize_number
from notices.selectors import notice_search


@pytest.mark.parametrize("typed", [
    "宁政办复[2026]3号", "宁政办复(2026)3号", "宁政办复【2026】3号", "宁政办复（２０２６）３号",
    "宁政办复［2026］3号", " 宁政办复〔2026〕 3号 ",
])
def test_normalize_number(typed):
    assert normalize_number(typed) == "宁政办复〔2026〕3号"


@pytest.mark.django_db
def test_archive_search_normalises_numbers(world, issue, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notice = issue("opening_approval")
    typed = notice.number.replace("〔", "[").replace("〕", "]")
    admin = world.p.nj_approver
    assert list(notice_search(user=admin, number=typed)) == [notice]
    assert list(notice_search(user=admin, number=typed[-6:])) == [notice]
