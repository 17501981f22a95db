"""Public verification: page and API, no login, only public facts, rate-limited."""

from __future__ import annotations

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle

from tests.notices.conftest import closure_context


@pytest.fixture
def notice(world, issue, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        n = issue("closure_announcement", unit=world.u.njzj, account=world.zj_account,
                  context=closure_context(world.successor))
    n.refresh_from_db()
    return n


def pdf_bytes(notice) -> bytes:
    with notice.pdf.open("rb") as fh:
        return fh.read()


@pytest.mark.django_db
def test_it_verifies_by_number_without_login(notice, world):
    data = APIClient().get("/api/public/verify/", {"number": notice.number}).json()
    assert data == {
        "number": notice.number, "genuine": True, "kind": "closure_announcement",
        "title": notice.title, "issuing_unit": {"code": "NJZJ", "name": "南京市质量技术监督局"},
        "issued_on": notice.issued_on.isoformat(),
        "account": {"id": world.zj_account.pk, "name": "南京质检", "platform": "wechat_official",
                    "platform_id": "njzhijian"},
        "sha256": notice.sha256, "revoked": False,
        "verdict": "genuine", "headline": "该公文真实有效。", "reason": "",
        "signature": {"valid": True, "signer": data["signature"]["signer"],
                      "unit": "南京市质量技术监督局", "certificate_valid": True,
                      "modified_after_signing": False},
    }
    assert "南京市质量技术监督局" in data["signature"]["signer"]


@pytest.mark.django_db
def test_it_compares_hashes(notice):
    api = APIClient()
    ok = api.get("/api/public/verify/", {"number": notice.number, "sha256": notice.sha256})
    assert ok.json()["hash_matches"] is True
    bad = api.get("/api/public/verify/", {"number": notice.number, "sha256": "0" * 64})
    assert bad.json()["hash_matches"] is False
    assert api.get("/api/public/verify/", {"number": notice.number, "sha256": "xyz"}).status_code == 400


@pytest.mark.django_db
def test_it_answers_404_for_unknown_numbers(notice):
    response = APIClient().get("/api/public/verify/", {"number": "宁质监公告〔2019〕99号"})
    assert response.status_code == 404
    assert response.json()["genuine"] is False


@pytest.mark.django_db
def test_it_reports_revocation(notice, world, issue, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        revocation = issue("revocation", unit=world.u.njzj, revokes=notice)
    assert APIClient().get("/api/public/verify/", {"number": notice.number}).json()["revoked"]
    page = APIClient().get("/public/verify/", {"number": notice.number}).content.decode()
    assert "已被撤销" in page and revocation.number in page


@pytest.mark.django_db
def test_it_throttles_the_api(notice, monkeypatch):
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"public": "3/min"})
    api = APIClient()
    codes = [api.get("/api/public/verify/", {"number": notice.number}).status_code
             for _ in range(4)]
    assert codes == [200, 200, 200, 429]


@pytest.mark.django_db
def test_it_shows_the_page_with_only_public_facts(client, notice):
    empty = client.get("/public/verify/")
    assert empty.status_code == 200 and "公文真伪核验" in empty.content.decode()
    page = client.get("/public/verify/", {"number": notice.number}).content.decode()
    assert "该公文真实有效" in page
    assert "南京市质量技术监督局" in page and "南京质检" in page
    assert "某传媒公司" not in page and notice.failure_reason == ""
    assert notice.context["reason"] not in page  # contents stay in the archive


@pytest.mark.django_db
def test_it_checks_an_uploaded_pdf(client, notice):
    genuine = SimpleUploadedFile("n.pdf", pdf_bytes(notice), content_type="application/pdf")
    page = client.post("/public/verify/", {"number": notice.number, "pdf": genuine})
    assert "文件与存档一致" in page.content.decode()
    forged = SimpleUploadedFile("n.pdf", pdf_bytes(notice) + b"%tampered",
                                content_type="application/pdf")
    page = client.post("/public/verify/", {"number": notice.number, "pdf": forged})
    assert "文件与存档不一致" in page.content.decode()
    assert 'data-verdict="mismatch"' in page.content.decode()
    sha = hashlib.sha256(pdf_bytes(notice)).hexdigest()
    page = client.get("/public/verify/", {"number": notice.number, "sha256": sha})
    assert "文件与存档一致" in page.content.decode()


@pytest.mark.django_db
def test_it_says_unknown_on_the_page(client, notice):
    response = client.get("/public/verify/", {"number": "<b>假</b>〔2026〕1号"})
    assert response.status_code == 404
    body = response.content.decode()
    assert "未查到" in body and "&lt;b&gt;假&lt;/b&gt;" in body


@pytest.mark.django_db
def test_it_throttles_the_page(client, notice, monkeypatch):
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"public": "2/min"})
    codes = [client.get("/public/verify/", {"number": notice.number}).status_code
             for _ in range(3)]
    assert codes == [200, 200, 429]


def resigned_copy(notice) -> bytes:
    """The notice re-rendered and signed by a look-alike seal from an untrusted CA."""
    from notices import signing
    from notices.rendering import render_notice_pdf

    fresh = render_notice_pdf(notice)
    fake = signing.new_demo_seal(notice.issuing_unit, signing.new_demo_authority("伪造CA"))
    return signing.sign_pdf(fresh.data, seal=fake, anchor=signing.Anchor(*fresh.anchor))


def tampered_copy(notice) -> bytes:
    data = pdf_bytes(notice)
    at = len(data) // 4  # one byte inside the signed range
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1:]


@pytest.mark.django_db
def test_page_headline_is_red_for_tampered_and_resigned_files(client, notice):
    page = client.post("/public/verify/", {"number": notice.number, "pdf": SimpleUploadedFile(
        "n.pdf", pdf_bytes(notice), content_type="application/pdf")}).content.decode()
    assert 'data-verdict="genuine"' in page and "该公文真实有效" in page and "签名有效" in page
    for forged in (tampered_copy(notice), resigned_copy(notice)):
        page = client.post("/public/verify/", {"number": notice.number, "pdf": SimpleUploadedFile(
            "n.pdf", forged, content_type="application/pdf")}).content.decode()
        assert 'class="verdict bad"' in page and 'data-verdict="mismatch"' in page
        assert "文件不一致" in page and "该公文真实有效" not in page
        assert "SHA-256与存档不一致" in page  # the reason, in the headline box


@pytest.mark.django_db
def test_api_reports_tampered_and_resigned_uploads_invalid(notice):
    api = APIClient()
    genuine = api.post("/api/public/verify/", {"number": notice.number, "pdf": SimpleUploadedFile(
        "n.pdf", pdf_bytes(notice), content_type="application/pdf")}, format="multipart").json()
    assert genuine["genuine"] is True and genuine["verdict"] == "genuine"
    assert genuine["hash_matches"] is True and genuine["signature"]["valid"] is True
    resigned = api.post("/api/public/verify/", {"number": notice.number, "pdf": SimpleUploadedFile(
        "n.pdf", resigned_copy(notice), content_type="application/pdf")}, format="multipart").json()
    assert resigned["genuine"] is False and resigned["verdict"] == "mismatch"
    assert resigned["signature"]["valid"] is False
    assert resigned["signature"]["certificate_valid"] is False
    assert "受信任" in resigned["reason"]
    tampered = api.post("/api/public/verify/", {"number": notice.number, "pdf": SimpleUploadedFile(
        "n.pdf", tampered_copy(notice), content_type="application/pdf")}, format="multipart").json()
    assert tampered["genuine"] is False and tampered["signature"]["valid"] is False
    by_hash = api.get("/api/public/verify/", {"number": notice.number, "sha256": "0" * 64}).json()
    assert by_hash["genuine"] is False and by_hash["headline"] == "文件不一致"


@pytest.mark.django_db
def test_archived_file_with_a_broken_signature_is_invalid(notice):
    # The archive itself altered (one byte of the stored file): 签名无效, with the reason.
    altered = tampered_copy(notice)
    with open(notice.pdf.path, "wb") as fh:
        fh.write(altered)
    data = APIClient().get("/api/public/verify/", {"number": notice.number}).json()
    assert data["genuine"] is False and data["verdict"] == "invalid_signature"
    assert data["headline"] == "签名无效" and data["reason"]


@pytest.mark.django_db
@pytest.mark.parametrize("typed", ["[{y}]", "({y})", "【{y}】", "（{y}）", "〔{y}〕"])
def test_numbers_are_normalised(notice, typed):
    year = str(notice.year)
    wide = year.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"})
    for digits in (year, wide):
        typed_number = notice.number.replace(f"〔{year}〕", typed.format(y=digits))
        data = APIClient().get("/api/public/verify/", {"number": typed_number}).json()
        assert data["number"] == notice.number and data["genuine"] is True


@pytest.mark.django_db
def test_public_kinds_are_readable_as_pdf_without_login(client, notice, world, issue,
                                                        django_capture_on_commit_callbacks):
    response = client.get(f"/public/notices/{notice.pk}/pdf/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content) == pdf_bytes(notice)
    with django_capture_on_commit_callbacks(execute=True):
        approval = issue("opening_approval")
    assert client.get(f"/public/notices/{approval.pk}/pdf/").status_code == 404
    page = client.get("/public/verify/", {"number": notice.number}).content.decode()
    assert f"/public/notices/{notice.pk}/pdf/" in page


@pytest.mark.django_db
@pytest.mark.parametrize("state", ["draft", "applying", "approved"])
def test_verification_hides_what_the_public_account_page_hides(client, notice, world, state):
    """Issue 12 item 8 (the finding: verification answered for accounts the public account
    page hides). One rule, lifecycle.selectors_public.public_account_q, for both."""
    from lifecycle.models import Account

    account = world.zj_account
    assert client.get(f"/public/accounts/{account.pk}/").status_code == 200
    assert APIClient().get("/api/public/verify/", {"number": notice.number}).status_code == 200

    Account.objects.filter(pk=account.pk).update(state=state)
    assert client.get(f"/public/accounts/{account.pk}/").status_code == 404
    api = APIClient().get("/api/public/verify/", {"number": notice.number})
    assert api.status_code == 404 and api.json()["genuine"] is False
    upload = APIClient().post("/api/public/verify/", {
        "number": notice.number,
        "pdf": SimpleUploadedFile("n.pdf", pdf_bytes(notice), "application/pdf")})
    assert upload.status_code == 404
    page = client.get("/public/verify/", {"number": notice.number})
    assert page.status_code == 404 and notice.title not in page.content.decode()
    assert client.get(f"/public/notices/{notice.pk}/pdf/").status_code == 404


@pytest.mark.django_db
def test_every_public_endpoint_is_throttled(client, notice, world, monkeypatch):
    """Issue 12 item 8 (the finding: the web lookup was not throttled): the public pages,
    the public PDFs and the public API share the `public` rate per client."""
    from django.test import Client

    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"public": "1/min"})
    urls = [
        "/public/", "/public/announcements/", "/public/lookup/?q=南京",
        f"/public/accounts/{world.zj_account.pk}/", f"/public/verify/?number={notice.number}",
        f"/public/notices/{notice.pk}/pdf/", f"/api/public/verify/?number={notice.number}",
        "/api/public/successor/?name=南京",
    ]
    for n, url in enumerate(urls):
        visitor = Client(REMOTE_ADDR=f"198.51.100.{n + 1}")
        assert visitor.get(url).status_code == 200, url
        assert visitor.get(url).status_code == 429, url


@pytest.mark.django_db
def test_an_anonymous_verification_upload_is_capped_small(client, notice, settings):
    """Issue 12 item 8 (the finding: anonymous verification accepted a 60 MB upload): the
    file is capped at PUBLIC_VERIFY_UPLOAD_MB (10) with a clear message; a public body
    larger than that is refused before anything reads it (413)."""
    assert settings.PUBLIC_VERIFY_UPLOAD_MB == 10  # the default: 60 MB never gets in
    assert settings.MAX_PUBLIC_REQUEST_BYTES == 11 * 1024 * 1024
    settings.PUBLIC_VERIFY_UPLOAD_MB = 1
    settings.MAX_PUBLIC_REQUEST_BYTES = 3 * 1024 * 1024
    big = b"%PDF-1.7\n" + b"0" * (1024 * 1024 + 10)
    api = APIClient().post("/api/public/verify/", {
        "number": notice.number, "pdf": SimpleUploadedFile("n.pdf", big, "application/pdf")})
    assert api.status_code == 400 and api.json() == {"pdf": ["文件过大（上限 1 MB）。"]}
    page = client.post("/public/verify/", {
        "number": notice.number, "pdf": SimpleUploadedFile("n.pdf", big, "application/pdf")})
    assert "文件过大（上限 1 MB）" in page.content.decode()

    huge = b"%PDF-1.7\n" + b"0" * (4 * 1024 * 1024)
    refused = APIClient().post("/api/public/verify/", {
        "number": notice.number, "pdf": SimpleUploadedFile("n.pdf", huge, "application/pdf")})
    assert refused.status_code == 413 and "上限 1 MB" in refused.json()["detail"]
    refused = client.post("/public/verify/", {
        "number": notice.number, "pdf": SimpleUploadedFile("n.pdf", huge, "application/pdf")})
    assert refused.status_code == 413
