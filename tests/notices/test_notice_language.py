"""Official documents stay Chinese when the issuer's UI is in English."""

from __future__ import annotations

import pytest
from django.utils import translation

from notices import services as notices_services

pytestmark = pytest.mark.django_db


def test_it_issues_and_renders_in_chinese_under_an_english_ui(nanjing, django_capture_on_commit_callbacks):
    from tests.factories import AccountFactory

    account = AccountFactory(name="南京质检", unit=nanjing.u.njzj, platform="wechat_official")
    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        notice = notices_services.issue(
            kind="closure_announcement", account=account, issuing_unit=nanjing.u.njzj,
            actor=nanjing.p.njzj_clerk, context={"reason": "机构改革", "stop_on": "2026-12-15"},
        )
    notice.refresh_from_db()
    assert "微信公众号" in notice.title and "WeChat" not in notice.title
    from pypdf import PdfReader

    text = "".join(page.extract_text() for page in PdfReader(notice.pdf.path).pages)
    assert "微信公众号" in text and "WeChat" not in text
