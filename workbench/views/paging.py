"""Paging of the workbench lists: `?page=` and `?page_size=` (lifecycle.http.PAGE_SIZES);
a size outside them is a 400 whose page names the parameter."""

from __future__ import annotations

from django.core.exceptions import BadRequest
from django.core.paginator import Page, Paginator

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


def paginate(request, rows, default: int, *, by_key: bool = False) -> Page:
    """A page of `rows`. by_key (a queryset sorted on a computed key, such as the to-do
    list's earliest due date): the page is chosen on the list's own table first — `pk IN
    (SELECT pk … ORDER BY … LIMIT n OFFSET m)` — and the related rows are joined for its
    n rows only, not for all of the reader's rows before the sort (bench/pages.py). One
    statement as before, the same rows in the same order. Not for lists read in index
    order: there the outer query's second pass over the scope costs more than it saves."""
    return Paginator(PagedByKey(rows) if by_key else rows, size_of(request, default)).get_page(
        page_number(request))

