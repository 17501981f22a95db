"""Archival records: retention from the schedule, 档号 gapless at filing, the transfer
package (archive_export) and its 四性检测 (archive_check): a genuine package passes; one
altered byte, one missing file or one gap in 档号 fails with the item named."""

from __future__ import annotations

import json
import shutil

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.utils import timezone

from notices import archive
from notices.models import ArchiveRecord, RetentionRule

pytestmark = pytest.mark.django_db


@pytest.fixture
def filed(world, issue, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        approvals = [issue("opening_approval") for _ in range(3)]
        receipt = issue("filing_receipt")
    for notice in (*approvals, receipt):
        notice.refresh_from_db()
    records = archive.file_year(unit=world.u.nj, year=timezone.localdate().year,
                                actor=world.p.nj_archivist)
    return approvals, receipt, records


def test_filing_assigns_gapless_codes_by_retention(world, filed):
    approvals, receipt, records = filed
    year = timezone.localdate().year
    assert [r.code for r in records] == [
        f"{year}-{world.u.nj.code}-Y-0001", f"{year}-{world.u.nj.code}-Y-0002",
        f"{year}-{world.u.nj.code}-Y-0003", f"{year}-{world.u.nj.code}-D10-0001",
    ]
    # Filing again files nothing new; numbers continue, never reused.
    assert archive.file_year(unit=world.u.nj, year=year, actor=world.p.nj_archivist) == []
    meta = archive.metadata(receipt, receipt.archive_record)
    assert meta["retention"] == "10年" and meta["archival_code"].endswith("D10-0001")
    assert [e for e in archive.ELEMENTS if not meta[e]] == []
    assert meta["digest_sm3"] == receipt.sm3 and meta["classification"] == "内部"


def test_retention_comes_from_the_schedule(world, issue, django_capture_on_commit_callbacks):
    RetentionRule.objects.filter(kind="filing_receipt").update(retention="D30")
    with django_capture_on_commit_callbacks(execute=True):
        issue("filing_receipt")
    (record,) = archive.file_year(unit=world.u.nj, year=timezone.localdate().year,
                                  actor=world.p.nj_archivist)
    assert record.retention == "D30" and "-D30-0001" in record.code


def test_only_archivists_file(world, filed):
    with pytest.raises(PermissionDenied):
        archive.file_year(unit=world.u.nj, year=2026, actor=world.p.nj_approver)


def export(world, tmp_path):
    out = tmp_path / "pkg"
    call_command("archive_export", "--year", str(timezone.localdate().year),
                 "--unit", world.u.nj.code, "--out", str(out))
    return out


def check(out):
    try:
        call_command("archive_check", str(out))
    except CommandError:
        pass
    return json.loads(out.with_name(out.name + ".check.json").read_text(encoding="utf-8"))


def test_genuine_package_passes(world, filed, tmp_path):
    out = export(world, tmp_path)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert len(manifest["items"]) == 4
    code = filed[2][0].code
    assert {f"items/{code}/notice.pdf", f"items/{code}/sheet.pdf",
            f"items/{code}/metadata.xml", "trust/ca.pem"} <= set(manifest["files"])
    assert all(len(f["sm3"]) == 64 for f in manifest["files"].values())
    report = check(out)
    assert report["passed"], report["failures"]
    aspects = report["summary"]
    assert set(aspects) == {"真实性", "完整性", "可用性", "安全性"}
    assert all(v["checked"] for v in aspects.values())
    assert out.with_name("pkg.check.html").read_text(encoding="utf-8").count("<tr") > 10


def test_altered_byte_fails_naming_the_file(world, filed, tmp_path):
    out = export(world, tmp_path)
    code = filed[2][1].code
    target = out / "items" / code / "notice.pdf"
    data = bytearray(target.read_bytes())
    data[len(data) // 3] ^= 0x01
    target.write_bytes(bytes(data))
    report = check(out)
    assert not report["passed"]
    failed = {(f["aspect"], f["item"]) for f in report["failures"]}
    assert ("真实性", f"items/{code}/notice.pdf") in failed


def test_missing_file_fails_naming_it(world, filed, tmp_path):
    out = export(world, tmp_path)
    code = filed[2][0].code
    (out / "items" / code / "sheet.pdf").unlink()
    report = check(out)
    assert not report["passed"]
    assert any(f["aspect"] == "完整性" and f["item"] == f"items/{code}/sheet.pdf"
               for f in report["failures"])


def test_gap_in_archival_codes_fails(world, filed, tmp_path):
    out = export(world, tmp_path)
    code = filed[2][1].code  # the 2nd permanent item: a gap between 0001 and 0003
    shutil.rmtree(out / "items" / code)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    manifest["items"] = [i for i in manifest["items"] if i["archival_code"] != code]
    manifest["files"] = {k: v for k, v in manifest["files"].items() if code not in k}
    (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    report = check(out)
    assert not report["passed"]
    (gap,) = [f for f in report["failures"] if f["aspect"] == "完整性"]
    assert gap["item"].endswith("-Y") and "缺件号 0002" in gap["message"]


def test_export_without_filed_notices_is_refused(world, tmp_path):
    with pytest.raises(CommandError, match="没有已归档"):
        call_command("archive_export", "--year", "2001", "--unit", world.u.nj.code,
                     "--out", str(tmp_path / "x"))
    assert not ArchiveRecord.objects.exists()


def test_archivist_files_and_downloads_the_package_on_the_web(
    client, world, issue, django_capture_on_commit_callbacks, tmp_path
):
    import io
    import zipfile

    with django_capture_on_commit_callbacks(execute=True):
        notice = issue("opening_approval")
    year = timezone.localdate().year
    client.force_login(world.p.nj_approver)  # not an archivist
    assert client.get("/notices/filing/").status_code == 404
    client.force_login(world.p.nj_archivist)
    page = client.get("/notices/filing/", {"unit": world.u.nj.code, "year": year})
    assert "待归档 1 件" in page.content.decode()
    client.post("/notices/filing/", {"unit": world.u.nj.code, "year": year, "action": "file"})
    code = ArchiveRecord.objects.get(notice=notice).code
    assert code == f"{year}-{world.u.nj.code}-Y-0001"
    response = client.post("/notices/filing/", {"unit": world.u.nj.code, "year": year,
                                                "action": "export"})
    assert response["Content-Type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))) as zf:
        zf.extractall(tmp_path)
    (root,) = list(tmp_path.iterdir())
    assert (root / "items" / code / "notice.pdf").exists()
    assert archive.check_package(root).passed
    detail = client.get(f"/notices/{notice.pk}/").content.decode()
    assert code in detail and f"/notices/{notice.pk}/sheet/" in detail
    assert client.get(f"/notices/{notice.pk}/sheet/").status_code == 200


def _pdf_with_script_and_bare_font() -> bytes:
    import io

    from pypdf import PdfWriter
    from pypdf.actions import JavaScript
    from pypdf.generic import DictionaryObject, NameObject, StreamObject

    writer = PdfWriter()
    page = writer.add_blank_page(595, 842)
    font = DictionaryObject({NameObject("/Type"): NameObject("/Font"),
                             NameObject("/Subtype"): NameObject("/Type1"),
                             NameObject("/BaseFont"): NameObject("/Helvetica")})
    page[NameObject("/Resources")] = DictionaryObject({NameObject("/Font"): DictionaryObject(
        {NameObject("/F1"): writer._add_object(font)})})
    content = StreamObject()
    content.set_data(b"BT /F1 12 Tf 72 720 Td (x) Tj ET")
    page[NameObject("/Contents")] = writer._add_object(content)
    writer.add_open_action(JavaScript("app.alert(1);"))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_a_pdf_with_script_or_bare_fonts_fails_usability_and_safety(world, filed, tmp_path):
    out = export(world, tmp_path)
    code = filed[2][2].code
    rel = f"items/{code}/sheet.pdf"
    data = _pdf_with_script_and_bare_font()
    (out / rel).write_bytes(data)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    manifest["files"][rel] = archive._digests(data)  # listed as if genuine
    (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    failures = archive.check_package(out, workers=2).failures()  # the pool path
    messages = {(f["aspect"], f["item"], f["message"]) for f in failures}
    assert ("可用性", rel, "字体未嵌入：/Helvetica") in messages
    assert ("安全性", rel, "含JavaScript或启动动作") in messages
    assert ("真实性", rel, "处理单摘要与元数据不一致") in messages
    assert {f["item"] for f in failures} == {rel}


def test_the_pool_reports_what_one_process_reports(world, filed, tmp_path):
    out = export(world, tmp_path)
    target = out / "items" / filed[2][0].code / "notice.pdf"
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0x01
    target.write_bytes(bytes(data))
    serial = archive.check_package(out, workers=1).checks
    pooled = archive.check_package(out, workers=2).checks
    assert pooled == serial and not all(c["ok"] for c in serial)
    assert len(serial) > 40
