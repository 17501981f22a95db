"""The process page links the account and the notices the process issued."""

from __future__ import annotations

import pytest

from approvals.nodes import process_url
from notices.models import Notice
from tests.approvals.helpers import apply_xl, decide

pytestmark = pytest.mark.django_db


def test_it_lists_the_opening_approval_on_the_process_page(client, nanjing):
    p = nanjing.p
    process = apply_xl(nanjing)
    for approver in (p.xl_head, p.jy_approver, p.nj_approver):
        decide(process, approver)
    notice = Notice.objects.get(process_id=process.pk, kind="opening_approval")
    client.force_login(p.xl_clerk)
    body = client.get(process_url(process)).content.decode()
    assert notice.number in body and "兴隆发布" in body
    client.force_login(p.jb_approver)
    assert client.get(process_url(process)).status_code == 404
