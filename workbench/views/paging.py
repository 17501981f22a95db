"""Paging of the workbench lists: `?page=` and `?page_size=` (lifecycle.http.PAGE_SIZES);
a size outside them is a 400 whose page names the parameter."""

from __future__ import annotations

from django.core.exceptions import BadRequest
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.db.models.sql.where import WhereNode

from lifecycle.http import PAGE_SIZE_PARAM, PagedByKey, int_param, page_param, page_size


def size_of(request, default: int) -> int:
    try:
        return page_size(request.GET.get(PAGE_SIZE_PARAM), default)
    except ValueError as exc:
        raise BadRequest(str(exc)) from None


def page_number(request) -> int | str | None:
    """`?page=`: a number from 1 or `last`; anything else is a 400 naming the parameter (a
    number past the end shows the last page)."""
    try:
        return page_param(request.GET.get("page"))
    except ValueError as exc:
        raise BadRequest(str(exc)) from None


def whole_number(request, name: str, **limits) -> int | None:
    """Another whole-number query parameter (lifecycle.http.int_param); bad → 400."""
    try:
        return int_param(request.GET.get(name), name, **limits)
    except ValueError as exc:
        raise BadRequest(str(exc)) from None


def paginate(request, rows, default: int, *, by_key: bool = False,
             count: int | None = None) -> Page:
    """A page of `rows`. by_key (a queryset sorted on a computed key, such as the to-do
    list's earliest due date): the page is chosen on the list's own table first — `pk IN
    (SELECT pk … ORDER BY … LIMIT n OFFSET m)` — and the related rows are joined for its
    n rows only, not for all of the reader's rows before the sort (bench/pages.py). One
    statement as before, the same rows in the same order. Not for lists read in index
    order: there the outer query's second pass over the scope costs more than it saves.
    count (by_key only): the list's length when the caller already knows it."""
    return Paginator(keyed(rows, count) if by_key else rows, size_of(request, default)).get_page(
        page_number(request))


def keyed(rows: QuerySet, count: int | None = None) -> _ByKey:
    """`rows` for a Paginator whose pages are chosen by key (paginate's by_key; the
    queue's viewflow list view hands it to its own Paginator)."""
    return _ByKey(rows, count)


class _ByKey(PagedByKey):
    """lifecycle.http.PagedByKey for the task lists: a known count, and the page's rows
    read by their keys alone."""

    def __init__(self, queryset: QuerySet, count: int | None = None) -> None:
        super().__init__(queryset)
        self.known_count = count

    def count(self) -> int:
        return super().count() if self.known_count is None else self.known_count

    def __getitem__(self, index):
        if not isinstance(index, slice):
            return self.queryset[index]
        keys = self.queryset.values("pk")[index]
        # The page's rows by their keys alone: the list's filters already chose the keys,
        # and repeated outside they made PostgreSQL walk every open task again (with its
        # heap rows) only to keep the page's n (issue 15: 15 ms of the to-do page's 32 at
        # province scale). Same select_related, annotations and ordering.
        page = self.queryset.all()
        page.query.where = WhereNode()
        return page.filter(pk__in=keys)
