"""The checking half of the posts import (issue 14 item 3; DESIGN §8 POST /api/posts/), the
dictionaries as a matcher, and the update metrics derived from posts — reads only. The
writers are review.services.posts_import and the dictionary services; import_posts and
POST /api/posts/ call them."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Count, Max, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from lifecycle.models import Account, Platform
from lifecycle.tabular import CellError, RowErrors, check_text, parse_choice
from review.content import DEFAULT_GOV_SUFFIXES, Entry, Matcher
from review.metrics import MetricsImportError, find_accounts, pick_account
from review.models import Dictionary, DictionaryEntry, Post

POST_COLUMNS = ("platform", "platform_id", "published_at", "title", "text", "url")
TITLE_MAX = 500
TEXT_MAX = 100_000
URL_MAX = 1000
DATETIME_RE = re.compile(
    r"(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})"
    r"(?:[T ](?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.\d+)?)?)?"
    r"(?P<tz>Z|[+-]\d{2}:?\d{2})?"
)


class PostsImportError(MetricsImportError):
    """Some rows are bad; nothing was written. ``errors`` lists them all."""


@dataclass
class PostRow:
    number: int
    platform: str
    platform_id: str
    published_at: datetime.datetime
    title: str
    text: str
    url: str
    account_id: int | None = None


def parse_published_at(value: str | None, *, field: str, now: datetime.datetime) -> datetime.datetime:
    """``YYYY-MM-DD HH:MM[:SS]`` (or ISO with ``T`` and an offset; a date alone is midnight),
    in the site's time zone unless an offset is given; never in the future."""
    text = (value or "").strip()
    if not text:
        raise CellError(field, _("必填"))
    match = DATETIME_RE.fullmatch(text)
    try:
        if match is None:
            raise ValueError(text)
        moment = datetime.datetime.fromisoformat(text.replace(" ", "T")) if match["tz"] else None
        if moment is None:
            moment = timezone.make_aware(datetime.datetime(
                int(match["y"]), int(match["m"]), int(match["d"]),
                int(match["H"] or 0), int(match["M"] or 0), int(match["S"] or 0),
            ))
    except ValueError as exc:
        raise CellError(
            field, _("「{value}」不是有效时间（应为 YYYY-MM-DD HH:MM）").format(value=value)
        ) from exc
    if moment > now:
        raise CellError(field, _("发布时间 {at} 晚于当前时间").format(at=text))
    return moment


def _parse_url(value: str | None, *, field: str) -> str:
    url = (value or "").strip()
    if not url:
        raise CellError(field, _("必填"))
    if len(url) > URL_MAX:
        raise CellError(field, _("链接不能超过 {n} 个字符").format(n=URL_MAX))
    if not re.match(r"(?i)^https?://[^\s/]+", url) or any(c.isspace() for c in url):
        raise CellError(field, _("「{value}」不是有效的网址（应以 http:// 或 https:// 开头）").format(
            value=url[:60]))
    return url


def _parse_text(value: str | None, *, field: str, limit: int) -> str:
    text = check_text(value or "", field=field).strip()
    if len(text) > limit:
        raise CellError(field, _("不能超过 {n} 个字符").format(n=limit))
    return text


def posts_check(
    *, rows: list[tuple[int, dict[str, str]]], scope: QuerySet[Account] | None = None,
    now: datetime.datetime | None = None,
) -> list[PostRow]:
    """Parse every row and resolve its account (reads only); every bad row is reported at
    once (PostsImportError). ``scope`` limits which accounts may be named: an account outside
    it is reported exactly like an unknown one. A link twice in the file is an error."""
    now = now or timezone.now()
    errors = RowErrors()
    if not rows:
        errors.add(1, "-", _("没有数据行。"))
        raise PostsImportError(errors)
    good: list[PostRow] = []
    for number, row in rows:
        before = len(errors)
        platform = errors.parse(number, parse_choice, row.get("platform"), field="platform",
                                choices=Platform.values)
        platform_id = (row.get("platform_id") or "").strip()
        if not platform_id:
            errors.add(number, "platform_id", _("必填"))
        else:
            errors.parse(number, check_text, platform_id, field="platform_id")
        published = errors.parse(number, parse_published_at, row.get("published_at"),
                                 field="published_at", now=now)
        title = errors.parse(number, _parse_text, row.get("title"), field="title", limit=TITLE_MAX)
        text = errors.parse(number, _parse_text, row.get("text"), field="text", limit=TEXT_MAX)
        url = errors.parse(number, _parse_url, row.get("url"), field="url")
        if not (row.get("title") or "").strip() and not (row.get("text") or "").strip():
            errors.add(number, "text", _("标题和正文不能都为空"))
        if len(errors) == before:
            good.append(PostRow(number, platform, platform_id, published, title, text, url))
    found = find_accounts({p.platform_id for p in good}, scope=scope)
    seen: dict[tuple[int, str], int] = {}
    for p in good:
        p.account_id = pick_account(found, p.platform, p.platform_id, row=p.number, errors=errors)
        if p.account_id is None:
            continue
        key = (p.account_id, p.url)
        if key in seen:
            errors.add(p.number, "url", _("与第 {row} 行重复（同一账号同一链接）").format(row=seen[key]))
            continue
        seen[key] = p.number
    if errors:
        raise PostsImportError(errors)
    return good


# -- dictionaries as a matcher ---------------------------------------------------------------


def live_entries() -> list[Entry]:
    """The live entries of every active dictionary (one query)."""
    return [
        Entry(pk, kind, term, replacement, note, path, f"{dictionary_id}@v{version}")
        for pk, kind, term, replacement, note, path, dictionary_id, version in (
            DictionaryEntry.objects.filter(dictionary__active=True, removed_in__isnull=True)
            .order_by("pk")
            .values_list("pk", "kind", "term", "replacement", "source_note",
                         "dictionary__unit__path", "dictionary_id", "dictionary__version")
        )
    ]


# The matcher of the active dictionaries and the key it was built for (see matcher()).
_built: tuple[tuple[Any, ...], Matcher] | None = None


def _dictionaries_key() -> tuple[Any, ...]:
    """What the matcher depends on, in one small query: per active dictionary its version,
    last change, unit path, live entries and newest entry."""
    return tuple(
        Dictionary.objects.filter(active=True).order_by("pk")
        .annotate(live=Count("entries", filter=Q(entries__removed_in__isnull=True)),
                  newest=Max("entries__created"))
        .values_list("pk", "version", "updated", "unit__path", "live", "newest")
    )


def matcher() -> Matcher:
    """The matcher of the active dictionaries — built once per set of dictionary versions
    and reused (every import and re-check asks; a 10,000-entry automaton is not rebuilt per
    request). Any change through the services bumps a version, so the next call rebuilds."""
    global _built
    key = _dictionaries_key()
    if _built is None or _built[0] != key:
        _built = (key, Matcher(live_entries()))
    return _built[1]


def gov_suffixes() -> tuple[str, ...]:
    return tuple(getattr(settings, "GOVMEDIA_GOV_LINK_SUFFIXES", DEFAULT_GOV_SUFFIXES))


# -- update metrics from posts ---------------------------------------------------------------


@dataclass(frozen=True)
class PostStats:
    posts: int
    last_post_on: datetime.date | None
    longest_gap: int | None  # days between consecutive post days (window edges included)
    days_over_limit: int  # days in the window more than `limit` days after the previous post
    # (or after the window's start / go-live date when no earlier post is known)


def post_stats(
    account: Account, *, start: datetime.date, end: datetime.date, limit: int = 14,
) -> PostStats | None:
    """What vendors report per period — posts, last post, longest gap between updates, and
    the days the update rule was not met — from the account's imported posts; None when it
    has none (the figures then come from the monitoring metrics)."""
    if not Post.objects.filter(account=account).exists():
        return None
    tz = timezone.get_current_timezone()
    moments = Post.objects.filter(
        account=account, published_at__date__lte=end
    ).order_by("published_at").values_list("published_at", flat=True)
    days = sorted({m.astimezone(tz).date() for m in moments})
    before = [d for d in days if d < start]
    # Where the count starts: the last post before the window; without one, the window's
    # start — or the go-live date if later (fair windows: no blame before going live). The
    # gap up to the first post then counts like any other, in the longest gap and the days
    # over the limit alike.
    opened = account.opened_on
    anchor = before[-1] if before else (max(start, opened) if opened else start)
    points = [anchor] + [d for d in days if d > anchor]
    gaps: list[int] = [(b - a).days for a, b in zip(points, points[1:], strict=False)]
    if points[-1] <= end:
        gaps.append((end - points[-1]).days)
    over = 0
    cursor = start
    while cursor <= end:
        last = max((d for d in points if d <= cursor), default=None)
        if last is not None and (cursor - last).days > limit:
            over += 1
        cursor += datetime.timedelta(days=1)
    return PostStats(
        posts=len([m for m in moments if m.astimezone(tz).date() >= start]),
        last_post_on=days[-1] if days else None,
        longest_gap=max(gaps) if gaps else None,
        days_over_limit=over,
    )
