"""GB/T 9704 page layout of the rendered PDFs, read back with pypdf: the 版记 sits at the
bottom of the last page (carried to a new page rather than drawn over text), and the
signature never stands alone on a page.

Positions are pypdf text-run baselines in points from the bottom edge of the page. The
sweep grows a rectification order one finding (one body line) at a time over a whole
page, so the end of the body meets the bottom of a page at every line position.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import pytest
from django.utils import timezone
from pypdf import PdfReader

MM = 72 / 25.4
TEXT_BOTTOM = 35 * MM  # bottom margin 35 mm: the text area ends here
RECORD_LINE = 14 * 1.8  # one 版记 line (4号 = 14 pt, line-height 1.8), in points
SWEEP = range(6, 6 + 22)  # 22 lines = one page of body text


@dataclass
class Run:
    y: float
    text: str  # whitespace removed (justified CJK lines break anywhere)


def pdf_pages(notice) -> list[list[Run]]:
    """Per page, every non-blank text run with its baseline y."""
    with notice.pdf.open("rb") as fh:
        reader = PdfReader(io.BytesIO(fh.read()))
    pages = []
    for page in reader.pages:
        runs: list[Run] = []

        def visit(text, cm, tm, font_dict, font_size, runs=runs):
            flat = "".join(text.split())
            if flat:
                # Text matrix times the current transformation matrix: the y on the page.
                runs.append(Run(y=tm[4] * cm[1] + tm[5] * cm[3] + cm[5], text=flat))

        page.extract_text(visitor_text=visit)
        pages.append(runs)
    return pages


def today_cn() -> str:
    d = timezone.localdate()
    return f"{d.year}年{d.month}月{d.day}日"


def is_record(run: Run) -> bool:
    return run.text.startswith("抄送：") or run.text.endswith(today_cn() + "印发")


def is_page_number(run: Run) -> bool:
    return run.text.startswith("—")


def record_page(pages: list[list[Run]]) -> int:
    (found,) = [i for i, runs in enumerate(pages) if any(is_record(r) for r in runs)]
    return found


def findings(n: int) -> list[str]:
    return [f"第{i}项检查指标不符合要求" for i in range(1, n + 1)]


def sweep(issue, capture) -> list[list[list[Run]]]:
    """A rectification order (版记 with 抄送) with 6…27 one-line findings, page by page."""
    rendered = []
    for n in SWEEP:
        with capture(execute=True):
            notice = issue(
                "rectification_order",
                context={
                    "deadline": "2026-12-10",
                    "findings": findings(n),
                    "cc": ["建邺区委网信办"],
                },
            )
        notice.refresh_from_db()
        rendered.append(pdf_pages(notice))
    return rendered


@pytest.mark.django_db
def test_it_puts_the_record_on_the_last_page_only(world, issue, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notice = issue(
            "rectification_order",
            context={
                "findings": findings(3),
                "cc": ["建邺区委网信办", "南京市委网信办"],
            },
        )
    notice.refresh_from_db()
    *earlier, last = ["".join(r.text for r in runs) for runs in pdf_pages(notice)]
    assert "抄送：建邺区委网信办，南京市委网信办。" in last
    assert f"{today_cn()}印发" in last
    assert not any("抄送：" in text or f"{today_cn()}印发" in text for text in earlier)


@pytest.mark.django_db
def test_it_puts_the_record_at_the_bottom_of_the_page(world, issue, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notice = issue("opening_approval")  # short: the last page is mostly empty
    notice.refresh_from_db()
    runs = pdf_pages(notice)[-1]
    (printed,) = [r for r in runs if r.text.endswith(today_cn() + "印发")]
    # The 印发 line is the last line of the text area: just above the 35 mm bottom margin …
    assert TEXT_BOTTOM < printed.y < TEXT_BOTTOM + RECORD_LINE
    # … and nothing but the page number below it.
    assert [r.text for r in runs if r.y < printed.y] == [r.text for r in runs if is_page_number(r)]


@pytest.mark.django_db
def test_it_never_draws_the_record_over_the_text(world, issue, django_capture_on_commit_callbacks):
    carried = 0
    for n, pages in zip(SWEEP, sweep(issue, django_capture_on_commit_callbacks), strict=True):
        page = record_page(pages)
        assert page == len(pages) - 1, n
        record = [r for r in pages[page] if is_record(r)]
        top = max(r.y for r in record)
        assert min(r.y for r in record) < TEXT_BOTTOM + RECORD_LINE, n  # at the bottom
        others = [r for r in pages[page] if not is_record(r) and not is_page_number(r)]
        # Everything else on the page ends at least one 版记 line above its first line.
        assert all(r.y > top + RECORD_LINE for r in others), (n, top, others[-1:])
        if not any(r.text == "特此通知。" for r in pages[page]):
            carried += 1  # the body filled its page: the 版记 went on to a new one
    assert carried, "the sweep never filled the last page: widen SWEEP"


@pytest.mark.django_db
def test_it_keeps_the_signature_with_the_end_of_the_body(world, issue, django_capture_on_commit_callbacks):
    issuer = world.u.nj.name
    moved = 0
    for n, pages in zip(SWEEP, sweep(issue, django_capture_on_commit_callbacks), strict=True):
        # The signature: the unit name directly followed by the date (the 版记 also starts
        # with the unit name, but it is followed by the date + 印发).
        ((page, at),) = [
            (p, i)
            for p, runs in enumerate(pages)
            for i, r in enumerate(runs[:-1])
            if r.text == issuer and runs[i + 1].text == today_cn()
        ]
        runs = pages[page]
        closing = next((r for r in runs if r.text == "特此通知。"), None)
        assert closing is not None and closing.y > runs[at].y, (n, page, runs[:3])
        if max(runs, key=lambda r: r.y) is closing:  # the top line of its page
            moved += 1  # the last paragraph went to the next page with the signature
    assert moved, "the sweep never pushed the signature off a page: widen SWEEP"
