"""Reads of notices. Every archive list, detail, download and API answer starts here."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from typing import Any

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Length

from lifecycle.http import PagedByKey
from lifecycle.models import Role, Unit
from lifecycle.selectors import sees_everything, subtree_q, units_for, user_units
from lifecycle.types import RequestUser
from notices import search
from notices.kinds import KINDS
from notices.models import Notice
from notices.numbers import normalize_number

# Who else reads a process's notices: the units with a sign-off step on it. The engine that
# runs the processes sits above this layer, so it registers how to find them at start-up
# (approvals.apps.ApprovalsConfig.ready → approvals.selectors.chain_process_ids): a function
# that takes a Q over `unit__` fields and returns a values() queryset of process ids.
ProcessReaders = Callable[[Q], QuerySet[Any]]
_process_readers: list[ProcessReaders] = []


def register_process_readers(processes_of: ProcessReaders) -> None:
    """Add a source of process readers (idempotent)."""
    if processes_of not in _process_readers:
        _process_readers.append(processes_of)


# What every list row shows besides the notice (issuing unit, account and its unit, what it
# revokes) — joined for the page's rows only (by_page).
LIST_RELATED = ("issuing_unit", "account", "account__unit", "revokes")


class by_page(PagedByKey):  # noqa: N801 - reads like the function it stands in for
    """A notice list for a paginator (the archive, /api/notices/): lifecycle.http.PagedByKey
    (counts as the queryset does, a page chosen on the notices table first — `pk IN (SELECT
    pk … ORDER BY issued_on DESC, pk DESC LIMIT n OFFSET m)`), the page then read with its
    issuing unit, account and unit from an unscoped Notice query, so the joins run for the
    page's n rows and the reader's scope (the union of notices_for) is evaluated once,
    inside the page's keys, not again around them. One statement, the same rows in the same
    order. A province office reads ~400 notices at province scale, 50 of them a page
    (bench/pages.py)."""

    def __getitem__(self, index: Any) -> Any:
        if not isinstance(index, slice):
            return self.queryset[index]
        keys = self.queryset.order_by(*self.queryset.query.order_by).values("pk")[index]
        return (Notice.objects.select_related(*LIST_RELATED).filter(pk__in=keys)
                .order_by(*self.queryset.query.order_by))


def notices_for(user: RequestUser) -> QuerySet[Notice]:
    """Notices a user may read (DESIGN §8 "Roles"), for every archive list, detail, download,
    API answer and the admin:

    * the owning unit — any member of the account's unit;
    * every unit on the process's sign-off chain — any member of a unit a chain step was
      assigned to (a countersigning unit outside the tree included);
    * the issuing unit — it signed the notice;
    * archivists of any of those units or of an ancestor of them.

    Members of an ancestor unit in other roles do not read what lies below them. Superusers
    read everything; anonymous users and users without a unit nothing."""
    qs = Notice.objects.select_related(*LIST_RELATED)
    if sees_everything(user):
        return qs
    units = user_units(user)
    if not units:
        return qs.none()
    archives = user_units(user, roles=(Role.ARCHIVIST,))
    readable = [Q(account__unit__in=units), Q(issuing_unit__in=units)]
    readable += [Q(process_id__in=processes_of(Q(unit__in=units)))
                 for processes_of in _process_readers]
    if archives:
        readable += [subtree_q(archives, prefix="account__unit__"),
                     subtree_q(archives, prefix="issuing_unit__")]
        readable += [Q(process_id__in=processes_of(subtree_q(archives, prefix="unit__")))
                     for processes_of in _process_readers]
    # One indexed SELECT per way of reading, united: an OR of them over the notice–account
    # join cannot use an index, so PostgreSQL read every notice and account (bench/pages.py,
    # the province office's archive and /api/notices/).
    branches = [Notice.objects.filter(q).order_by().values("pk") for q in readable]
    return qs.filter(pk__in=branches[0].union(*branches[1:]))


# The archive's unit filter: a unit typed by code or name, or picked from suggestions
# ("name（code）"), within the units the reader may see (lifecycle.selectors.units_for: the
# subtrees of the reader's units). A province office's subtree holds ~2,400 units, so the
# filter searches them instead of listing them (issue 15 item 4).
UNIT_SUGGESTIONS = 15
_PICKED = re.compile(r"[（(]\s*([^()（）\s]+)\s*[)）]\s*$")


def unit_label(unit: Unit) -> str:
    """How a picked unit reads in the filter's field; unit_lookup() reads it back."""
    return f"{unit.name}（{unit.code}）"


def unit_suggestions(*, user: RequestUser, q: str, limit: int = UNIT_SUGGESTIONS) -> list[Unit]:
    """Units the reader may see whose code or name contains `q`: the exact code first, then
    names starting with it, higher levels before lower ones. Out-of-scope units never appear."""
    q = " ".join((q or "").split())[:100]
    if not q:
        return []
    rank = Case(When(code__iexact=q, then=Value(0)), When(name__istartswith=q, then=Value(1)),
                default=Value(2), output_field=IntegerField())
    return list(
        units_for(user).filter(Q(name__icontains=q) | Q(code__icontains=q))
        .select_related("parent").order_by(rank, Length("path"), "name", "pk")[:limit]
    )


def unit_lookup(*, user: RequestUser, text: str) -> tuple[Unit | None, int]:
    """The one unit the reader may see that `text` names: "name（code）" as a suggestion fills
    the field in, a code, a full name, or else a part of a name or code. Returns (unit, 1), or
    (None, 0) when nothing matches, or (None, n) when n > 1 units match (n capped at 2)."""
    text = " ".join((text or "").split())
    if not text:
        return None, 0
    units = units_for(user)
    picked = _PICKED.search(text)
    for key in ([picked.group(1)] if picked else []) + [text]:
        found = list(units.filter(code__iexact=key)[:2])
        if len(found) == 1:
            return found[0], 1
    for lookup in ("name", "name__icontains"):
        found = list(units.filter(**{lookup: text})[:2])
        if not found and lookup == "name__icontains":
            found = list(units.filter(code__icontains=text)[:2])
        if found:
            return (found[0], 1) if len(found) == 1 else (None, len(found))
    return None, 0


def notice_get(*, user: RequestUser, pk: int) -> Notice | None:
    return notices_for(user).filter(pk=pk).first()


def notice_search(
    *,
    user: RequestUser,
    number: str = "",
    kind: str = "",
    unit: Unit | None = None,
    account: int | str | None = None,
    year: int | None = None,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    status: str = "",
    q: str = "",
    retention: str = "",
) -> QuerySet[Notice]:
    """Archive search. `unit` matches the issuing or owning unit anywhere in its subtree;
    `account` is an id or part of the account's name / platform id."""
    qs = notices_for(user)
    if number:
        qs = qs.filter(number__icontains=normalize_number(number))
    if kind:
        qs = qs.filter(kind=kind)
    if unit is not None:
        qs = qs.filter(
            Q(issuing_unit__path__startswith=unit.path) | Q(account__unit__path__startswith=unit.path)
        )
    if account not in (None, ""):
        text = str(account).strip()
        if text.isdigit():
            qs = qs.filter(account_id=int(text))
        else:
            qs = qs.filter(Q(account__name__icontains=text) | Q(account__platform_id__iexact=text))
    if year:
        qs = qs.filter(year=year)
    if date_from:
        qs = qs.filter(issued_on__gte=date_from)
    if date_to:
        qs = qs.filter(issued_on__lte=date_to)
    if status:
        qs = qs.filter(status=status)
    if retention:
        qs = qs.filter(archive_record__retention=retention)
    if q:
        qs = search.matching(qs, q)
    return qs.order_by("-issued_on", "-pk")


def notice_fulltext(*, user: RequestUser, q: str, **filters: Any) -> QuerySet[Notice]:
    """Full-text search (notices.search) within what the user may read, with the archive
    filters (kind, unit, year, retention …)."""
    return notice_search(user=user, q=q, **filters)


def notice_by_number(number: str) -> Notice | None:
    """Public verification: exact number once normalised (notices.numbers), unscoped (it
    answers only public facts)."""
    number = normalize_number(number)
    if not number:
        return None
    return public_notices().select_related("issuing_unit", "account").filter(number=number).first()


def public_notices() -> QuerySet[Notice]:
    """Notices the public may verify: those about an account the public account pages show
    (lifecycle.selectors_public.public_account_q — one rule for both), or about no account
    (an inspection report)."""
    from lifecycle.selectors_public import public_account_q

    return Notice.objects.filter(Q(account__isnull=True) | public_account_q("account__"))


def notices_to_retry(*, pending_older_than: datetime.datetime) -> QuerySet[Notice]:
    """Failed notices, and pending ones whose after-commit render never finished."""
    return Notice.objects.filter(
        Q(status="failed") | Q(status="pending", created__lt=pending_older_than),
        sha256="",
    ).order_by("pk")


def notices_for_account(*, user: RequestUser, account: Any) -> QuerySet[Notice]:
    """Notices about one account, for the account page (include workbench/_notice_links.html)."""
    return notices_for(user).filter(account=account).order_by("-issued_on", "-pk")


def notices_for_process(*, user: RequestUser, process_id: int) -> QuerySet[Notice]:
    """Notices a viewflow process issued, for the process page (include workbench/_notice_links.html)."""
    return notices_for(user).filter(process_id=process_id).order_by("issued_on", "pk")


def is_public_notice(notice: Notice) -> bool:
    """Public kinds (announcements, and the published 通报) are readable as PDF without
    login once rendered; every other kind never is."""
    spec = KINDS.get(notice.kind)
    return bool(spec and spec.readable_by_public and notice.sha256 and notice.pdf)


def public_notice(pk: int) -> Notice | None:
    notice = public_notices().filter(pk=pk).select_related("issuing_unit").first()
    return notice if notice is not None and is_public_notice(notice) else None
