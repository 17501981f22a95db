"""Every bad query parameter is a 400 with a message naming it (issue 12 item 8; the
finding: `?as_of=9999-99-99` on the attention page was a 500). One table over the web
lists and the REST list filters: page numbers, ids, years, dates."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

WEB = [
    ("/work/accounts/", "page", "abc"),
    ("/work/accounts/", "page", "0"),
    ("/work/applications/", "page", "-1"),
    ("/workflow/inbox/", "page", "x"),
    ("/workflow/queue/", "page", "abc"),
    ("/workflow/archive/", "page", "abc"),
    ("/work/feedback/", "page", "abc"),
    ("/work/feedback/", "account", "abc"),
    ("/work/notifications/", "page", "1.5"),
    ("/notices/", "page", "abc"),
    ("/notices/", "year", "abc"),
    ("/notices/", "year", "99999"),
    ("/notices/", "date_from", "2026-13-01"),
    ("/notices/", "date_to", "9999-99-99"),
    ("/work/review/attention/", "as_of", "9999-99-99"),
    ("/work/review/attention/export/", "as_of", "2026-02-30"),
    ("/work/review/warnings/", "as_of", "x"),
    ("/work/review/rectify/1/", "campaign", "x1"),
    ("/work/stats/annual/", "year", "abc"),
    ("/work/stats/annual/", "year", "1999"),
    ("/public/announcements/", "page", "abc"),
]
API = [
    ("/api/units/", "page", "abc"),
    ("/api/accounts/", "page", "0"),
    ("/api/accounts/", "state", "bogus"),
    ("/api/accounts/", "platform", "bogus"),
    ("/api/tasks/", "page", "abc"),
    ("/api/tasks/", "status", "bogus"),
    ("/api/notices/", "page", "-1"),
    ("/api/notices/", "year", "abc"),
    ("/api/notices/", "account", "abc"),
    ("/api/notices/", "kind", "bogus"),
    ("/api/accounts/", "page_size", "7"),
]


@pytest.fixture
def root(nanjing):
    cache.clear()
    return get_user_model().objects.create_superuser("root", "", "Root#Pass-2026")


@pytest.mark.parametrize(("url", "name", "value"), WEB)
def test_a_bad_web_parameter_is_a_400_naming_it(root, nanjing, url, name, value):
    client = Client(raise_request_exception=False)
    client.force_login(root)
    if url.startswith("/work/review/rectify/"):
        from lifecycle.models import Account, AccountState, Platform

        account = Account.objects.create(
            name="建邺发布", platform=Platform.WECHAT_OFFICIAL, platform_id="jyfb",
            unit=nanjing.u.jy, supervisor_unit=nanjing.u.nj, state=AccountState.ACTIVE)
        url = f"/work/review/rectify/{account.pk}/"
    response = client.get(url, {name: value})
    assert response.status_code == 400, (url, name, response.status_code)
    body = response.content.decode()
    assert name in body or value in body, body[:500]


@pytest.mark.parametrize(("url", "name", "value"), API)
def test_a_bad_api_parameter_is_a_400_naming_it(root, url, name, value):
    api = APIClient()
    api.force_authenticate(root)
    response = api.get(url, {name: value})
    assert response.status_code == 400, (url, name, response.status_code)
    assert name in response.json(), response.json()


def test_good_parameters_still_work(root):
    client = Client()
    client.force_login(root)
    assert client.get("/work/accounts/", {"page": "1"}).status_code == 200
    assert client.get("/work/accounts/", {"page": "last"}).status_code == 200
    assert client.get("/work/accounts/", {"page": "999"}).status_code == 200  # the last page
    assert client.get("/notices/", {"year": "2026"}).status_code == 200
    api = APIClient()
    api.force_authenticate(root)
    assert api.get("/api/accounts/", {"page": "1"}).status_code == 200
    assert api.get("/api/accounts/", {"page": "999"}).status_code == 404  # past the end
