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
