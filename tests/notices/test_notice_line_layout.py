"""Line and table layout read from WeasyPrint's box tree: list numbers stay next to their
text (no justified gap after 「2.」), no line is stretched at its spaces, and the 审核记录 of
the 公文处理单 gives 意见, 时间 and 说明 readable widths."""

from __future__ import annotations

import pytest
from weasyprint import HTML
from weasyprint.formatting_structure import boxes

from notices.rendering import SafeURLFetcher, font_config, notice_html, sheet_html

pytestmark = pytest.mark.django_db

PT_PER_CHAR_12 = 12.0  # a CJK character of the 12 pt table text


def layout(notice, *, html=notice_html):
    document = HTML(string=html(notice), url_fetcher=SafeURLFetcher()).render(
        font_config=font_config()
    )
    return [page._page_box for page in document.pages]


def descendants(box):
    yield box
    for child in getattr(box, "children", ()):
        yield from descendants(child)


def text_of(box) -> str:
    return "".join(b.text for b in descendants(box) if isinstance(b, boxes.TextBox))


LONG_FINDINGS = [
    {
        "label": "栏目长期未更新",
        "points": 5,
        "text": "“政务公开”“办事指南”栏目自2026-05-01起未更新，影响政务信息及时发布。",
    },
    {
        "label": "留言超过3个月未回复",
        "points": 5,
        "text": "网民留言“办理居住证需要哪些材料”超过3个月未回复，互动功能形同虚设。",
    },
    "监测时间点前2周内无更新 最近发文 2026-10-01，距监测时间点 56 天",
]


def test_it_keeps_list_numbers_next_to_their_text(world, issue):
    notice = issue("rectification_order", context={"findings": LONG_FINDINGS})
    pages = layout(notice)
    numbers = [
        b
        for page in pages
        for b in descendants(page)
        if isinstance(b, boxes.TextBox) and b.text in ("1.", "2.", "3.")
    ]
    assert len(numbers) == 3
    for number in numbers:
        line = next(
            line
            for page in pages
            for line in descendants(page)
            if isinstance(line, boxes.LineBox) and number in list(descendants(line))
        )
        texts = [b for b in descendants(line) if isinstance(b, boxes.TextBox)]
        after = texts[texts.index(number) + 1]
        gap = after.position_x - (number.position_x + number.width)
        assert gap < 16 * 0.5, (number.text, gap)  # under half a character of the 16 pt body


def test_it_never_stretches_a_line_at_its_spaces(world, issue):
    for kind, ctx in [
        ("rectification_order", {"findings": LONG_FINDINGS}),
        (
            "inspection_report",
            {
                "campaign": "2026Q4季度抽查",
                "failed": [
                    {
                        "unit": "江北新区顶山街道",
                        "name": "顶山 服务",
                        "platform_label": "抖音",
                        "reasons": [
                            "监测时间点前2周内无更新",
                            "未提供有效互动功能",
                            "发布内容出现严重表述错误",
                        ],
                    }
                ],
            },
        ),
    ]:
        pages = layout(
            issue(kind, account=None if kind == "inspection_report" else world.xl_account, context=ctx)
        )
        stretched = [
            b.text
            for page in pages
            for b in descendants(page)
            if isinstance(b, boxes.TextBox) and b.justification_spacing
        ]
        assert stretched == [], kind


def chain_columns(pages) -> dict[str, float]:
    """Header text → cell width (pt) of the 审核记录 table."""
    (table,) = [
        b
        for page in pages
        for b in descendants(page)
        if isinstance(b, boxes.TableBox) and "审核单位" in text_of(b)
    ]
    header = next(b for b in descendants(table) if isinstance(b, boxes.TableRowBox))
    return {text_of(cell): cell.width for cell in header.children}


def test_it_gives_the_review_record_readable_columns(world, issue):
    chain = [
        {
            "unit": "建邺区人民政府办公室",
            "decision": "退回修改",
            "actor": "建邺审核人",
            "comment": "请补充运维单位资质材料，并明确信息内容审核责任人。",
            "at": "2026-11-23",
        },
        {
            "unit": "南京市人民政府办公室",
            "decision": "同意",
            "actor": "南京审核人",
            "comment": "请落实先审后发",
            "at": "2026-11-26",
        },
    ]
    pages = layout(issue("opening_approval", context={"chain": chain}), html=sheet_html)
    widths = chain_columns(pages)
    assert widths["意见"] >= 4 * PT_PER_CHAR_12  # 退回修改 on one line
    assert widths["时间"] >= 7 * PT_PER_CHAR_12  # 2026年11月23日 on one line
    assert widths["说明"] >= 9 * PT_PER_CHAR_12
    # 意见 and the date each take one line in every row.
    cells = [
        cell
        for page in pages
        for cell in descendants(page)
        if isinstance(cell, boxes.TableCellBox)
        and text_of(cell) in ("退回修改", "同意", "2026年11月23日", "2026年11月26日")
    ]
    assert len(cells) == 4
    for cell in cells:
        lines = [b for b in descendants(cell) if isinstance(b, boxes.LineBox)]
        assert len(lines) == 1, text_of(cell)
