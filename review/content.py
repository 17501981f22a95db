"""Content checks of posts (issue 14 item 3; docs/review.md) — pure, no ORM: an Aho–Corasick
matcher (ahocorasick_rs) over the dictionary entries, and the external-link check.

Entries carry the unit path of their dictionary: a dictionary applies to the accounts of its
unit's subtree, so one automaton serves every account and a match is kept only when the
account's unit path starts with the entry's. Findings are candidates for the inspector —
nothing here vetoes anything.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import ahocorasick_rs

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
    dictionaries, e.g. a city's and the province's). Built once per set of dictionary
    versions and reused (review.posts.matcher)."""

    def __init__(self, entries: Iterable[Entry]) -> None:
        terms: dict[str, list[Entry]] = {}
        for entry in entries:
            term = entry.term.strip()
            if term:
                terms.setdefault(term, []).append(entry)
        # Pattern i of the automaton is self.entries[i]'s term.
        self.terms = list(terms)
        self.entries = [tuple(items) for items in terms.values()]
        self.size = len(self.terms)
        # ahocorasick_rs (the Rust aho-corasick crate): a contiguous NFA answers over CJK
        # text at ~10 ns per character, with offsets in characters (bench/review.py).
        self.automaton = (
            ahocorasick_rs.AhoCorasick(self.terms, implementation=ahocorasick_rs.Implementation.ContiguousNFA)
            if self.size else None
        )

    def hits(self, text: str, *, unit_path: str) -> Iterator[Hit]:
        """Dictionary hits in ``text`` for an account of ``unit_path``; one per term and
        entry (the first occurrence, with its context)."""
        if self.automaton is None or not text:
            return
        found = self.automaton.find_matches_as_indexes(text, overlapping=True)
        if not found:
            return
        seen: set[int] = set()
        for index, start, end in found:
            term = self.terms[index]
            for entry in self.entries[index]:
                if entry.entry_id in seen or not unit_path.startswith(entry.unit_path):
                    continue
                # A wrong form that is part of its own right form (wrong 质监局, right
                # 市场质监局) is not an error where the right form stands.
                if entry.replacement and _inside_replacement(text, start, term, entry.replacement):
                    continue
                seen.add(entry.entry_id)
                yield Hit(
                    kind=entry.kind, matched=term, suggestion=entry.replacement,
                    entry_id=entry.entry_id, source_note=entry.source_note,
                    version=entry.version, excerpt=excerpt(text, start, end),
                )


def _inside_replacement(text: str, start: int, term: str, replacement: str) -> bool:
    offset = replacement.find(term)
    if offset < 0:
        return False
    start -= offset
    return start >= 0 and text[start : start + len(replacement)] == replacement


def excerpt(text: str, start: int, end: int) -> str:
    left = max(start - EXCERPT_CHARS, 0)
    right = min(end + EXCERPT_CHARS, len(text))
    return ("…" if left else "") + text[left:right].replace("\n", " ") + ("…" if right < len(text) else "")


def link_hits(text: str, *, gov_suffixes: Iterable[str] = DEFAULT_GOV_SUFFIXES) -> Iterator[Hit]:
    """Links in ``text`` that are not https, or that lead outside government websites."""
    if not text or "://" not in text:
        return
    suffixes = tuple(gov_suffixes)
    for match in LINK_RE.finditer(text):
        link = match.group()
        scheme, _sep, rest = link.partition("://")
        context = excerpt(text, match.start(), match.end())
        if scheme.lower() != "https":
            yield Hit("insecure_link", link[:1000], "", None, "", "", context)
        if not is_gov_host(_host(rest), suffixes):
            yield Hit("external_link", link[:1000], "", None, "", "", context)


def _host(rest: str) -> str:
    """The host of a link after its ``scheme://`` (user info and port dropped)."""
    authority = rest.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    authority = authority.rpartition("@")[2]
    if authority.startswith("["):  # an IPv6 literal is never a government host name
        return authority
    return authority.partition(":")[0]


@functools.lru_cache(maxsize=4096)
def is_gov_host(host: str, suffixes: tuple[str, ...]) -> bool:
    """Whether ``host`` is a government website's: it ends in one of ``suffixes`` (or is one
    without its leading dot). Cached per host: a million posts link to few hosts."""
    host = host.lower().rstrip(".")
    if not host:
        return False
    for suffix in suffixes:
        suffix = suffix.lower()
        if host.endswith(suffix) or host == suffix.lstrip("."):
            return True
    return False
