"""Files and limits (issue 12 item 8): /media/ is never served as a directory, uploads are
judged by content, text is bounded, bad query parameters are 400, oversize bodies are 413
(JSON under /api/)."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse

from approvals.forms import OpeningForm, upload_kind

pytestmark = pytest.mark.django_db


def test_media_is_not_served_as_a_directory_even_in_debug(client, nanjing, settings, tmp_path):
    """The finding: with DEBUG (the local setup) /media/ served any file to any user."""
    import importlib

    import config.urls

    with override_settings(DEBUG=True):
        module = importlib.reload(config.urls)
        patterns = [str(p.pattern) for p in module.urlpatterns]
    importlib.reload(config.urls)
    assert not any(settings.MEDIA_URL.strip("/") in p for p in patterns), patterns
    settings.MEDIA_ROOT = tmp_path
    (tmp_path / "notices").mkdir()
    (tmp_path / "notices" / "x.pdf").write_bytes(b"%PDF-1.7 secret")
    client.force_login(nanjing.p.jb_approver)
    assert client.get("/media/notices/x.pdf").status_code == 404


def _zip(names) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name in names:
            z.writestr(name, "x")
    return buf.getvalue()


@pytest.mark.parametrize("content,kind", [
    (b"%PDF-1.7\n", "pdf"),
    (b"\x89PNG\r\n\x1a\n....", "png"),
    (b"\xff\xd8\xff\xe0....", "jpg"),
    (_zip(["[Content_Types].xml", "word/document.xml"]), "docx"),
    (_zip(["[Content_Types].xml", "xl/workbook.xml"]), "xlsx"),
    (b"<html><script>alert(1)</script></html>", ""),
    (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', ""),
    (_zip(["evil.js"]), ""),
])
def test_uploads_are_judged_by_content(content, kind):
    assert upload_kind(SimpleUploadedFile("plan.pdf", content)) == kind


def test_the_plan_upload_refuses_html_and_svg_and_oversize(nanjing, settings):
    data = {"unit": "JYXL", "platform": "weibo", "name": "兴隆发布", "purpose": "发布信息",
            "contact_name": "张三", "contact_phone": "025-12345678"}
    units = [nanjing.u.xl]
    for name, content in (("plan.html", b"<html></html>"), ("plan.svg", b"<svg/>"),
                          ("plan.pdf", b"<html>renamed</html>")):
        form = OpeningForm(data, {"plan": SimpleUploadedFile(name, content)}, units=units)
        assert not form.is_valid() and "plan" in form.errors
    settings.MAX_UPLOAD_FILE_BYTES = 100
    form = OpeningForm(data, {"plan": SimpleUploadedFile("p.pdf", b"%PDF-" + b"x" * 200)},
                       units=units)
    assert not form.is_valid() and "MB" in str(form.errors["plan"])
    settings.MAX_UPLOAD_FILE_BYTES = 10 * 1024 * 1024
    form = OpeningForm(data, {"plan": SimpleUploadedFile("p.pdf", b"%PDF-1.7")}, units=units)
    assert form.is_valid(), form.errors


def test_a_huge_purpose_is_refused_in_the_form_and_the_api(nanjing):
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    data = {"unit": "JYXL", "platform": "weibo", "name": "兴隆发布", "purpose": "长" * 100_000,
            "operator": "x", "contact_name": "张三", "contact_phone": "025-12345678"}
    assert "purpose" in OpeningForm(data, units=[nanjing.u.xl]).errors
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=nanjing.p.xl_clerk).key}")
    response = client.post("/api/applications/opening/", data, format="json")
    assert response.status_code == 400 and "purpose" in response.json()


def test_a_bad_as_of_is_a_400(client, nanjing):
    client.force_login(nanjing.p.jy_approver)
    for name in ("work:attention", "work:attention_export"):
        response = client.get(reverse(name) + "?as_of=9999-99-99")
        assert response.status_code == 400, name


def test_an_oversize_body_is_a_413_and_json_under_the_api(client, settings):
    settings.MAX_REQUEST_BYTES = 1024
    body = b"x" * 2048
    response = client.post("/api/public/verify/", body, content_type="application/octet-stream")
    assert response.status_code == 413 and "过大" in response.json()["detail"]
    response = client.post("/public/verify/", body, content_type="application/octet-stream")
    assert response.status_code == 413


def test_the_api_answers_json_for_every_error(nanjing, settings, caplog):
    """Issue 12 item 8: 404 (an unknown path), 405, 413 and 500 under /api/ are JSON; a
    crash shows an error id — the request id of the logged traceback — never the text."""
    from unittest import mock

    from django.test import Client

    client = Client(raise_request_exception=False)
    unknown = client.get("/api/no-such-route/")
    assert unknown.status_code == 404 and unknown.json() == {"detail": "未找到。"}
    wrong_method = client.put("/api/token/")
    assert wrong_method.status_code == 405 and "detail" in wrong_method.json()
    settings.MAX_REQUEST_BYTES = 1024
    big = client.post("/api/token/", data=b"x" * 2048, content_type="application/json")
    assert big.status_code == 413 and "detail" in big.json()
    settings.MAX_REQUEST_BYTES = 20 * 1024 * 1024

    secret = "password=hunter2 at /srv/govmedia/config/api.py"
    with mock.patch("config.api.TokenView.post", side_effect=RuntimeError(secret)):
        crash = client.post("/api/token/", {"username": "x", "password": "y"},
                            content_type="application/json")
    assert crash.status_code == 500 and crash["Content-Type"] == "application/json"
    body = crash.json()
    assert body["error_id"] == crash["X-Request-ID"] and body["error_id"] in body["detail"]
    assert "hunter2" not in crash.content.decode()
    logged = [r for r in caplog.records if body["error_id"] in r.getMessage()]
    assert logged and logged[0].exc_info and "hunter2" in str(logged[0].exc_info[1])


def test_a_web_crash_shows_an_error_id_not_the_exception(nanjing):
    from unittest import mock

    from django.test import Client

    client = Client(raise_request_exception=False)
    client.force_login(nanjing.p.jy_approver)
    with mock.patch("config.accounts.PasswordChangeView.get",
                    side_effect=RuntimeError("secret detail")):
        page = client.get("/accounts/password/")
    html = page.content.decode()
    assert page.status_code == 500 and "secret detail" not in html
    assert f"错误编号 <code>{page['X-Request-ID']}</code>" in html
    assert client.get("/public/no-such-page/").status_code == 404  # HTML pages stay HTML
