"""Filters for notice documents and archive pages (all return plain, autoescaped text).

Document text (GB/T 9704, docs/notices/README.md "Text"): every date printed by a notice
template goes through `cn_date` (a date value) or `cn_dates` (dates inside free text), every
campaign period through `cn_period`, and user text that the template ends with 。 through
`sentence` (or `clause` when the template goes on after it).
"""

from __future__ import annotations

import datetime
import re
from typing import Any

from django import template

from lifecycle.models import Account
from notices.rendering import cn_date as _cn_date

register = template.Library()


@register.filter
def cn_date(value: Any) -> str:
    """2026-11-26 → 2026年11月26日 (GB/T 9704: no leading zeros)."""
    return _cn_date(value)


@register.filter
def percent(value: Any) -> str:
    """0.85 → 85%; 85 → 85%; text passes through."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return "" if value is None else str(value)
    if number <= 1:
        number *= 100
    return f"{number:.1f}".rstrip("0").rstrip(".") + "%"


@register.filter
def account_field_label(name: str) -> str:
    """Verbose name of an Account field (change filings list before/after per field)."""
    try:
        return str(Account._meta.get_field(name).verbose_name)
    except Exception:
        return str(name)


@register.filter
def items_sorted(value: Any) -> list:
    return sorted(value.items()) if isinstance(value, dict) else []


@register.filter
def is_mapping(value: Any) -> bool:
    return isinstance(value, dict)


@register.filter
def join_text(value: Any, sep: str = "、") -> str:
    if isinstance(value, list | tuple):
        return sep.join(str(v) for v in value)
    return "" if value is None else str(value)


# -- periods -----------------------------------------------------------------------------

# Campaign periods as stored (review.models.Campaign.period): 2026, 2026Q4,
# 2026H1, 2026M05; 2026-05 is read as a month too.
_PERIOD_RE = re.compile(r"(\d{4})(?:Q([1-4])|H([12])|M(0?[1-9]|1[0-2])|-(0?[1-9]|1[0-2]))?")
_QUARTERS = {"1": "一", "2": "二", "3": "三", "4": "四"}
_HALVES = {"1": "上半年", "2": "下半年"}
# A campaign label is "{period}{kind label}" (approvals.services.inspections.campaign_close), e.g.
# 2026Q4季度抽查 or 2026年度考核: the period already says 季度/年度.
_PERIOD_WORD_RE = re.compile(r"^(?:半年度|季度|年度|月度)")


def _period_cn(match: re.Match[str]) -> str:
    year, quarter, half, month, iso_month = match.groups()
    if quarter:
        return f"{year}年第{_QUARTERS[quarter]}季度"
    if half:
        return f"{year}年{_HALVES[half]}"
    if month or iso_month:
        return f"{year}年{int(month or iso_month)}月"
    return f"{year}年度"


@register.filter
def cn_period(value: Any) -> str:
    """2026Q4 → 2026年第四季度, 2026H1 → 2026年上半年, 2026M05 or 2026-05 → 2026年5月,
    2026 → 2026年度; anything else (e.g. already 2026年第四季度) passes through."""
    text = "" if value is None else str(value).strip()
    match = _PERIOD_RE.fullmatch(text.upper())
    return _period_cn(match) if match else text


@register.filter
def campaign_parts(value: Any) -> dict[str, str]:
    """A campaign label → {"period": the period as stored, "activity": what was done}:
    2026Q4季度抽查 → 2026Q4 + 抽查, 2026年度考核 → 2026 + 考核, 2026Q4专项检查 → 2026Q4 +
    专项检查; a label without a period code (2026年第四季度) is all period, activity 检查.
    Print the period with `cn_period`."""
    text = "" if value is None else str(value).strip()
    match = _PERIOD_RE.match(text.upper())
    rest = text[match.end() :].strip() if match else ""
    if match and (not rest or not rest.startswith("年") or rest.startswith("年度")):
        activity = _PERIOD_WORD_RE.sub("", rest).strip()
        return {"period": match.group(0), "activity": activity or "检查"}
    return {"period": text, "activity": "检查"}


# -- dates in free text --------------------------------------------------------------------

_ISO_DATE_RE = re.compile(r"(?<![\d-])(\d{4})-(\d{1,2})-(\d{1,2})(?![\d-])")
_URL_RE = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)


def _iso_to_cn(match: re.Match[str]) -> str:
    try:
        day = datetime.date(*(int(g) for g in match.groups()))
    except ValueError:
        return match.group(0)
    return _cn_date(day)


@register.filter
def cn_dates(value: Any) -> str:
    """Free text with ISO dates in it (a reason built by approvals, an inspector's evidence):
    「整改期限 2026-12-10」 → 「整改期限2026年12月10日」. URLs are left alone."""
    text = "" if value is None else str(value)
    out: list[str] = []
    pos = 0
    for url in _URL_RE.finditer(text):
        out.append(_ISO_DATE_RE.sub(_iso_to_cn, text[pos : url.start()]))
        out.append(url.group(0))
        pos = url.end()
    out.append(_ISO_DATE_RE.sub(_iso_to_cn, text[pos:]))
    # The space that set an ISO date off from Chinese text (「整改期限 2026-12-10」) is not
    # written before 2026年…
    return re.sub(r"(?<=[\u4e00-\u9fff：:]) (?=\d{4}年)", "", "".join(out))


# -- sentence ends ---------------------------------------------------------------------------

_ELLIPSIS_RE = re.compile(r"(?:\.{3,}|…+)$")
# A quoted or bracketed sentence that carries its own end: 「他说：“好。”」.
_CLOSED_RE = re.compile(r"[。！？][”’」』）)》]+$")
# What a sentence may end with before the template's 。: soft marks (、，；： and the full
# stop, full width or ASCII) are replaced; a ！ or ？ among them is kept as the end.
_END_RUN_RE = re.compile(r"[\s。．.，,、；;：:！!？?]+$")


@register.filter
def sentence(value: Any) -> str:
    """User text that ends a sentence, ending with exactly one mark: 「有误」, 「有误。」,
    「有误。。」 and 「有误；」 → 「有误。」; a ！ or ？ (ASCII too) is kept as the end, and
    so are …… and a quoted sentence with its own end (「“……。”」). Empty text stays empty."""
    text = "" if value is None else str(value).strip()
    if _ELLIPSIS_RE.search(text) or _CLOSED_RE.search(text):
        return text
    run = _END_RUN_RE.search(text)
    if run is None:
        return text + "。" if text else ""
    body = text[: run.start()]
    if not body:
        return ""
    marks = run.group(0)
    end = "？" if ("?" in marks or "？" in marks) else "！" if ("!" in marks or "！" in marks) else "。"
    return body + end


@register.filter
def clause(value: Any) -> str:
    """User text the template continues after (「因{{ reason|clause }}，现予撤销」): without
    its ending punctuation, so no 「。，」 or 「；（扣5分）」."""
    text = "" if value is None else str(value).strip()
    if _ELLIPSIS_RE.search(text):
        return text
    return _END_RUN_RE.sub("", text)


@register.filter
def hit(text: str, q: str):
    """An excerpt of `text` around the first match of `q`, the match marked (escaped)."""
    from notices.search import highlight

    return highlight(text, q)
