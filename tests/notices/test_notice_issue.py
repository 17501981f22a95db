from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from notices.models import Notice, NoticeStatus
from tests.notices.conftest import flat, pdf_text


@pytest.mark.django_db(transaction=True)
def test_it_issues_and_renders_after_commit(world, issue):
    notice = issue("opening_approval", unit=world.u.nj, process_id=42, context={
        "purpose": "发布兴隆街道政务信息",
        "chain": [
            {"unit": "兴隆街道办事处", "decision": "同意", "comment": "同意开设",
             "actor": "兴隆负责人", "at": "2026-03-02T10:00:00+08:00"},
        ],
    })
    notice.refresh_from_db()
    year = timezone.localdate().year
    assert notice.number == f"宁政办复〔{year}〕1号"
    assert notice.status == NoticeStatus.RENDERED
    assert notice.process_id == 42
    assert notice.pages >= 1 and len(notice.sha256) == 64 and notice.size > 1000
    text = flat(pdf_text(notice))
    assert notice.number in text
    assert "关于同意开设“兴隆发布”微信公众号账号的批复" in text
    assert "南京市人民政府办公室" in text
    assert "兴隆街道办事处" in text
    assert "—1—" in text
    # The sign-off record is in the 公文处理单 archived with it, not in the document.
    assert "兴隆负责人" not in text
    sheet = flat(pdf_text(notice, field="sheet_pdf"))
    assert "公文处理单" in sheet and notice.number in sheet
    assert "兴隆负责人" in sheet and "2026年3月2日" in sheet and "同意开设" in sheet
    assert len(notice.sheet_sha256) == 64 and len(notice.sm3) == 64


@pytest.mark.django_db
def test_it_keeps_notice_pending_until_commit(world, issue, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notice = issue("filing_receipt", unit=world.u.jy)
    assert notice.status == NoticeStatus.PENDING
    assert not notice.pdf
    assert len(callbacks) == 1


@pytest.mark.django_db
def test_it_takes_account_facts_from_the_account(world, issue, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notice = issue("opening_approval", context={"account_name": "冒名账号"})
    assert notice.context["account_name"] == "兴隆发布"
    assert notice.context["unit_name"] == "兴隆街道办事处"
    assert "冒名账号" not in notice.title


@pytest.mark.django_db
def test_it_rejects_unknown_kind(world, issue):
    with pytest.raises(ValidationError):
        issue("memo")
    assert Notice.objects.count() == 0


@pytest.mark.django_db
def test_it_formats_dates_without_leading_zeros(world):
    from notices.rendering import cn_date

    assert cn_date(datetime.date(2026, 11, 6)) == "2026年11月6日"
    assert cn_date("2019-06-05") == "2019年6月5日"
