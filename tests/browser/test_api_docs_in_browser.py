"""The API docs pages in a real browser (Debian's Chromium): they render, and no request
leaves the site — not even the Redocly logo Redoc's side menu loads from its CDN."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Debian's chromium"),
]


@pytest.fixture
def page(live_server, nanjing):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run",
        ])
        context = browser.new_context(locale="zh-CN")
        context.set_default_timeout(90_000)
        page = context.new_page()
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", "xl_clerk")
        page.fill("#id_password", "pw")
        page.click("button[type=submit]")
        page.wait_for_load_state()
        yield page
        context.close()
        browser.close()


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
