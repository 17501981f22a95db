"""One look in both languages: our own error pages, the favicon, the shared stylesheet on
every frame, and the public portal in English."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

FRAMES = ("/accounts/login/", "/public/", "/public/verify/", "/public/announcements/")


def test_it_serves_its_own_404_page_in_chinese(client, nanjing):
    client.force_login(nanjing.p.xl_clerk)
    response = client.get("/no-such-page/")
    html = response.content.decode()
    assert response.status_code == 404
    assert 'data-testid="error-page"' in html and "页面不存在" in html and "返回工作台" in html
    assert "govmedia/govmedia.css" in html
    assert "Page not found" not in html and "URLconf" not in html


def test_it_serves_its_own_404_page_in_english(client, nanjing):
    client.force_login(nanjing.p.xl_clerk)
    response = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert response.status_code == 404
    assert "Page not found" in html and "Back to the workbench" in html
    assert "页面不存在" not in html


def test_it_serves_its_own_404_for_an_out_of_scope_task(client, nanjing):
    client.force_login(nanjing.p.jb_approver)
    response = client.get("/work/tasks/999999/")
    assert response.status_code == 404 and "页面不存在" in response.content.decode()


def test_it_serves_its_own_500_page_in_both_languages(nanjing):
    from django.test import RequestFactory
    from django.views.defaults import server_error

    response = server_error(RequestFactory().get("/"))
    html = response.content.decode()
    assert response.status_code == 500
    assert "系统暂时无法处理您的请求" in html and "Something went wrong on our side" in html
    assert "govmedia/govmedia.css" in html


def test_it_serves_its_own_403_page(nanjing):
    from django.core.exceptions import PermissionDenied
    from django.test import RequestFactory
    from django.views.defaults import permission_denied

    response = permission_denied(RequestFactory().get("/"), PermissionDenied())
    assert response.status_code == 403 and "无权访问" in response.content.decode()


def test_it_serves_its_own_csrf_failure_page(nanjing):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"username": "x", "password": "y"})
    assert response.status_code == 403 and "页面已过期" in response.content.decode()


def test_it_serves_a_favicon_without_login(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"].endswith("govmedia/favicon.ico")


@pytest.mark.parametrize("path", FRAMES)
def test_every_frame_uses_the_one_stylesheet_and_favicon(client, nanjing, path):
    html = client.get(path).content.decode()
    assert "govmedia/govmedia.css" in html and "govmedia/favicon.svg" in html
    assert "#b71c1c" not in html  # the old red shells are gone


def test_the_work_pages_use_the_one_stylesheet(client, nanjing):
    client.force_login(nanjing.p.xl_clerk)
    for path in ("/workflow/inbox/", "/work/applications/", "/work/start/"):
        html = client.get(path).content.decode()
        assert "govmedia/govmedia.css" in html and "govmedia/govmedia.js" in html, path
        assert "govmedia/favicon.svg" in html and "viewflow/img/favicon.png" not in html, path
        assert 'data-testid="header-slot"' in html, path


def test_the_public_portal_speaks_english(client, nanjing):
    for path in ("/public/", "/public/announcements/", "/public/lookup/?q=x", "/public/verify/"):
        html = client.get(path, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        body = html.split("<body", 1)[1]
        for chinese in ("首页", "关停与整合公告", "账号去向查询", "公文核验", "查询去向", "暂无公告", "全部"):
            assert chinese not in body, (path, chinese)
        assert 'lang="en"' in html.split("<head>", 1)[0], path
