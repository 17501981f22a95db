"""Request helpers that several layers share (the public rate limits, download logs)."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.db.models import QuerySet


def client_ip(request) -> str:
    """The client's address. REMOTE_ADDR is the peer, which behind a reverse proxy is the
    proxy itself; with `settings.TRUSTED_PROXY_COUNT` = N proxies in front (each appending
    the address it saw to X-Forwarded-For, as nginx's $proxy_add_x_forwarded_for does),
    the client is the N-th entry from the right — entries left of it were sent by the
    client and are not trusted. The same rule as DRF's NUM_PROXIES (the API throttles)."""
    remote = request.META.get("REMOTE_ADDR") or "unknown"
    proxies = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0) or 0)
    if proxies <= 0:
        return remote
    forwarded = [
        a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if a.strip()
    ]
    if not forwarded:
        return remote
    candidate = forwarded[-min(proxies, len(forwarded))]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:  # a proxy that writes something else: do not key on client input
        return remote


def client_address(request) -> str | None:
    """client_ip for logs: None when unknown; takes a DRF request too."""
    address = client_ip(getattr(request, "_request", request))
    return None if address == "unknown" else address


# Page sizes a list may be asked for with `?page_size=` (web lists and the REST API alike);
# every list costs the same statements at each of them (tests/workbench/test_lists_flat.py).
PAGE_SIZE_PARAM = "page_size"
PAGE_SIZES = (10, 20, 25, 50, 100)


def page_size(raw: str | None, default: int) -> int:
    """The page size a request asks for (`?page_size=`), `default` when it names none; a
    size outside PAGE_SIZES raises ValueError with a message naming the parameter."""
    if raw is None or raw == "":
        return default
    if raw.isdigit() and int(raw) in PAGE_SIZES:
        return int(raw)
    from django.utils.translation import gettext

    raise ValueError(gettext("page_size（每页条数）只能是 {sizes}，收到的是“{value}”。").format(
        sizes="、".join(str(s) for s in PAGE_SIZES), value=raw[:20]))


def int_param(raw: str | None, name: str, *, minimum: int = 1,
              maximum: int | None = None) -> int | None:
    """A whole-number query parameter (`?page=`, `?year=`, `?account=` …): None when absent;
    anything else than a number in range raises ValueError with a message naming the
    parameter (the web answers 400 with it, the API 400 {name: [message]})."""
    if raw is None or raw == "":
        return None
    raw = raw.strip()
    if raw.isdigit() and int(raw) >= minimum and (maximum is None or int(raw) <= maximum):
        return int(raw)
    from django.utils.translation import gettext

    if maximum is None:
        text = gettext("参数 {name} 应为不小于 {minimum} 的整数，收到的是“{value}”。")
    else:
        text = gettext("参数 {name} 应为 {minimum} 到 {maximum} 之间的整数，收到的是“{value}”。")
    raise ValueError(text.format(name=name, minimum=minimum, maximum=maximum, value=raw[:20]))


def page_param(raw: str | None) -> int | str | None:
    """`?page=`: a page number from 1 or `last` (Django's Paginator.get_page takes both)."""
    if raw == "last":
        return raw
    return int_param(raw, "page")


class PagedByKey:
    """A sorted queryset as a paginator sees it (count, ordered, slices), each slice chosen
    by key first: `pk IN (SELECT pk … ORDER BY … LIMIT n OFFSET m)`, so the page's rows are
    picked on the list's own table (index-only where an index covers the scope and the
    sort) and the related rows are joined for those n rows only. One statement per page,
    the same rows in the same order. Used by the to-do list (workbench.views.paging) and
    `/api/accounts/` (lifecycle.api_accounts); the notice lists read its page their own way
    (notices.selectors.by_page)."""

    def __init__(self, queryset: QuerySet) -> None:
        self.queryset = queryset
        self.ordered = queryset.ordered

    def count(self) -> int:
        return self.queryset.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index):
        if not isinstance(index, slice):
            return self.queryset[index]
        return self.queryset.filter(pk__in=self.queryset.values("pk")[index])
