"""The API docs pages in a real browser (Debian's Chromium): they render, and no request
leaves the site — not even the Redocly logo Redoc's side menu loads from its CDN."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page(login, nanjing):
    return login("xl_clerk")


@pytest.mark.parametrize(("url", "rendered"), [
    ("/api/redoc/", "h1"),
    ("/api/docs/", ".swagger-ui .info .title"),
])
def test_the_docs_page_renders_without_leaving_the_site(live_server, page, url, rendered):
    outside: list[str] = []

    def watch(route):
        request_url = route.request.url
        if request_url.startswith((live_server.url, "data:", "blob:")):
            route.continue_()
        else:
            outside.append(request_url)
            route.abort()

    page.route("**/*", watch)
    page.goto(f"{live_server.url}{url}")
    page.wait_for_selector(rendered)
    assert "govmedia API" in page.inner_text(rendered)
    page.wait_for_load_state("networkidle")
    assert outside == []
