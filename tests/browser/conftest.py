"""Real Chromium (Debian's) driven by playwright against pytest-django's live server."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def login(browser, live_server):
    """login(username) → a page logged in as that user, in its own browser context."""
    contexts = []

    def _login(username: str, password: str = "pw"):
        context = browser.new_context(locale="zh-CN")
        # Generous: CI runs on 2 shared cores and eager PDF rendering happens in-request.
        context.set_default_timeout(90_000)
        contexts.append(context)
        page = context.new_page()
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        page.click("button[type=submit]")
        page.wait_for_load_state()
        return page

    yield _login
    for context in contexts:
        context.close()
