"""Error bodies: JSON whatever the Accept header, translated 404s, out of scope = missing."""

from __future__ import annotations

import pytest
from django.utils import translation

from notices.models import NoticeDownload
from tests.api.helpers import imported
from tests.approvals.helpers import apply_xl, decide, only_open_task

pytestmark = pytest.mark.django_db


@pytest.fixture
def jianye(nanjing, django_capture_on_commit_callbacks):
    """A 兴隆 account with a rendered notice and an opening process at the district step."""
    from notices import services as notices_services

    account = imported(nanjing.u.xl, "兴隆老号", platform="weibo")
    with django_capture_on_commit_callbacks(execute=True):
        notice = notices_services.issue(kind="closure_announcement", account=account,
                              issuing_unit=nanjing.u.xl, actor=nanjing.p.xl_clerk,
                              context={"reason": "测试", "stop_on": "2026-12-15"})
    notice.refresh_from_db()
    assert notice.is_rendered
    process = apply_xl(nanjing)
    decide(process, nanjing.p.xl_head)
    return {"account": account, "notice": notice, "task": only_open_task(process)}


def json_body(response) -> dict:
    assert response["Content-Type"] == "application/json", (response.status_code, response.content)
    return response.json()


@pytest.mark.parametrize("accept", ["*/*", "application/pdf", "text/html", None])
def test_pdf_errors_are_json_whatever_the_accept_header(nanjing, jianye, anon, client_for,
                                                         accept):
    headers = {"HTTP_ACCEPT": accept} if accept else {}
    url = f"/api/notices/{jianye['notice'].pk}/pdf/"
    anonymous = anon.get(url, **headers)
    assert anonymous.status_code == 401
    assert set(json_body(anonymous)) == {"detail"}
    outsider = client_for(nanjing.p.jb_approver)
    out_of_scope = outsider.get(url, **headers)
    missing = outsider.get("/api/notices/999999/pdf/", **headers)
    assert out_of_scope.status_code == missing.status_code == 404
    assert json_body(out_of_scope) == json_body(missing) == {"detail": "未找到。"}
    assert NoticeDownload.objects.count() == 0


@pytest.mark.parametrize("accept", ["*/*", "application/pdf", "text/html"])
def test_the_pdf_itself_still_downloads_with_any_accept(nanjing, jianye, client_for, accept):
    client = client_for(nanjing.p.xl_clerk)
    response = client.get(f"/api/notices/{jianye['notice'].pk}/pdf/", HTTP_ACCEPT=accept)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"


def object_urls(jianye, account_pk, task_pk, notice_pk):
    return {
        f"/api/accounts/{account_pk}/": "没有找到该账号。",
        f"/api/accounts/{account_pk}/history/": "没有找到该账号。",
        f"/api/tasks/{task_pk}/": "没有找到该任务。",
        f"/api/notices/{notice_pk}/": "未找到。",
        f"/api/notices/{notice_pk}/pdf/": "未找到。",
    }


def test_404_bodies_are_translated_and_alike_for_out_of_scope_and_missing(nanjing, jianye,
                                                                          client_for):
    client = client_for(nanjing.p.jb_approver)
    existing = object_urls(jianye, jianye["account"].pk, jianye["task"].pk,
                           jianye["notice"].pk)
    missing = object_urls(jianye, 999999, 999999, 999999)
    for (url, message), (missing_url, _) in zip(existing.items(), missing.items(), strict=True):
        a, b = client.get(url), client.get(missing_url)
        assert a.status_code == b.status_code == 404, url
        assert json_body(a) == json_body(b) == {"detail": message}, url
    for action in ("claim", "decide"):
        a = client.post(f"/api/tasks/{jianye['task'].pk}/{action}/", {}, format="json")
        b = client.post(f"/api/tasks/999999/{action}/", {}, format="json")
        assert a.status_code == b.status_code == 404
        assert json_body(a) == json_body(b) == {"detail": "没有找到该任务。"}


def test_404_bodies_follow_the_request_language(nanjing, jianye, client_for):
    before = translation.get_language()
    client = client_for(nanjing.p.jb_approver)
    english = {
        f"/api/accounts/{jianye['account'].pk}/": "Account not found.",
        f"/api/accounts/{jianye['account'].pk}/history/": "Account not found.",
        f"/api/notices/{jianye['notice'].pk}/": "Not found.",
        f"/api/notices/{jianye['notice'].pk}/pdf/": "Not found.",
    }
    for url, message in english.items():
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
        translation.activate(before)  # LocaleMiddleware leaves "en" active in this thread
        assert json_body(response) == {"detail": message}, url
