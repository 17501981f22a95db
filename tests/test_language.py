"""Chinese by default; English through Accept-Language or the language switch (set_language)."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from tests.approvals.helpers import apply_xl

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


@pytest.fixture(autouse=True)
def _restore_language():
    """LocaleMiddleware leaves the request's language active in this thread: restore it so
    that later tests do not run in English."""
    before = translation.get_language()
    yield
    if before:
        translation.activate(before)
    else:
        translation.deactivate()


def switch_form(body: str) -> str:
    match = re.search(r'<form[^>]*data-testid="language-switch".*?</form>', body, re.S)
    assert match, "language switch form missing"
    return match.group(0)


def set_language(client, code: str, next_url: str):
    return client.post(reverse("set_language"), {"language": code, "next": next_url})


# -- login page ---------------------------------------------------------------------------


def test_login_page_is_chinese_by_default(client):
    body = client.get(LOGIN).content.decode()
    assert '<html lang="zh-hans">' in body
    assert '<label for="id_username">用户名</label>' in body
    assert '<label for="id_password">密码</label>' in body
    assert "Username" not in body and "Log in" not in body


def test_login_page_is_english_with_accept_language(client):
    body = client.get(LOGIN, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="en">' in body
    assert '<label for="id_username">Username</label>' in body
    assert '<label for="id_password">Password</label>' in body
    assert ">Log in</button>" in body and "Government New Media Management" in body
    assert "用户名" not in body and "登录" not in body


def test_login_page_offers_the_language_switch(client):
    form = switch_form(client.get(f"{LOGIN}?next=/workflow/queue/").content.decode())
    assert f'action="{reverse("set_language")}"' in form and 'method="post"' in form
    assert 'name="csrfmiddlewaretoken"' in form
    assert 'name="next" value="/accounts/login/?next=/workflow/queue/"' in form
    assert 'name="language" value="zh-hans"' in form and ">简体中文<" in form
    assert 'name="language" value="en"' in form and ">English<" in form


def test_set_language_switches_the_login_page_both_ways(client):
    response = set_language(client, "en", LOGIN)
    assert response.status_code == 302 and response["Location"] == LOGIN
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert '<label for="id_username">Username</label>' in client.get(LOGIN).content.decode()

    set_language(client, "zh-hans", LOGIN)
    body = client.get(LOGIN, HTTP_ACCEPT_LANGUAGE="en").content.decode()  # the choice beats the header
    assert '<label for="id_username">用户名</label>' in body


def test_set_language_refuses_a_foreign_next(client):
    response = set_language(client, "en", "https://evil.example/")
    assert response.status_code == 302 and "evil.example" not in response["Location"]


# -- inbox queue ----------------------------------------------------------------------------


@pytest.fixture
def head_client(client, nanjing):
    apply_xl(nanjing)
    client.force_login(nanjing.p.xl_head)
    return client


def queue(client, **headers) -> str:
    """The to-do list (待办: held and offered tasks; workbench/views/todo.py)."""
    response = client.get(reverse("workflow:inbox"), **headers)
    assert response.status_code == 200
    return response.content.decode()


def assert_queue_in_english(body: str) -> None:
    assert ">To do<" in body and ">Done<" in body
    for label in ("Account", "Applying unit", "Step", "Deadline", "Account opening"):
        assert f">{label}<" in body, label
    assert "Government New Media Management" in body
    for chinese in ("已办", "待办", "申请单位", "账号开设", "政务新媒体管理"):
        assert chinese not in body, chinese
    assert "兴隆发布" in body  # data stays as entered


def test_queue_is_chinese_by_default(head_client):
    body = queue(head_client)
    assert ">待办<" in body and ">已办<" in body
    for label in ("账号", "申请单位", "环节", "办理期限", "账号开设"):
        assert f">{label}<" in body, label
    assert ">To do<" not in body and ">Applying unit<" not in body


def test_queue_is_english_with_accept_language(head_client):
    assert_queue_in_english(queue(head_client, HTTP_ACCEPT_LANGUAGE="en"))


def test_queue_is_english_after_set_language(head_client):
    url = reverse("workflow:inbox")
    response = set_language(head_client, "en", url)
    assert response.status_code == 302 and response["Location"] == url
    assert_queue_in_english(queue(head_client))

    set_language(head_client, "zh-hans", url)
    assert ">待办<" in queue(head_client)


def test_work_menu_offers_the_language_switch(head_client):
    url = reverse("work:applications")
    form = switch_form(head_client.get(url).content.decode())
    assert f'action="{reverse("set_language")}"' in form and 'name="csrfmiddlewaretoken"' in form
    assert f'name="next" value="{url}"' in form
    assert ">简体中文<" in form and ">English<" in form

    final = head_client.post(reverse("set_language"), {"language": "en", "next": url}, follow=True)
    assert final.redirect_chain[-1][0] == url
    body = final.content.decode()
    assert "My applications" in body and "Account register" in body and "我的申请" not in body
