"""Full-text search over notices (title, body facts, account and successor names).

SQLite: an FTS5 table `notices_fts` with the trigram tokenizer (substring matches of three or
more characters, which suits Chinese without a segmenter), kept by `index()` when a notice is
rendered; shorter queries fall back to LIKE. PostgreSQL: `search_text` LIKE (a pg_trgm GIN
index is the next step; see docs/archive.md). Matches are highlighted by `highlight()`.
"""

from __future__ import annotations

import html
from typing import Any

from django.db import connection
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL
from django.utils.safestring import SafeString, mark_safe

from notices.models import Notice

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


def matching(qs: QuerySet[Notice], q: str) -> QuerySet[Notice]:
    q = " ".join((q or "").split())
    if not q:
        return qs
    if uses_fts() and len(q) >= MIN_FTS:
        phrase = '"' + q.replace('"', '""') + '"'
        return qs.filter(pk__in=RawSQL(
            f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s", [phrase]))
    return qs.filter(search_text__icontains=q)


def highlight(text: str, q: str, *, width: int = 40) -> SafeString:
    """An escaped excerpt of `text` around the first match of `q`, the match in <mark>."""
    q = " ".join((q or "").split())
    text = text or ""
    at = text.lower().find(q.lower()) if q else -1
    if at < 0:
        return mark_safe(html.escape(text[: width * 2]))  # noqa: S308 - escaped
    start, end = max(0, at - width), min(len(text), at + len(q) + width)
    before = ("…" if start else "") + text[start:at]
    after = text[at + len(q):end] + ("…" if end < len(text) else "")
    return mark_safe(  # noqa: S308 - every part escaped
        html.escape(before) + "<mark>" + html.escape(text[at:at + len(q)]) + "</mark>"
        + html.escape(after))
