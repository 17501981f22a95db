"""What each kind's PDF says (pypdf text), with full and with minimal context."""

from __future__ import annotations

import pytest
from django.utils import timezone

from notices.kinds import KINDS, REVOCATION
from notices.models import NoticeStatus
from tests.notices.conftest import closure_context, flat, pdf_text


def today_cn() -> str:
    d = timezone.localdate()
    return f"{d.year}年{d.month}月{d.day}日"


@pytest.mark.django_db
def test_it_states_closure_facts_and_successors(world, issue, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notice = issue("closure_announcement", unit=world.u.njzj, account=world.zj_account,
                       context=closure_context(world.successor))
    notice.refresh_from_db()
    text = flat(pdf_text(notice))
    y = timezone.localdate().year
    assert f"宁质监公告〔{y}〕1号" in text
    assert "关于“南京质检”微信公众号账号关停的公告" in text
    assert "南京市质量技术监督局" in text
    assert "国办发〔2018〕123号" in text  # legal basis
    assert "2026年6月5日" in text and "关停注销程序" in text
    assert "南京食药监" in text and "njshiyaojian" in text
    assert "https://amr.nanjing.gov.cn" in text and "025-12345" in text
    assert "敬请谅解" in text
    assert today_cn() in text


@pytest.mark.django_db
def test_it_names_the_merger_target(world, issue, django_capture_on_commit_callbacks):
    ctx = closure_context(world.successor)
    ctx["channels"] = []
    with django_capture_on_commit_callbacks(execute=True):
        notice = issue("merger_announcement", unit=world.u.njzj, account=world.zj_account,
                       context=ctx)
    notice.refresh_from_db()
    text = flat(pdf_text(notice))
    assert "整合并入“南京食药监”微信公众号账号" in text
    assert notice.title == "关于“南京质检”微信公众号账号整合迁移的公告"


@pytest.mark.django_db
def test_it_lists_receipt_facts(world, issue, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notice = issue("filing_receipt", unit=world.u.jy, context={
            "platform_id": "xinglong_fb", "verified_subject": "兴隆街道办事处",
            "live_on": "2026-11-02",
        })
    notice.refresh_from_db()
    text = flat(pdf_text(notice))
    assert "xinglong_fb" in text and "2026年11月2日" in text and "建邺区人民政府办公室" in text


@pytest.mark.django_db
def test_it_lists_changes_and_findings(world, issue, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        change = issue("change_filing", unit=world.u.jy, context={
            "before": {"operator": "某传媒公司"}, "after": {"operator": "兴隆融媒体中心"},
        })
        order = issue("rectification_order", unit=world.u.jy, context={
            "deadline": "2026-12-10",
            "findings": ["监测时间点前2周内无更新", {"label": "未提供有效互动功能", "points": 5}],
        })
        report = issue("inspection_report", unit=world.u.nj, account=None, context={
            "campaign": "2026年第四季度", "pass_rate": 0.875,
            "failed": [{"name": "兴隆发布", "unit": "兴隆街道办事处", "reasons": ["僵尸号"]}],
        })
    for n in (change, order, report):
        n.refresh_from_db()
    assert "运维单位" in flat(pdf_text(change)) and "兴隆融媒体中心" in flat(pdf_text(change))
    order_text = flat(pdf_text(order))
    assert "2026年12月10日" in order_text and "未提供有效互动功能" in order_text
    report_text = flat(pdf_text(report))
    assert "87.5%" in report_text and "兴隆发布" in report_text and "2026年第四季度" in report_text


@pytest.mark.django_db
@pytest.mark.parametrize("kind", sorted(k for k in KINDS if k != REVOCATION))
def test_it_degrades_gracefully_without_optional_keys(
    kind, world, issue, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        notice = issue(kind, unit=world.u.jy, context={})
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.RENDERED, notice.failure_reason
    assert notice.number in flat(pdf_text(notice))


@pytest.mark.django_db
def test_it_numbers_pages_alternating(world, issue, django_capture_on_commit_callbacks):
    findings = [f"第{i}项指标不符合要求" for i in range(1, 40)]
    with django_capture_on_commit_callbacks(execute=True):
        notice = issue("rectification_order", context={"findings": findings})
    notice.refresh_from_db()
    assert notice.pages >= 2
    text = flat(pdf_text(notice))
    assert "—1—" in text and "—2—" in text
