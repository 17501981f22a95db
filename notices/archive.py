"""Archival records of notices (docs/archive.md): metadata (DA/T 46 / GB/T 39362 elements),
retention from the schedule (RetentionRule), filing (归档) with a gapless 档号, transfer
packages (移交) and the 四性检测 (DA/T 70) of a package.

Package layout (`archive_export`, the web download zips the same folder):

    <out>/manifest.json                every file: path, size, sha256, sm3
    <out>/trust/ca.pem                 the certification authorities (checks need no system)
    <out>/items/<档号>/notice.pdf       the signed notice
    <out>/items/<档号>/sheet.pdf        its 公文处理单
    <out>/items/<档号>/metadata.xml     the metadata (schema: docs/archive.md)
"""

from __future__ import annotations

import datetime
import hashlib
import html
import json
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from sequences import get_next_value

from lifecycle.models import Membership, Role, Unit
from notices.kinds import KINDS
from notices.models import ArchiveRecord, Notice, Retention, RetentionRule, SigningAuthority
from notices.rendering import sm3_hex

METADATA_VERSION = "govmedia-archive-1"
ERR_FILE_FORBIDDEN = _("只有该单位或上级单位的档案员可以归档。")
ERR_NOTHING_FILED = _("{unit} {year}年度没有已归档的公文，请先归档。")
# Elements every item's metadata must hold (DA/T 46-2009 §5, GB/T 39362-2020).
ELEMENTS = (
    "title", "number", "creator", "date", "classification", "retention", "year", "organization",
    "item_no", "archival_code", "pages", "format", "digest_sha256", "digest_sm3", "signer",
    "signer_serial", "kind",
)
ELEMENT_LABELS = {
    "title": "题名", "number": "文号", "creator": "责任者", "date": "成文日期",
    "classification": "密级", "retention": "保管期限", "year": "年度", "organization": "机构/问题",
    "item_no": "件号", "archival_code": "档号", "pages": "页数", "format": "格式",
    "digest_sha256": "数字摘要（SHA-256）", "digest_sm3": "数字摘要（SM3）",
    "signer": "签名人", "signer_serial": "签名证书序列号", "kind": "文种",
}


# -- permissions ------------------------------------------------------------------------------


def may_file(*, user: Any, unit: Unit) -> bool:
    """Archivists of the unit or of an ancestor (and superusers) file its notices."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser:
        return True
    ancestors = [int(pk) for pk in unit.path.strip("/").split("/") if pk]
    return Membership.objects.filter(user=user, role=Role.ARCHIVIST,
                                     unit_id__in=ancestors).exists()


def may_edit_retention(user: Any) -> bool:
    """The archivists' administrator edits the retention schedule: the `admin` role (or a
    superuser)."""
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(user.is_superuser or Membership.objects.filter(user=user, role=Role.ADMIN).exists())


# -- retention and metadata ---------------------------------------------------------------------


def retention_for(kind: str) -> str:
    rule = RetentionRule.objects.filter(kind=kind).first()
    return rule.retention if rule is not None else Retention.PERMANENT


def archival_code(*, year: int, unit: Unit, retention: str, item_no: int) -> str:
    """档号 `年度-机构代码-保管期限-件号`, the 件号 on four digits (DA/T 22-2015 §6)."""
    return f"{year}-{unit.code}-{retention}-{item_no:04d}"


def metadata(notice: Notice, record: ArchiveRecord | None) -> dict[str, str]:
    spec = KINDS[notice.kind]
    retention = record.retention if record else retention_for(notice.kind)
    return {
        "title": notice.title,
        "number": notice.number,
        "creator": notice.issuing_unit.name,
        "date": notice.issued_on.isoformat(),
        "classification": "公开" if spec.readable_by_public else "内部",
        "retention": str(Retention(retention).label),
        "year": str(notice.year),
        "organization": f"{notice.issuing_unit.code} {notice.issuing_unit.name}",
        "item_no": str(record.item_no) if record else "",
        "archival_code": record.code if record else "",
        "pages": str(notice.pages or ""),
        "format": "PDF",
        "digest_sha256": notice.sha256,
        "digest_sm3": notice.sm3,
        "signer": notice.signer,
        "signer_serial": notice.signer_serial,
        "kind": f"{spec.legal_type}（{spec.label}）",
        "status": "已撤销" if notice.status == "revoked" else "有效",
        "sheet_sha256": notice.sheet_sha256,
    }


def metadata_xml(meta: dict[str, str]) -> bytes:
    root = ET.Element("record", {"schema": METADATA_VERSION})
    for key, value in meta.items():
        el = ET.SubElement(root, key, {"label": ELEMENT_LABELS.get(key, key)})
        el.text = value
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def read_metadata_xml(data: bytes) -> dict[str, str]:
    root = ET.fromstring(data)
    return {child.tag: (child.text or "") for child in root}


# -- filing ----------------------------------------------------------------------------------------


def fileable(*, unit: Unit, year: int):
    return (Notice.objects.filter(issuing_unit=unit, year=year, archive_record__isnull=True)
            .exclude(sha256="").select_related("issuing_unit").order_by("issued_on", "pk"))


def file_year(*, unit: Unit, year: int, actor: Any) -> list[ArchiveRecord]:
    """File every rendered, not yet filed notice the unit issued in `year`: each gets the
    next 件号 of its retention group (gapless; a rollback gives the numbers back)."""
    if not may_file(user=actor, unit=unit):
        raise PermissionDenied(str(ERR_FILE_FORBIDDEN))
    return _file(unit=unit, year=year, actor=actor)


def file_year_system(*, unit: Unit, year: int) -> list[ArchiveRecord]:
    """The same from the command line (the operator runs it; no web user)."""
    return _file(unit=unit, year=year, actor=None)


@transaction.atomic
def _file(*, unit: Unit, year: int, actor: Any) -> list[ArchiveRecord]:
    records = []
    # of=self: PostgreSQL cannot lock the nullable side of the outer join with archive records.
    for notice in fileable(unit=unit, year=year).select_for_update(of=("self",)):
        retention = retention_for(notice.kind)
        item_no = get_next_value(f"archive-{unit.pk}-{year}-{retention}")
        records.append(ArchiveRecord.objects.create(
            notice=notice, unit=unit, year=year, retention=retention, item_no=item_no,
            code=archival_code(year=year, unit=unit, retention=retention, item_no=item_no),
            filed_by=actor if getattr(actor, "pk", None) else None,
        ))
    return records


# -- export -------------------------------------------------------------------------------------------


def _digests(data: bytes) -> dict[str, Any]:
    return {"size": len(data), "sha256": hashlib.sha256(data).hexdigest(), "sm3": sm3_hex(data)}


def _read(field_file) -> bytes:
    with field_file.open("rb") as fh:
        return fh.read()


def export_package(*, unit: Unit, year: int, out: Path) -> dict[str, Any]:
    """Write the transfer package of the unit's filed notices of `year` into `out`."""
    records = list(ArchiveRecord.objects.filter(unit=unit, year=year)
                   .select_related("notice", "notice__issuing_unit").order_by("retention", "item_no"))
    if not records:
        raise ValidationError({"year": str(ERR_NOTHING_FILED).format(unit=unit.name, year=year)})
    out.mkdir(parents=True, exist_ok=True)
    files: dict[str, dict[str, Any]] = {}

    def put(rel: str, data: bytes) -> None:
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        files[rel] = _digests(data)

    roots = "".join(SigningAuthority.objects.order_by("pk").values_list("cert_pem", flat=True))
    put("trust/ca.pem", roots.encode())
    items = []
    for record in records:
        notice = record.notice
        base = f"items/{record.code}"
        put(f"{base}/notice.pdf", _read(notice.pdf))
        if notice.sheet_pdf:
            put(f"{base}/sheet.pdf", _read(notice.sheet_pdf))
        put(f"{base}/metadata.xml", metadata_xml(metadata(notice, record)))
        items.append({"archival_code": record.code, "retention": record.retention,
                      "item_no": record.item_no, "number": notice.number})
    manifest = {
        "schema": METADATA_VERSION, "unit": {"code": unit.code, "name": unit.name},
        "year": year, "created": timezone.now().isoformat(), "items": items, "files": files,
    }
    (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1),
                                       encoding="utf-8")
    return manifest


# -- 四性检测 (DA/T 70) ----------------------------------------------------------------------------------

AUTHENTIC, COMPLETE, USABLE, SECURE = "真实性", "完整性", "可用性", "安全性"
EXECUTABLE_SUFFIXES = {".exe", ".dll", ".bat", ".cmd", ".sh", ".js", ".vbs", ".ps1", ".jar",
                       ".com", ".scr", ".msi", ".py"}
EXECUTABLE_MAGIC = (b"MZ", b"\x7fELF", b"#!", b"PK\x03\x04")
CODE_PATTERN = re.compile(r"^(\d{4})-([^-]+)-(Y|D30|D10)-(\d{4})$")


@dataclass
class CheckResult:
    package: str
    checks: list[dict[str, Any]] = field(default_factory=list)

    def add(self, aspect: str, item: str, ok: bool, message: str) -> None:
        self.checks.append({"aspect": aspect, "item": item, "ok": ok, "message": message})

    @property
    def passed(self) -> bool:
        return all(c["ok"] for c in self.checks)

    def failures(self) -> list[dict[str, Any]]:
        return [c for c in self.checks if not c["ok"]]

    def as_json(self) -> dict[str, Any]:
        summary = {}
        for aspect in (AUTHENTIC, COMPLETE, USABLE, SECURE):
            rows = [c for c in self.checks if c["aspect"] == aspect]
            summary[aspect] = {"checked": len(rows), "failed": sum(not c["ok"] for c in rows)}
        return {"package": self.package, "passed": self.passed, "summary": summary,
                "failures": self.failures(), "checks": self.checks,
                "checked_at": datetime.datetime.now(datetime.UTC).isoformat()}


def _deref(obj: Any, key: str, default: Any = None) -> Any:
    """obj[key] resolved (pyHanko dictionaries resolve references on []), or default."""
    try:
        return obj[key]
    except (KeyError, TypeError):
        return default


def _page_leaves(node: Any, resources: Any = None, depth: int = 0) -> list[tuple[Any, Any]]:
    """(page, resources) for every page of the tree; /Resources is inherited from /Pages."""
    resources = _deref(node, "/Resources", resources)
    if depth > 32:
        raise ValueError("page tree too deep")
    kids = _deref(node, "/Kids")
    if kids is None:
        return [(node, resources)]
    return [leaf for kid in kids for leaf in _page_leaves(kid.get_object(), resources, depth + 1)]


def open_pdf(data: bytes) -> Any:
    """One pyHanko reader per PDF: the signature check and the usability/safety checks share
    it (one parse)."""
    import io

    from pyhanko.pdf_utils.reader import PdfFileReader

    return PdfFileReader(io.BytesIO(data), strict=False)


def _pdf_checks(result: CheckResult, rel: str, data: bytes, pages: str | None,
                reader: Any = None) -> None:
    try:
        reader = reader if reader is not None else open_pdf(data)
        root = reader.root
        leaves = _page_leaves(root["/Pages"])
        count = len(leaves)
        contents = leaves[0][0]["/Contents"]  # the first page's content decodes
        for stream in (contents if isinstance(contents, list) else [contents]):
            stream.get_object().data  # noqa: B018 - decoding is the check
    except Exception as exc:
        result.add(USABLE, rel, False, f"PDF无法打开：{exc}")
        return
    result.add(USABLE, rel, True, f"PDF可以打开（{count}页）")
    if pages and str(count) != pages:
        result.add(USABLE, rel, False, f"页数{count}与元数据的{pages}不符")
    unembedded = set()
    for _page, resources in leaves:
        fonts = _deref(resources, "/Font") or {}
        for key in list(fonts):
            font = fonts[key]
            descriptors = [_deref(font, "/FontDescriptor")]
            for descendant in _deref(font, "/DescendantFonts") or []:
                descriptors.append(_deref(descendant.get_object(), "/FontDescriptor"))
            embedded = any(d is not None and any(k in d for k in
                                                 ("/FontFile", "/FontFile2", "/FontFile3"))
                           for d in descriptors)
            if not embedded and _deref(font, "/Subtype") != "/Type3":
                unembedded.add(str(_deref(font, "/BaseFont")))
    result.add(USABLE, rel, not unembedded,
               "字体均已嵌入" if not unembedded else f"字体未嵌入：{'、'.join(sorted(unembedded))}")
    names = _deref(root, "/Names") or {}
    has_js = "/JavaScript" in names or b"/JavaScript" in data or b"/JS " in data
    has_files = "/EmbeddedFiles" in names or b"/EmbeddedFile" in data
    launch = b"/Launch" in data
    result.add(SECURE, rel, not (has_js or launch),
               "无脚本与启动动作" if not (has_js or launch) else "含JavaScript或启动动作")
    result.add(USABLE, rel, not has_files, "无附件" if not has_files else "含嵌入附件")


def _file_checks(result: CheckResult, rel: str, data: bytes, expected: dict[str, Any]) -> None:
    """真实性 of one file against the manifest, 安全性: no executable content."""
    actual = _digests(data)
    ok = actual["sha256"] == expected.get("sha256") and actual["sm3"] == expected.get("sm3")
    result.add(AUTHENTIC, rel, ok, "SHA-256与SM3均与清单一致" if ok else "摘要与清单不一致（文件被修改）")
    suffix = Path(rel).suffix.lower()
    executable = suffix in EXECUTABLE_SUFFIXES or data.startswith(EXECUTABLE_MAGIC)
    result.add(SECURE, rel, not executable, "非可执行内容" if not executable else "可执行内容")


def _validation_context(roots_pem: bytes | None) -> tuple[list[Any], Any]:
    from pyhanko.keys import load_certs_from_pemder_data
    from pyhanko_certvalidator import ValidationContext

    roots: list[Any] = []
    if roots_pem:
        try:
            roots = list(load_certs_from_pemder_data(roots_pem))
        except Exception:
            roots = []
    return roots, ValidationContext(trust_roots=roots, allow_fetching=False,
                                    revocation_mode="soft-fail")


@dataclass
class _ItemTask:
    """One item of a package, checked on its own (in a pool process when there are many)."""

    root: Path
    code: str
    files: dict[str, dict[str, Any]]  # this item's files in the manifest → expected digests
    present: list[str]  # those of them on disk
    digest: bool = True  # False for a repeated 档号: its files were checked once already


def _check_item(task: _ItemTask, context: Any) -> list[dict[str, Any]]:
    """Every check of one item: its files' digests and safety, metadata complete and
    consistent, the signature, the PDFs usable and safe."""
    from notices.signing import verify_pdf

    result = CheckResult(package="")
    code, base, files = task.code, f"items/{task.code}", task.files
    contents: dict[str, bytes] = {}
    for rel in task.present:
        contents[rel] = data = (task.root / rel).read_bytes()
        if task.digest:
            _file_checks(result, rel, data, files[rel])
    meta_rel = f"{base}/metadata.xml"
    if meta_rel not in contents:
        result.add(COMPLETE, code, False, "缺少元数据 metadata.xml")
        return result.checks
    try:
        meta = read_metadata_xml(contents[meta_rel])
    except ET.ParseError as exc:
        result.add(USABLE, meta_rel, False, f"元数据无法解析：{exc}")
        return result.checks
    missing = [ELEMENT_LABELS[e] for e in ELEMENTS if not meta.get(e)]
    result.add(COMPLETE, code, not missing,
               "元数据项齐全" if not missing else f"缺少元数据项：{'、'.join(missing)}")
    if meta.get("archival_code") != code:
        result.add(COMPLETE, code, False, f"元数据中的档号{meta.get('archival_code')}与目录不符")
    for name in ("notice.pdf", "sheet.pdf"):
        if f"{base}/{name}" not in files:
            result.add(COMPLETE, code, False, f"缺少{name}")
    pdf_rel = f"{base}/notice.pdf"
    if pdf_rel in contents:
        data = contents[pdf_rel]
        ok = hashlib.sha256(data).hexdigest() == meta.get("digest_sha256")
        result.add(AUTHENTIC, pdf_rel, ok, "与元数据的数字摘要一致" if ok else "与元数据的数字摘要不一致")
        try:
            reader = open_pdf(data)
        except Exception:
            reader = None  # verify_pdf and _pdf_checks report it unreadable
        check = verify_pdf(data, expected_serial=meta.get("signer_serial", ""),
                           context=context, reader=reader)
        result.add(AUTHENTIC, pdf_rel, check.valid,
                   "电子签名有效" if check.valid else f"电子签名无效：{check.reason}")
        _pdf_checks(result, pdf_rel, data, meta.get("pages"), reader)
    sheet_rel = f"{base}/sheet.pdf"
    if sheet_rel in contents:
        ok = hashlib.sha256(contents[sheet_rel]).hexdigest() == meta.get("sheet_sha256")
        result.add(AUTHENTIC, sheet_rel, ok, "处理单摘要一致" if ok else "处理单摘要与元数据不一致")
        _pdf_checks(result, sheet_rel, contents[sheet_rel], None)
    return result.checks


_POOL_CONTEXT: Any = None


def _pool_init(roots_pem: bytes | None) -> None:
    global _POOL_CONTEXT
    _POOL_CONTEXT = _validation_context(roots_pem)[1]  # one per process: paths are cached


def _pool_check_item(task: _ItemTask) -> list[dict[str, Any]]:
    return _check_item(task, _POOL_CONTEXT)


POOL_MIN_ITEMS = 40  # below this a pool costs more than it saves


def check_workers(items: int) -> int:
    import os

    return 1 if items < POOL_MIN_ITEMS else max(1, min(os.cpu_count() or 1, 8))


def check_package(root: Path, *, workers: int | None = None) -> CheckResult:
    """The 四性检测 of a transfer package; every failure names the item (file or 档号).
    Items are checked independently, by `workers` processes (default: one per core for a
    package of POOL_MIN_ITEMS items or more); the report lists them in package order."""
    result = CheckResult(package=str(root))
    manifest_path = root / "manifest.json"
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        files: dict[str, dict[str, Any]] = manifest["files"]
        items: list[dict[str, Any]] = manifest["items"]
    except (OSError, ValueError, KeyError) as exc:
        result.add(COMPLETE, "manifest.json", False, f"清单缺失或无法读取：{exc}")
        return result
    result.add(SECURE, "manifest.json", True, "清单为纯文本JSON，脱离系统可读")
    present = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}
    present.discard("manifest.json")
    for rel in sorted(set(files) - present):
        result.add(COMPLETE, rel, False, "清单中的文件缺失")
    for rel in sorted(present - set(files)):
        result.add(COMPLETE, rel, False, "清单之外的文件")
    # Items: metadata complete, files present, signatures, gapless 件号 per retention group.
    groups: dict[str, list[int]] = {}
    tasks: list[_ItemTask | None] = []
    seen: set[str] = set()
    codes: list[str] = []
    by_code: dict[str, dict[str, dict[str, Any]]] = {}
    for rel, expected in files.items():
        parts = rel.split("/")
        if len(parts) >= 3 and parts[0] == "items":
            by_code.setdefault(parts[1], {})[rel] = expected
    for item in items:
        code = item.get("archival_code", "")
        match = CODE_PATTERN.match(code)
        codes.append(code)
        if match is None:
            tasks.append(None)
            continue
        groups.setdefault(match.group(3), []).append(int(match.group(4)))
        own = by_code.get(code, {})
        tasks.append(_ItemTask(root=root, code=code, files=own,
                               present=sorted(set(own) & present), digest=code not in seen))
        seen.add(code)
    # Files outside every well-formed item (trust/ca.pem, strays): checked here.
    in_items = {rel for task in tasks if task is not None for rel in task.files}
    contents: dict[str, bytes] = {}
    for rel in sorted((set(files) & present) - in_items):
        contents[rel] = (root / rel).read_bytes()
        _file_checks(result, rel, contents[rel], files[rel])
    roots_pem = contents.get("trust/ca.pem")
    roots, context = _validation_context(roots_pem)
    result.add(AUTHENTIC, "trust/ca.pem", bool(roots),
               "包内含证书颁发机构证书" if roots else "缺少可用的CA证书，无法脱离系统验证签名")
    todo = [task for task in tasks if task is not None]
    workers = check_workers(len(todo)) if workers is None else workers
    if workers > 1 and len(todo) > 1:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=workers, initializer=_pool_init,
                                 initargs=(roots_pem,),
                                 mp_context=multiprocessing.get_context("fork")) as pool:
            done = iter(pool.map(_pool_check_item, todo,
                                 chunksize=max(1, len(todo) // (workers * 8))))
    else:
        done = iter([_check_item(task, context) for task in todo])
    for code, task in zip(codes, tasks, strict=True):
        if task is None:
            result.add(COMPLETE, code or "?", False, "档号格式不符（年度-机构代码-保管期限-件号）")
        else:
            result.checks.extend(next(done))
    for retention, numbers in sorted(groups.items()):
        numbers.sort()
        expected = list(range(1, len(numbers) + 1))
        if numbers != expected:
            gaps = sorted(set(range(1, max(numbers) + 1)) - set(numbers))
            dupes = sorted({n for n in numbers if numbers.count(n) > 1})
            detail = []
            if gaps:
                detail.append("缺件号 " + "、".join(f"{n:04d}" for n in gaps))
            if dupes:
                detail.append("重复件号 " + "、".join(f"{n:04d}" for n in dupes))
            result.add(COMPLETE, f"档号 {manifest.get('year')}-{manifest.get('unit', {}).get('code')}-"
                       f"{retention}", False, "件号不连续：" + "；".join(detail))
        else:
            result.add(COMPLETE, f"保管期限 {retention}", True, f"件号1–{len(numbers)}连续")
    return result


def report_html(report: dict[str, Any]) -> str:
    esc = html.escape
    rows = "".join(
        f"<tr class=\"{'ok' if c['ok'] else 'bad'}\"><td>{esc(c['aspect'])}</td>"
        f"<td>{esc(c['item'])}</td><td>{'通过' if c['ok'] else '不通过'}</td>"
        f"<td>{esc(c['message'])}</td></tr>" for c in report["checks"])
    summary = "".join(f"<li>{esc(k)}：检测{v['checked']}项，不通过{v['failed']}项</li>"
                      for k, v in report["summary"].items())
    verdict = "通过" if report["passed"] else "不通过"
    return (
        "<!DOCTYPE html><html lang=\"zh-Hans\"><head><meta charset=\"utf-8\">"
        "<title>四性检测报告</title><style>body{font-family:sans-serif;margin:2em}"
        "table{border-collapse:collapse;width:100%}td,th{border:1px solid #999;padding:4px 6px;"
        "text-align:left;font-size:13px}.bad{background:#ffebee}.verdict{font-size:20px}"
        "@media print{.ok{display:none}}</style></head><body>"
        f"<h1>电子档案移交包四性检测报告</h1><p>检测对象：{esc(report['package'])}</p>"
        f"<p>检测时间：{esc(report['checked_at'])}</p>"
        f"<p class=\"verdict\">结论：{verdict}</p><ul>{summary}</ul>"
        "<table><tr><th>检测项</th><th>对象</th><th>结果</th><th>说明</th></tr>"
        f"{rows}</table></body></html>"
    )
