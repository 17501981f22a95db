"""The document-text filters of notices/templatetags/notice_tags.py: periods, dates inside
free text, sentence ends (no database, no rendering)."""

from __future__ import annotations

import datetime

import pytest

from notices.templatetags.notice_tags import (
    campaign_parts,
    clause,
    cn_date,
    cn_dates,
    cn_period,
    sentence,
)


@pytest.mark.parametrize(
    ("stored", "printed"),
    [
        ("2026Q4", "2026年第四季度"),
        ("2026Q1", "2026年第一季度"),
        ("2026H1", "2026年上半年"),
        ("2026H2", "2026年下半年"),
        ("2026M05", "2026年5月"),
        ("2026M12", "2026年12月"),
        ("2026-05", "2026年5月"),
        ("2026", "2026年度"),
        ("2026年第四季度", "2026年第四季度"),  # already Chinese: unchanged
        ("", ""),
        (None, ""),
    ],
)
def test_it_writes_periods_in_chinese(stored, printed):
    assert cn_period(stored) == printed


@pytest.mark.parametrize(
    ("label", "period", "activity"),
    [
        # approvals.services.inspections.campaign_close: f"{campaign.period}{kind label}"
        ("2026Q4季度抽查", "2026Q4", "抽查"),
        ("2026年度考核", "2026", "考核"),
        ("2026H1专项检查", "2026H1", "专项检查"),
        ("2026M06季度抽查", "2026M06", "抽查"),
        ("2026", "2026", "检查"),
        ("2026年第四季度", "2026年第四季度", "检查"),
        ("", "", "检查"),
    ],
)
def test_it_splits_a_campaign_label(label, period, activity):
    assert campaign_parts(label) == {"period": period, "activity": activity}


def test_it_writes_dates_without_leading_zeros():
    assert cn_date("2026-05-01") == "2026年5月1日"
    assert cn_date(datetime.date(2026, 12, 10)) == "2026年12月10日"
    assert cn_date("2026-11-20T09:00:00+08:00") == "2026年11月20日"


@pytest.mark.parametrize(
    ("text", "printed"),
    [
        # approvals.errors.OVERDUE_COMMENT as a forced closure's reason
        (
            "逾期未提交整改报告（整改期限 2026-12-10），自动判定复核不通过。",
            "逾期未提交整改报告（整改期限2026年12月10日），自动判定复核不通过。",
        ),
        ("最近发文 2026-10-01，距监测时间点 56 天。", "最近发文2026年10月1日，距监测时间点 56 天。"),
        ("自2026-05-01起", "自2026年5月1日起"),
        ("电话 025-83288000", "电话 025-83288000"),
        ("2026-02-30", "2026-02-30"),  # not a date: left alone
        (
            "见 https://www.example.gov.cn/2026-12-10/a.html",
            "见 https://www.example.gov.cn/2026-12-10/a.html",
        ),
    ],
)
def test_it_rewrites_iso_dates_inside_text(text, printed):
    assert cn_dates(text) == printed


@pytest.mark.parametrize(
    ("text", "ended"),
    [
        ("批复所载账号名称有误", "批复所载账号名称有误。"),
        ("批复所载账号名称有误。", "批复所载账号名称有误。"),
        ("批复所载账号名称有误。。", "批复所载账号名称有误。"),
        ("批复所载账号名称有误；", "批复所载账号名称有误。"),
        ("批复所载账号名称有误，", "批复所载账号名称有误。"),
        ("the name is wrong.", "the name is wrong。"),
        ("名称有误！", "名称有误！"),
        ("名称有误!", "名称有误！"),
        ("是否有误?", "是否有误？"),
        ("名称有误！。", "名称有误！"),
        ("等等……", "等等……"),
        ("原文为“账号名称有误。”", "原文为“账号名称有误。”"),
        ("  有误  ", "有误。"),
        ("。", ""),
        ("", ""),
        (None, ""),
    ],
)
def test_it_ends_a_sentence_with_exactly_one_mark(text, ended):
    assert sentence(text) == ended


@pytest.mark.parametrize(
    ("text", "bare"),
    [
        ("批复所载账号名称有误。", "批复所载账号名称有误"),
        ("批复所载账号名称有误；", "批复所载账号名称有误"),
        ("批复所载账号名称有误！", "批复所载账号名称有误"),
        ("批复所载账号名称有误", "批复所载账号名称有误"),
        ("等等……", "等等……"),
        (None, ""),
    ],
)
def test_it_strips_the_end_of_a_clause(text, bare):
    assert clause(text) == bare
