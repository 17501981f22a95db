"""Document numbers as people type them: 〔〕 [] () 【】 （） ［］ and full-width digits alike."""

from __future__ import annotations

import unicodedata

_OPEN = "[(【（［{｛〖"
_CLOSE = "])】）］}｝〗"


_TABLE = {ord(c): "〔" for c in _OPEN} | {ord(c): "〕" for c in _CLOSE}


def fold_number(value: str) -> str:
    """NFKC (full-width digits and brackets to ASCII), then every bracket pair to 〔〕;
    spaces are kept (the full-text search folds a query with this)."""
    return unicodedata.normalize("NFKC", value or "").translate(_TABLE)


def normalize_number(value: str) -> str:
    """`宁政办复[２０２６]3号`, `宁政办复(2026)3号`, `宁政办复【2026】3号` → `宁政办复〔2026〕3号`.
    `fold_number`, and spaces go."""
    return "".join(fold_number(value).split())
