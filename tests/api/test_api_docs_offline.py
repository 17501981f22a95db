"""The API docs pages make no request to another host ("no CDN", DESIGN §2): every asset they
reference is one of our static files."""

from __future__ import annotations

import re

import pytest
from django.contrib.staticfiles import finders

pytestmark = pytest.mark.django_db

# Anything that names a host: scheme-absolute or protocol-relative URLs.
EXTERNAL = re.compile(r"""(?:[a-z][a-z0-9+.-]*:)?//[^\s"'<>()]+""", re.I)


@pytest.mark.parametrize("url", ["/api/redoc/", "/api/docs/"])
def test_the_docs_page_references_no_external_host(nanjing, client, url):
    client.force_login(nanjing.p.xl_clerk)
    response = client.get(url)
    assert response.status_code == 200
    # The browser may fetch images, fonts and data from this site only (Redoc's side menu
    # would load a logo from cdn.redoc.ly; tests/api/test_api_docs_browser.py).
    policy = response["Content-Security-Policy"]
    for directive in ("img-src 'self' data: blob:", "font-src 'self' data:", "connect-src 'self'"):
        assert directive in policy
    html = response.content.decode()
    assert EXTERNAL.findall(html) == []
    assert "fonts.googleapis.com" not in html and "fonts.gstatic.com" not in html
    assets = re.findall(r"""(?:src|href)=["']([^"']+)["']""", html)
    assert assets, html
    for asset in assets:
        assert asset.startswith("/static/"), asset
        assert finders.find(asset.removeprefix("/static/")), asset


def test_redoc_reads_our_schema(nanjing, client):
    client.force_login(nanjing.p.xl_clerk)
    html = client.get("/api/redoc/").content.decode()
    assert "/static/drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js" in html
    assert '"/api/schema/' in html or "'/api/schema/" in html or "spec-url=\"/api/schema/" in html
