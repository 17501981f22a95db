from __future__ import annotations

import pytest
from django.template.loader import render_to_string

from notices import selectors


@pytest.mark.django_db
def test_it_lists_notices_of_an_account_and_a_process(
    world, issue, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        approval = issue("opening_approval", process_id=11)
        receipt = issue("filing_receipt", unit=world.u.jy, process_id=11)
        other = issue("opening_approval", account=world.jb_account, process_id=12)
    user = world.p.xl_clerk  # the owning unit; process 11 has no chain steps here
    by_account = list(selectors.notices_for_account(user=user, account=world.xl_account))
    assert {n.pk for n in by_account} == {approval.pk, receipt.pk}
    by_process = list(selectors.notices_for_process(user=user, process_id=11))
    assert [n.pk for n in by_process] == [approval.pk, receipt.pk]
    assert list(selectors.notices_for_process(user=user, process_id=12)) == []
    html = render_to_string("workbench/_notice_links.html", {"notices": by_process})
    assert approval.number in html and f"/notices/{receipt.pk}/pdf/" in html
    assert other.number not in html
