"""What the rendered PDFs say (pypdf text) when the context is shaped the way approvals
writes it: campaign periods in Chinese, no ISO dates, one 。 after user text, the unit
that rechecks named as the one to report to."""

from __future__ import annotations

import re

import pytest

from tests.notices.conftest import closure_context, flat, pdf_text

pytestmark = pytest.mark.django_db

ISO_DATE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}")
# approvals.services.forced_closure_start's reason around
# approvals.errors.OVERDUE_COMMENT, as run_due writes it for an overdue order.
FORCED_REASON = "整改复核不通过，强制关停：逾期未提交整改报告（整改期限 2026-12-10），自动判定复核不通过。"


def rendered(issue, capture, kind, **kwargs):
    with capture(execute=True):
        if kind == "revocation":
            kwargs["revokes"] = issue("opening_approval")
        notice = issue(kind, **kwargs)
    notice.refresh_from_db()
    return notice, flat(pdf_text(notice))


@pytest.mark.parametrize(
    ("campaign", "title"),
    [
        ("2026Q4季度抽查", "关于2026年第四季度政务新媒体抽查情况的通报"),
        ("2026年度考核", "关于2026年度政务新媒体考核情况的通报"),
        ("2026H1专项检查", "关于2026年上半年政务新媒体专项检查情况的通报"),
        ("2026M05季度抽查", "关于2026年5月政务新媒体抽查情况的通报"),
    ],
)
def test_it_writes_the_inspection_period_in_chinese(
    campaign, title, world, issue, django_capture_on_commit_callbacks
):
    notice, text = rendered(
        issue,
        django_capture_on_commit_callbacks,
        "inspection_report",
        account=None,
        context={
            "campaign": campaign,
            "pass_rate": 0.5,
            "failed": [{"unit": "兴隆街道办事处", "name": "兴隆发布", "reasons": ["僵尸号"]}],
        },
    )
    assert notice.title == title
    assert title in text
    period = title.removeprefix("关于").split("政务新媒体")[0]
    assert f"组织开展了{period}政务新媒体" in text
    assert not re.search(r"\d{4}(Q[1-4]|H[12]|M\d\d)", text)


def test_it_rewrites_the_overdue_deadline_in_a_forced_closure(
    world, issue, django_capture_on_commit_callbacks
):
    ctx = closure_context(world.successor) | {"reason": FORCED_REASON}
    _, text = rendered(
        issue,
        django_capture_on_commit_callbacks,
        "closure_announcement",
        unit=world.u.njzj,
        account=world.zj_account,
        context=ctx,
    )
    assert "（整改期限2026年12月10日）" in text
    assert "关停原因：整改复核不通过，强制关停：逾期未提交整改报告" in text
    assert "自动判定复核不通过。今后" in text
    assert not ISO_DATE.search(text)
    assert "。。" not in text


def test_it_prints_no_iso_date_in_any_kind(world, issue, django_capture_on_commit_callbacks):
    chain = [
        {
            "unit": "建邺区人民政府办公室",
            "decision": "退回修改",
            "actor": "建邺审核人",
            "comment": "请于2026-11-30前补充材料",
            "at": "2026-11-23T15:10:00+08:00",
        }
    ]
    cases = [
        ("opening_approval", {"chain": chain, "purpose": "发布自2026-12-01起的政务信息"}),
        ("filing_receipt", {"live_on": "2026-11-02"}),
        (
            "rectification_order",
            {
                "deadline": "2026-12-10",
                "findings": [
                    {
                        "code": "NO_UPDATE_14D",
                        "label": "监测时间点前2周内无更新",
                        "text": "最近发文 2026-10-01，距监测时间点 56 天。",
                    },
                    "自2026-05-01起栏目未更新",
                ],
            },
        ),
        ("merger_announcement", closure_context(world.successor) | {"reason": "自2026-06-01起统一发布"}),
        ("revocation", {"reason": "2026-11-20的批复名称有误", "replacement": "另行批复见2026-12-01文件"}),
    ]
    for kind, ctx in cases:
        notice, text = rendered(issue, django_capture_on_commit_callbacks, kind, unit=world.u.jy, context=ctx)
        assert not ISO_DATE.search(text), (kind, ISO_DATE.search(text))
        sheet = flat(pdf_text(notice, field="sheet_pdf"))
        assert not ISO_DATE.search(sheet), (kind, ISO_DATE.search(sheet))


def test_it_prints_chain_dates_and_comment_dates_in_chinese(world, issue, django_capture_on_commit_callbacks):
    chain = [
        {
            "unit": "建邺区人民政府办公室",
            "decision": "退回修改",
            "actor": "建邺审核人",
            "comment": "请于2026-11-30前补充材料",
            "at": "2026-11-03T15:10:00+08:00",
        }
    ]
    notice, _ = rendered(
        issue, django_capture_on_commit_callbacks, "opening_approval", context={"chain": chain}
    )
    text = flat(pdf_text(notice, field="sheet_pdf"))  # the 公文处理单 holds the chain
    assert "2026年11月3日" in text and "请于2026年11月30日前补充材料" in text
    assert not ISO_DATE.search(text)


def test_it_never_doubles_the_full_stop_after_user_text(world, issue, django_capture_on_commit_callbacks):
    closure = closure_context(world.successor) | {"reason": "机构改革，职能划入市场监管局。"}
    merger = closure_context(world.successor) | {"reason": "功能相近，整合后统一发布。"}
    cases = [
        ("closure_announcement", closure, "关停原因：机构改革，职能划入市场监管局。"),
        ("merger_announcement", merger, "整合原因：功能相近，整合后统一发布。"),
        ("opening_approval", {"purpose": "发布兴隆街道政务信息。"}, "主要用于发布兴隆街道政务信息。"),
        ("revocation", {"reason": "批复所载账号名称有误。"}, "因批复所载账号名称有误，现予撤销"),
        (
            "rectification_order",
            {"findings": [{"label": "栏目长期未更新", "text": "栏目半年未更新。", "points": 5}]},
            "栏目长期未更新：栏目半年未更新（扣5分）",
        ),
    ]
    for kind, ctx, expected in cases:
        account = world.zj_account if "announcement" in kind else world.xl_account
        _, text = rendered(
            issue, django_capture_on_commit_callbacks, kind, unit=world.u.njzj, account=account, context=ctx
        )
        assert expected in text, (kind, text)
        for doubled in ("。。", "。，", "。（"):
            assert doubled not in text, (kind, doubled)


def test_it_ends_the_revocation_and_its_cc_with_one_full_stop(
    world, issue, django_capture_on_commit_callbacks
):
    _, text = rendered(
        issue,
        django_capture_on_commit_callbacks,
        "revocation",
        context={
            "reason": "批复所载账号名称有误。",
            "replacement": "另行批复。",
            "cc": ["建邺区人民政府办公室", "兴隆街道办事处。"],
        },
    )
    assert "自本通知印发之日起废止。另行批复。" in text
    assert "抄送：建邺区人民政府办公室，兴隆街道办事处。" in text
    assert "。。" not in text


def test_it_names_the_recheck_unit_as_the_one_to_report_to(world, issue, django_capture_on_commit_callbacks):
    # The city orders, the district (the account's supervisor unit) rechecks.
    _, text = rendered(
        issue,
        django_capture_on_commit_callbacks,
        "rectification_order",
        unit=world.u.nj,
        context={"deadline": "2026-12-10", "recheck_unit_name": world.u.jy.name},
    )
    assert "并将整改报告及佐证材料报送建邺区人民政府办公室。" in text


def test_it_falls_back_to_the_issuer_without_a_recheck_unit(world, issue, django_capture_on_commit_callbacks):
    _, text = rendered(
        issue,
        django_capture_on_commit_callbacks,
        "rectification_order",
        unit=world.u.nj,
        context={"deadline": "2026-12-10"},
    )
    assert "并将整改报告及佐证材料报送南京市人民政府办公室。" in text
