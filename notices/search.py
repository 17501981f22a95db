"""Full-text search over notices (title, body facts, account and successor names).

SQLite: an FTS5 table `notices_fts` with the trigram tokenizer (substring matches of three or
more characters, which suits Chinese without a segmenter), kept by `index()` when a notice is
rendered; shorter queries fall back to LIKE. PostgreSQL: Django's `icontains` on
`search_text`, i.e. `UPPER(search_text) LIKE UPPER('%q%')`, served by the pg_trgm GIN index
`notice_search_trgm` on `UPPER(search_text)` (migration 0008); a term of one or two
characters, from which pg_trgm draws no trigram, is found by position (`_position`) among the
reader's own notices instead. On both, a query is also tried
with its document-number spelling folded (`variants`: [] () 【】 and full-width digits → 〔〕),
and matches are highlighted by `highlight()`.
"""

from __future__ import annotations

import html
from typing import Any

from django.db import connection
from django.db.models import F, Q, QuerySet, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Greatest, StrIndex, Upper
from django.utils.safestring import SafeString, mark_safe

from notices.models import Notice
from notices.numbers import fold_number

FTS_TABLE = "notices_fts"
MIN_FTS = 3  # the trigram tokenizer needs three characters


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list | tuple):
        return [s for v in value for s in _strings(v)]
    return []


def text_for(notice: Notice) -> str:
    """What a search reads: number, title, issuer, and every text of the frozen facts (the
    body's reasons, findings, account, successor and channel names)."""
    ctx = dict(notice.context or {})
    ctx.pop("chain", None)  # the sign-off record is not the notice's text
    parts = [notice.number, notice.title, *_strings(ctx)]
    return " ".join(" ".join(p.split()) for p in parts if p and not p.startswith("http"))[:20000]


def uses_fts() -> bool:
    return connection.vendor == "sqlite"


def create_index(schema_editor: Any = None) -> None:
    if uses_fts():
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} "
                           "USING fts5(body, tokenize='trigram')")


def index(notice_id: int, text: str) -> None:
    if not uses_fts():
        return
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {FTS_TABLE} WHERE rowid = %s", [notice_id])
        cursor.execute(f"INSERT INTO {FTS_TABLE}(rowid, body) VALUES (%s, %s)", [notice_id, text])


def reindex() -> int:
    """Rebuild the index from Notice.search_text (after bulk loads)."""
    if not uses_fts():
        return 0
    create_index()
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {FTS_TABLE}")
        cursor.execute(f"INSERT INTO {FTS_TABLE}(rowid, body) SELECT id, search_text "
                       "FROM notices_notice WHERE search_text != ''")
        return cursor.rowcount


def variants(q: str) -> list[str]:
    """The query as typed (spaces collapsed) and, when it differs, with a document number's
    brackets and full-width digits folded to how numbers are written (notices.numbers) —
    the same on SQLite and PostgreSQL."""
    q = " ".join((q or "").split())
    if not q:
        return []
    folded = fold_number(q)
    return [q] if folded == q else [q, folded]


def matching(qs: QuerySet[Notice], q: str) -> QuerySet[Notice]:
    terms = variants(q)
    if not terms:
        return qs
    if uses_fts() and all(len(t) >= MIN_FTS for t in terms):
        phrases = " OR ".join('"' + t.replace('"', '""') + '"' for t in terms)
        # `id + 0 IN (…)`, not `id IN (…)`: with the bare column SQLite drives the query by
        # the match list and then sorts every matching row (with its joins) by date — 200 ms
        # CPU for a phrase found in 50,000 notices; with the expression it walks the date
        # index (notice_issued_order_idx) and probes the list, stopping at the page's end.
        return qs.alias(_fts_pk=F("pk") + 0).filter(_fts_pk__in=RawSQL(
            f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s", [phrases]))
    if any(len(t) < MIN_FTS for t in terms):
        # One or two characters (批复, 关停): pg_trgm draws no trigram from them, so the
        # notice_search_trgm index would hand back every notice to recheck (50,000 at
        # province scale, ~55 ms) — and the planner, estimating one row, prefers it. The same
        # test as an expression no index serves lets the reader's own notices drive the
        # query instead (notices_for); SQLite has no FTS for them either (LIKE, as before).
        return qs.alias(_hit=_position(terms)).filter(_hit__gt=0)
    found = Q()
    for term in terms:
        found |= Q(search_text__icontains=term)  # PostgreSQL: the notice_search_trgm index
    return qs.filter(found)


def _position(terms: list[str]) -> Any:
    """Where the first of `terms` occurs in the notice's search text, case-insensitively
    (0: none) — `search_text ILIKE '%term%'` for short terms, as an expression."""
    text = Upper("search_text")
    found = [StrIndex(text, Upper(Value(t))) for t in terms]
    return found[0] if len(found) == 1 else Greatest(*found)


def highlight(text: str, q: str, *, width: int = 40) -> SafeString:
    """An escaped excerpt of `text` around the first match of `q` (or its folded number
    spelling), the match in <mark>."""
    text = text or ""
    lowered = text.lower()
    hits = [(lowered.find(t.lower()), t) for t in variants(q)]
    at, q = min(((i, t) for i, t in hits if i >= 0), default=(-1, ""))
    if at < 0:
        return mark_safe(html.escape(text[: width * 2]))  # noqa: S308 - escaped
    start, end = max(0, at - width), min(len(text), at + len(q) + width)
    before = ("…" if start else "") + text[start:at]
    after = text[at + len(q):end] + ("…" if end < len(text) else "")
    return mark_safe(  # noqa: S308 - every part escaped
        html.escape(before) + "<mark>" + html.escape(text[at:at + len(q)]) + "</mark>"
        + html.escape(after))
