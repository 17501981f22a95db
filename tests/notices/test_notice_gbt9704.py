"""GB/T 9704-2012 measured on the PDF's character boxes (pdfplumber), not on the HTML:
title lines break between words and are balanced (§7.3.3), the page number's dash sits
7 mm below the type area, odd pages right and even pages left, one character in (§7.5),
a one-page notice stays on one page, and the sign-off record is not in the document."""

from __future__ import annotations

import io
from itertools import groupby

import pdfplumber
import pytest

from notices.layout import break_title, words

MM = 72 / 25.4
PAGE_H = 297 * MM
TYPE_LEFT, TYPE_RIGHT = 28 * MM, (210 - 26) * MM
TYPE_BOTTOM = PAGE_H - 35 * MM  # pdfplumber measures `top` from the top edge
PAGE_NUMBER_SIZE = 14  # 4号


def pdf_bytes(notice) -> bytes:
    with notice.pdf.open("rb") as fh:
        return fh.read()


def lines_of(page, *, size: float) -> list[tuple[float, str]]:
    """Text lines of one font size on a page: (top, text), top to bottom."""
    chars = sorted((c for c in page.chars if abs(c["size"] - size) < 0.6),
                   key=lambda c: (round(c["top"]), c["x0"]))
    return [(top, "".join(c["text"] for c in group))
            for top, group in groupby(chars, key=lambda c: round(c["top"]))]


def rendered(issue, capture, kind, **kwargs):
    with capture(execute=True):
        notice = issue(kind, **kwargs)
    notice.refresh_from_db()
    return notice


@pytest.mark.django_db
def test_title_lines_keep_words_whole_and_balanced(world, issue, django_capture_on_commit_callbacks):
    world.zj_account.name = "南京质检"
    notice = rendered(issue, django_capture_on_commit_callbacks, "merger_announcement",
                      account=world.zj_account, unit=world.u.njzj,
                      context={"reason": "功能相近", "stop_on": "2026-12-15"})
    with pdfplumber.open(io.BytesIO(pdf_bytes(notice))) as pdf:
        title = [text for _, text in lines_of(pdf.pages[0], size=22)]
    assert "".join(title) == notice.title == "关于“南京质检”微信公众号账号整合迁移的公告"
    # Before: 「…整合迁 / 移的公告」. Every line ends on a word boundary of the title.
    assert title == ["关于“南京质检”微信公众号", "账号整合迁移的公告"]
    boundaries = {0}
    for word in words(notice.title):
        boundaries.add(max(boundaries) + len(word))
    assert len(title[0]) in boundaries


@pytest.mark.parametrize("title, expected", [
    ("关于同意开设“兴隆街道发布”微信公众号账号的批复",
     ["关于同意开设“兴隆街道发布”", "微信公众号账号的批复"]),  # not 「…账号的 / 批复」
    ("关于2026年第四季度政务新媒体抽查情况的通报的通报",
     ["关于2026年第四季度政务新媒体", "抽查情况的通报的通报"]),
    ("关于撤销《关于同意开设“兴隆发布”微信公众号账号的批复》的通知",
     ["关于撤销《关于同意开设“兴隆发布”", "微信公众号账号的批复》的通知"]),
    ("关于“南京质检”微信公众号账号关停的公告", ["关于“南京质检”微信公众号账号关停的公告"]),
])
def test_break_title_cuts_between_words(title, expected):
    lines = break_title(title)
    assert lines == expected
    assert "".join(lines) == title
    if len(lines) > 1:  # balanced: no line is less than half as long as another
        assert min(map(len, lines)) * 2 > max(map(len, lines))


@pytest.mark.django_db
def test_page_number_dash_seven_mm_below_type_area_alternating_sides(
    world, issue, django_capture_on_commit_callbacks
):
    notice = rendered(issue, django_capture_on_commit_callbacks, "rectification_order",
                      context={"findings": [f"第{i}项指标不符合要求" for i in range(1, 20)]})
    with pdfplumber.open(io.BytesIO(pdf_bytes(notice))) as pdf:
        assert len(pdf.pages) >= 2
        for number, page in enumerate(pdf.pages, start=1):
            chars = [c for c in page.chars if c["top"] > TYPE_BOTTOM
                     and abs(c["size"] - PAGE_NUMBER_SIZE) < 0.6]
            chars = [c for c in chars if c["text"].strip()]
            assert "".join(c["text"] for c in chars) == f"—{number}—"
            dash = chars[0]
            centre_mm = ((dash["top"] + dash["bottom"]) / 2 - TYPE_BOTTOM) / MM
            assert 6.5 <= centre_mm <= 7.5, f"page {number}: dash {centre_mm:.2f} mm below"
            em = PAGE_NUMBER_SIZE
            if number % 2:  # odd: right, one character in from the type area's edge
                assert abs(TYPE_RIGHT - chars[-1]["x1"] - em) < 1.5
            else:  # even: left, one character in
                assert abs(chars[0]["x0"] - TYPE_LEFT - em) < 1.5


@pytest.mark.django_db
def test_one_page_notice_fits_on_one_page(world, issue, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        old = issue("opening_approval")
    notice = rendered(issue, django_capture_on_commit_callbacks, "revocation",
                      revokes=old, context={"reason": "账号名称有误"})
    assert notice.pages == 1
    with pdfplumber.open(io.BytesIO(pdf_bytes(notice))) as pdf:
        assert len(pdf.pages) == 1
        text = "".join(c["text"] for c in pdf.pages[0].chars)
    assert "特此通知。" in text and "印发" in text  # body, signature and 版记 on page 1


@pytest.mark.django_db
def test_sign_off_record_is_not_in_the_outgoing_document(
    world, issue, django_capture_on_commit_callbacks
):
    chain = [{"unit": "建邺区人民政府办公室", "decision": "同意", "actor": "建邺审核人",
              "comment": "同意上报", "at": "2026-11-23T15:10:00+08:00"}]
    notice = rendered(issue, django_capture_on_commit_callbacks, "opening_approval",
                      context={"chain": chain})
    with pdfplumber.open(io.BytesIO(pdf_bytes(notice))) as pdf:
        text = "".join(c["text"] for page in pdf.pages for c in page.chars)
    assert "审核记录" not in text and "建邺审核人" not in text


@pytest.mark.django_db
def test_filing_receipt_ends_with_its_record(world, issue, django_capture_on_commit_callbacks):
    notice = rendered(issue, django_capture_on_commit_callbacks, "filing_receipt",
                      unit=world.u.jy)
    with pdfplumber.open(io.BytesIO(pdf_bytes(notice))) as pdf:
        last = pdf.pages[-1]
        lines = lines_of(last, size=14)
    printed = [text for _, text in lines if text.endswith("印发")]
    assert printed and printed[0].startswith(world.u.jy.name)


def test_sm3_matches_gmssl_reference():
    from gmssl import func, sm3

    from notices.rendering import sm3_hex

    for data in (b"", b"abc", bytes(range(256)) * 300):
        assert sm3_hex(data) == sm3.sm3_hash(func.bytes_to_list(data))
    # GB/T 32905-2016 example A.1
    assert sm3_hex(b"abc") == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
