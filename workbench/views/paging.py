"""Paging of the workbench lists: `?page=` and `?page_size=` (lifecycle.http.PAGE_SIZES);
a size outside them is a 400 whose page names the parameter."""

from __future__ import annotations

from django.core.exceptions import BadRequest
from django.core.paginator import Page, Paginator

from lifecycle.http import PAGE_SIZE_PARAM, page_size


def size_of(request, default: int) -> int:
    try:
        return page_size(request.GET.get(PAGE_SIZE_PARAM), default)
    except ValueError as exc:
        raise BadRequest(str(exc)) from None


def paginate(request, rows, default: int) -> Page:
    return Paginator(rows, size_of(request, default)).get_page(request.GET.get("page"))
