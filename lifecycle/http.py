"""Request helpers that several layers share (the public rate limits, download logs)."""

from __future__ import annotations

import ipaddress

from django.conf import settings


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
