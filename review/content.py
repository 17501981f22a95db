"""Content checks of posts (issue 14 item 3; docs/review.md) — pure, no ORM: an Aho–Corasick
matcher (pyahocorasick) over the dictionary entries, and the external-link check.

Entries carry the unit path of their dictionary: a dictionary applies to the accounts of its
unit's subtree, so one automaton serves every account and a match is kept only when the
account's unit path starts with the entry's. Findings are candidates for the inspector —
nothing here vetoes anything.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import ahocorasick

# Links in a post's text: scheme, then anything up to whitespace, quotes, brackets or
# full-width punctuation (a Chinese sentence often runs straight on after the link).
LINK_RE = re.compile(r"""(?i)\b(?:https?)://[^\s<>"'()（）【】《》，。；、！？]+""")
# Hosts of government websites. Configurable: settings.GOVMEDIA_GOV_LINK_SUFFIXES.
DEFAULT_GOV_SUFFIXES = (".gov.cn",)
EXCERPT_CHARS = 30


@dataclass(frozen=True)
class Entry:
    """One dictionary entry as the matcher needs it."""

    entry_id: int
    kind: str
    term: str
    replacement: str
    source_note: str
    unit_path: str
    version: str  # "<dictionary id>@v<version>"


@dataclass(frozen=True)
class Hit:
    kind: str
    matched: str
    suggestion: str
    entry_id: int | None
    source_note: str
    version: str
    excerpt: str


class Matcher:
    """An automaton over the terms of many entries (one term may come from several
    dictionaries, e.g. a city's and the province's)."""

    def __init__(self, entries: Iterable[Entry]) -> None:
        self.automaton = ahocorasick.Automaton()
        terms: dict[str, list[Entry]] = {}
        for entry in entries:
            term = entry.term.strip()
            if term:
                terms.setdefault(term, []).append(entry)
        for term, items in terms.items():
            self.automaton.add_word(_bytes_text(term), (term, tuple(items)))
        self.size = len(terms)
        if self.size:
            self.automaton.make_automaton()

    def hits(self, text: str, *, unit_path: str) -> Iterator[Hit]:
        """Dictionary hits in ``text`` for an account of ``unit_path``; one per term and
        entry (the first occurrence, with its context)."""
        if not self.size or not text:
            return
        seen: set[int] = set()
        raw = _bytes_text(text)
        for raw_end, (term, entries) in self.automaton.iter(raw):
            # Back from UTF-8 offsets to characters (only for the rare hit).
            end = len(raw[: raw_end + 1].encode("latin-1").decode("utf-8")) - 1
            for entry in entries:
                if entry.entry_id in seen or not unit_path.startswith(entry.unit_path):
                    continue
                # A wrong form that is part of its own right form (wrong 质监局, right
                # 市场质监局) is not an error where the right form stands.
                if entry.replacement and _inside_replacement(text, end, term, entry.replacement):
                    continue
                seen.add(entry.entry_id)
                start = end - len(term) + 1
                yield Hit(
                    kind=entry.kind, matched=term, suggestion=entry.replacement,
                    entry_id=entry.entry_id, source_note=entry.source_note,
                    version=entry.version, excerpt=excerpt(text, start, end + 1),
                )


def _bytes_text(text: str) -> str:
    """The UTF-8 bytes of ``text`` as a latin-1 string. pyahocorasick searches a node's
    children linearly: over CJK text the root has thousands of children and the matcher runs
    at ~1.5 µs per character; over UTF-8 bytes every node has at most 256 (the root ~10), ten
    times faster (bench/review.py). UTF-8 is self-synchronising, so a term's bytes never match
    from the middle of a character."""
    return text.encode("utf-8").decode("latin-1")


def _inside_replacement(text: str, end: int, term: str, replacement: str) -> bool:
    offset = replacement.find(term)
    if offset < 0:
        return False
    start = end - len(term) + 1 - offset
    return start >= 0 and text[start : start + len(replacement)] == replacement


def excerpt(text: str, start: int, end: int) -> str:
    left = max(start - EXCERPT_CHARS, 0)
    right = min(end + EXCERPT_CHARS, len(text))
    return ("…" if left else "") + text[left:right].replace("\n", " ") + ("…" if right < len(text) else "")


def link_hits(text: str, *, gov_suffixes: Iterable[str] = DEFAULT_GOV_SUFFIXES) -> Iterator[Hit]:
    """Links in ``text`` that are not https, or that lead outside government websites."""
    if not text or "://" not in text:
        return
    suffixes = tuple(s.lower() for s in gov_suffixes)
    for match in LINK_RE.finditer(text):
        link = match.group()
        try:
            parts = urlsplit(link)
            host = (parts.hostname or "").lower()
        except ValueError:
            host, parts = "", None
        context = excerpt(text, match.start(), match.end())
        if parts is None or parts.scheme.lower() != "https":
            yield Hit("insecure_link", link[:1000], "", None, "", "", context)
        if not host or not (host.endswith(suffixes) or host in {s.lstrip(".") for s in suffixes}):
            yield Hit("external_link", link[:1000], "", None, "", "", context)
