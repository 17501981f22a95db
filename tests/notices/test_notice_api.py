from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from notices.models import NoticeDownload
from tests.notices.conftest import closure_context


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def issued(world, issue, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        xl = issue("opening_approval", unit=world.u.nj, account=world.xl_account, process_id=7)
        zj = issue("closure_announcement", unit=world.u.njzj, account=world.zj_account,
                   context=closure_context(world.successor))
    xl.refresh_from_db()
    zj.refresh_from_db()
    return world, xl, zj


@pytest.mark.django_db
def test_it_requires_authentication(api, issued):
    assert api.get("/api/notices/").status_code in (401, 403)


@pytest.mark.django_db
def test_it_lists_scoped_and_paginated(api, issued):
    world, xl, zj = issued
    api.force_authenticate(world.p.xl_clerk)  # the owning unit of xl's account
    data = api.get("/api/notices/").json()
    assert set(data) == {"count", "next", "previous", "results"}
    assert data["count"] == 1
    row = data["results"][0]
    assert row == {
        "id": xl.pk, "kind": "opening_approval", "number": xl.number, "title": xl.title,
        "issued_on": xl.issued_on.isoformat(),
        "issuing_unit": {"code": "NJ", "name": "南京市人民政府办公室"},
        "account": {"id": world.xl_account.pk, "name": "兴隆发布",
                    "platform": "wechat_official", "platform_id": "xinglong_fb"},
        "process_id": 7, "sha256": xl.sha256, "pages": xl.pages,
        "pdf_url": f"http://testserver/api/notices/{xl.pk}/pdf/", "status": "rendered",
    }


@pytest.mark.django_db
def test_it_filters(api, issued):
    world, xl, zj = issued
    api.force_authenticate(world.p.nj_archivist)

    def numbers(**params):
        return {r["number"] for r in api.get("/api/notices/", params).json()["results"]}

    assert numbers() == {xl.number, zj.number}
    assert numbers(kind="closure_announcement") == {zj.number}
    assert numbers(unit="JY") == {xl.number}
    assert numbers(account=world.zj_account.pk) == {zj.number}
    assert numbers(year=xl.year) == {xl.number, zj.number}
    assert numbers(year=xl.year - 1) == set()
    assert numbers(number=zj.number) == {zj.number}
    assert numbers(unit="NOPE") == set()  # unknown code: no rows, like an out-of-scope one


@pytest.mark.django_db
def test_it_hides_out_of_scope_notices(api, issued):
    world, xl, zj = issued
    api.force_authenticate(world.p.jb_approver)
    assert api.get(f"/api/notices/{xl.pk}/").status_code == 404
    assert api.get(f"/api/notices/{xl.pk}/pdf/").status_code == 404
    assert NoticeDownload.objects.count() == 0


@pytest.mark.django_db
def test_it_downloads_and_logs(api, issued):
    world, xl, zj = issued
    api.force_authenticate(world.p.nj_archivist)
    assert api.get(f"/api/notices/{zj.pk}/").json()["number"] == zj.number
    response = api.get(f"/api/notices/{zj.pk}/pdf/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    log = NoticeDownload.objects.get()
    assert (log.user, log.channel) == (world.p.nj_archivist, "api")


@pytest.mark.django_db
def test_it_works_with_token_auth(api, issued):
    from rest_framework.authtoken.models import Token

    world, xl, zj = issued
    token = Token.objects.create(user=world.p.nj_archivist)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api.get("/api/notices/").json()["count"] == 2
