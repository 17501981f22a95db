"""Archive pages: scoped search, detail and logged downloads."""

from __future__ import annotations

import datetime

import pytest

from notices.models import Notice, NoticeDownload


def login(client, user):
    client.force_login(user)
    return client


def numbers(response) -> set[str]:
    return {n.number for n in response.context["page"]}


@pytest.mark.django_db
def test_it_requires_login(client, archive):
    response = client.get("/notices/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.django_db
def test_it_scopes_the_list_to_the_users_units(client, archive):
    world, xl, zj, jb = archive
    # The city archivist sits above everything issued in Nanjing.
    assert numbers(login(client, world.p.nj_archivist).get("/notices/")) == {
        xl.number, zj.number, jb.number,
    }
    # 兴隆's clerk reads the notice about 兴隆's account (the owning unit).
    assert numbers(login(client, world.p.xl_clerk).get("/notices/")) == {xl.number}
    # 建邺's approver sits above 兴隆 but is no archivist and on no chain of it: nothing.
    assert numbers(login(client, world.p.jy_approver).get("/notices/")) == set()
    # 江北's approver reads the receipt about 江北's account (the owning unit) only.
    assert numbers(login(client, world.p.jb_approver).get("/notices/")) == {jb.number}


@pytest.mark.django_db
def test_it_searches_by_number_kind_unit_account_and_dates(client, archive):
    world, xl, zj, jb = archive
    c = login(client, world.p.nj_archivist)
    assert numbers(c.get("/notices/", {"number": "公告"})) == {zj.number}
    assert numbers(c.get("/notices/", {"kind": "filing_receipt"})) == {jb.number}
    assert numbers(c.get("/notices/", {"unit": "JY"})) == {xl.number}
    assert numbers(c.get("/notices/", {"unit": "NJZJ"})) == {zj.number}
    assert numbers(c.get("/notices/", {"account": "南京质检"})) == {zj.number}
    assert numbers(c.get("/notices/", {"account": str(world.jb_account.pk)})) == {jb.number}
    today = datetime.date.today()
    tomorrow = (today + datetime.timedelta(days=1)).isoformat()
    assert numbers(c.get("/notices/", {"date_from": tomorrow})) == set()
    assert len(numbers(c.get("/notices/", {"date_to": tomorrow}))) == 3


@pytest.mark.django_db
def test_it_shows_detail_in_scope_and_404_outside(client, archive):
    world, xl, zj, jb = archive
    c = login(client, world.p.xl_clerk)
    response = c.get(f"/notices/{xl.pk}/")
    assert response.status_code == 200
    assert xl.number in response.content.decode()
    assert c.get(f"/notices/{zj.pk}/").status_code == 404
    assert c.get(f"/notices/{zj.pk}/pdf/").status_code == 404
    assert NoticeDownload.objects.count() == 0


@pytest.mark.django_db
def test_it_logs_every_download(client, archive):
    world, xl, zj, jb = archive
    c = login(client, world.p.nj_archivist)
    response = c.get(f"/notices/{zj.pk}/pdf/", REMOTE_ADDR="10.1.2.3")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    body = b"".join(response.streaming_content)
    assert body.startswith(b"%PDF")
    import hashlib

    assert hashlib.sha256(body).hexdigest() == Notice.objects.get(pk=zj.pk).sha256
    log = NoticeDownload.objects.get()
    assert (log.notice_id, log.user, log.ip, log.channel) == (
        zj.pk, world.p.nj_archivist, "10.1.2.3", "web",
    )
    detail = c.get(f"/notices/{zj.pk}/").content.decode()
    assert "南京档案员" in detail and "10.1.2.3" in detail


@pytest.mark.django_db
def test_it_lists_with_a_fixed_number_of_queries(client, archive, django_assert_max_num_queries):
    world, *_ = archive
    c = login(client, world.p.nj_archivist)
    c.get("/notices/")  # warm the session
    # session + user, memberships, unit choices, count, page (select_related) — independent
    # of the number of notices.
    with django_assert_max_num_queries(8):
        response = c.get("/notices/")
    assert response.status_code == 200


@pytest.mark.django_db
def test_it_shows_the_archive_read_only_in_admin(admin_client, archive):
    world, xl, zj, jb = archive
    response = admin_client.get("/admin/notices/notice/")
    assert response.status_code == 200 and xl.number in response.content.decode()
    assert admin_client.get("/admin/notices/notice/add/").status_code == 403
    change = admin_client.post(f"/admin/notices/notice/{xl.pk}/change/", {"title": "x"})
    assert change.status_code in (302, 403)
    assert Notice.objects.get(pk=xl.pk).title == xl.title


@pytest.mark.django_db
def test_the_download_log_records_the_client_behind_the_proxy(world, issue, client, settings,
                                                               django_capture_on_commit_callbacks):
    settings.TRUSTED_PROXY_COUNT = 1
    with django_capture_on_commit_callbacks(execute=True):
        notice = issue("opening_approval")
    c = login(client, world.p.nj_archivist)
    response = c.get(f"/notices/{notice.pk}/pdf/", REMOTE_ADDR="127.0.0.1",
                     HTTP_X_FORWARDED_FOR="6.6.6.6, 10.9.8.7")
    assert response.status_code == 200
    assert NoticeDownload.objects.get().ip == "10.9.8.7"  # the proxy saw 10.9.8.7; 6.6.6.6 is forged


@pytest.mark.django_db
def test_it_frames_the_archive_with_the_workbench_links(client, archive):
    """The notice page frame (notices/site_base.html) names no route; the workbench fills the
    header: to-do list, archive, verification — and no template comment leaks as text."""
    world = archive[0]
    html = login(client, world.p.nj_archivist).get("/notices/").content.decode()
    header = html.split('<header class="site">', 1)[1].split("</header>", 1)[0]
    assert 'href="/"' in header and 'href="/notices/"' in header and 'href="/public/verify/"' in header
    assert "{#" not in html and "comment" not in html.split("<body>", 1)[1]


@pytest.mark.django_db
def test_the_public_verification_page_links_only_what_the_public_may_open(client):
    html = client.get("/public/verify/").content.decode()
    header = html.split('<header class="site">', 1)[1].split("</header>", 1)[0]
    assert 'href="/public/verify/"' in header and 'href="/notices/"' not in header
