"""Document numbers as people type them: 〔〕 [] () 【】 （） ［］ and full-width digits alike."""

from __future__ import annotations

import unicodedata

_OPEN = "[(【（［{｛〖"
_CLOSE = "])】）］}｝〗"


def normalize_number(value: str) -> str:
    """`宁政办复[２０２６]3号`, `宁政办复(2026)3号`, `宁政办复【2026】3号` → `宁政办复〔2026〕3号`.
    NFKC folds full-width digits and brackets; every bracket pair becomes 〔〕; spaces go."""
    text = unicodedata.normalize("NFKC", value or "")
    text = "".join(text.split())
    table = {ord(c): "〔" for c in _OPEN} | {ord(c): "〕" for c in _CLOSE}
    return text.translate(table)
