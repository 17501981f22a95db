"""Notice kind + context → HTML (Django templates) → PDF (WeasyPrint), GB/T 9704 layout.

Security: every user-provided value reaches the HTML through Django's autoescaping (the
templates never mark user text safe); WeasyPrint only gets `SafeURLFetcher`, which serves
`data:` URIs and files inside our static directories and refuses everything else (no
network, no redirects, no `file:///etc/…`). Attachment links are dropped before the PDF is
written, so `rel=attachment` can never embed a file.

Memory: one FontConfiguration per worker process (DESIGN §2: a new one per render grows a
worker to ~925 MiB within 200 renders).
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import mimetypes
import shutil
import subprocess
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote_to_bytes, urlsplit
from urllib.request import url2pathname

import segno
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from notices.kinds import get_kind
from notices.layout import break_title

ERR_URL_BLOCKED = "URL blocked by the notice renderer: {url}"
ERR_FONT_MISSING = _("字体缺失：角色「{role}」的字体栈（{families}）中没有已安装的字体。")

_RENDER_LOCK = threading.Lock()  # WeasyPrint/Pango are not known to be thread-safe
_FONT_CONFIG: FontConfiguration | None = None


class RenderError(Exception):
    """A notice could not be rendered; the message is stored as the failure reason."""


class BlockedURL(ValueError):
    pass


def font_config() -> FontConfiguration:
    """The one FontConfiguration of this process (created lazily)."""
    global _FONT_CONFIG
    if _FONT_CONFIG is None:
        _FONT_CONFIG = FontConfiguration()
    return _FONT_CONFIG


# -- fetcher -----------------------------------------------------------------------------


def static_roots() -> list[Path]:
    roots = [Path(d) for d in getattr(settings, "STATICFILES_DIRS", [])]
    if getattr(settings, "STATIC_ROOT", None):
        roots.append(Path(settings.STATIC_ROOT))
    roots.append(Path(__file__).resolve().parent / "static")
    return [r.resolve() for r in roots]


class SafeURLFetcher(URLFetcher):
    """Only `data:` and files inside our static directories; no network, no redirects."""

    def __init__(self, *, roots: list[Path] | None = None) -> None:
        super().__init__(
            timeout=1, allowed_protocols=("data", "file"), allow_redirects=False,
            fail_on_errors=False,
        )
        self.roots = roots if roots is not None else static_roots()
        self.refused: list[str] = []

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
        scheme = url.split(":", 1)[0].lower() if ":" in url else ""
        if scheme == "data":
            return self._data(url)
        if scheme == "file":
            path = self._static_path(url)
            if path is not None:
                mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                return URLFetcherResponse(
                    path.as_uri(), body=path.read_bytes(), headers={"Content-Type": mime}
                )
        self.refused.append(url)
        raise BlockedURL(ERR_URL_BLOCKED.format(url=url[:200]))

    def _static_path(self, url: str) -> Path | None:
        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost"):
            return None
        path = Path(url2pathname(parts.path)).resolve()  # resolves ../ and symlinks
        for root in self.roots:
            if path.is_relative_to(root) and path.is_file():
                return path
        return None

    @staticmethod
    def _data(url: str) -> URLFetcherResponse:
        header, sep, payload = url[5:].partition(",")
        if not sep:
            raise BlockedURL(ERR_URL_BLOCKED.format(url=url[:60]))
        if header.lower().endswith(";base64"):
            body = base64.b64decode(unquote_to_bytes(payload))
            header = header[:-7]
        else:
            body = unquote_to_bytes(payload)
        mime = header.split(";", 1)[0] or "text/plain"
        return URLFetcherResponse(url[:60], body=body, headers={"Content-Type": mime})


# -- fonts -------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def installed_families() -> frozenset[str] | None:
    """Font family names fontconfig knows (None when fc-list is unavailable: no check)."""
    fc_list = shutil.which("fc-list")
    if not fc_list:
        return None
    out = subprocess.run(
        [fc_list, ":", "family"], capture_output=True, text=True, timeout=30, check=False
    ).stdout
    return frozenset(name.strip() for line in out.splitlines() for name in line.split(","))


def font_roles() -> dict[str, dict[str, Any]]:
    return settings.NOTICE_FONTS


def check_fonts() -> None:
    installed = installed_families()
    if installed is None:
        return
    for role, spec in font_roles().items():
        if not any(f in installed for f in spec["families"]):
            raise RenderError(
                str(ERR_FONT_MISSING).format(role=role, families="、".join(spec["families"]))
            )


def _css_name(family: str) -> str:
    """A family name safe inside a quoted CSS string (configuration, but never trusted blindly)."""
    return "".join(c for c in family if c not in '"\\;{}<>\n\r')


def font_css() -> dict[str, Any]:
    """CSS `font-family` values per role, e.g. {"fangsong": '"FangSong", …, serif'}."""
    css = {}
    for role, spec in font_roles().items():
        names = ", ".join('"' + _css_name(f) + '"' for f in spec["families"])
        generic = "sans-serif" if role == "heiti" else "serif"
        # Settings, not user text, and sanitised by _css_name: safe to mark safe.
        css[role] = mark_safe(f"{names}, {generic}")  # noqa: S308
        css[f"{role}_weight"] = str(int(spec.get("weight", 400)))
    return css


# -- dates, QR ----------------------------------------------------------------------------


def cn_date(value: Any) -> str:
    """`2026年11月26日` (no leading zeros); accepts date, datetime or an ISO string."""
    if value in (None, ""):
        return ""
    if isinstance(value, str):
        try:
            value = datetime.date.fromisoformat(value[:10])
        except ValueError:
            return value
    if isinstance(value, datetime.datetime):
        value = value.date()
    return f"{value.year}年{value.month}月{value.day}日"


def verify_url(number: str) -> str:
    from urllib.parse import urlencode

    base = settings.PUBLIC_BASE_URL.rstrip("/")
    return f"{base}/public/verify/?{urlencode({'number': number})}"


def qr_data_uri(url: str) -> str:
    return segno.make(url, error="m").svg_data_uri(scale=4, border=0, dark="#000")


# -- HTML and PDF ---------------------------------------------------------------------------


@translation.override("zh-hans")
def notice_title(*, kind: str, context: dict[str, Any]) -> str:
    text = render_to_string(get_kind(kind).subject_template, {"ctx": context})
    return " ".join(text.split())


def title_terms(ctx: dict[str, Any]) -> list[str]:
    """Names frozen into the notice that a title break must keep whole."""
    successor = ctx.get("successor_account") or {}
    issuer = ctx.get("issuer") or {}
    names = [ctx.get("account_name"), ctx.get("unit_name"), issuer.get("name"),
             successor.get("name") if isinstance(successor, dict) else None]
    return [str(n) for n in names if n]


@translation.override("zh-hans")  # documents are Chinese in any UI language
def notice_html(notice: Any) -> str:
    spec = get_kind(notice.kind)
    ctx = notice.context or {}
    url = verify_url(notice.number)
    return render_to_string(
        spec.body_template,
        {
            "notice": notice,
            "kind": spec,
            "ctx": ctx,
            "number": notice.number,
            "title": notice.title,
            "title_lines": break_title(notice.title, extra_terms=title_terms(ctx)),
            "issuer": ctx.get("issuer") or {},
            "issued_on_cn": cn_date(notice.issued_on),
            "verify_url": url,
            "verify_base": settings.PUBLIC_BASE_URL.rstrip("/") + "/public/verify/",
            "qr": qr_data_uri(url),
            "fonts": font_css(),
            "revokes": notice.revokes,
        },
    )


@dataclass
class RenderedPDF:
    data: bytes
    pages: int
    # Where the element of class `seal-anchor` (the issuing body's name and date) was laid
    # out: (page index, x0, y0, x1, y1) in PDF points, origin bottom left.
    anchor: tuple[int, float, float, float, float] | None = None

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def sm3(self) -> str:
        return sm3_hex(self.data)


def sm3_hex(data: bytes) -> str:
    """SM3 (GB/T 32905-2016) digest in hex, for domestic integrity checks.

    OpenSSL's SM3 (through `cryptography`) when the build has it: gmssl's pure-Python SM3
    takes about 1 s per 100 KB. gmssl is the reference (tests compare both) and the
    fallback."""
    try:
        from cryptography.hazmat.primitives import hashes

        digest = hashes.Hash(hashes.SM3())
    except Exception:  # an OpenSSL without SM3
        from gmssl import func, sm3

        return sm3.sm3_hash(func.bytes_to_list(data))
    digest.update(data)
    return digest.finalize().hex()


def html_to_pdf(html: str, *, title: str = "", author: str = "") -> RenderedPDF:
    """Render with the safe fetcher and the process-wide FontConfiguration."""
    fetcher = SafeURLFetcher()
    with _RENDER_LOCK:
        document = HTML(string=html, base_url=None, url_fetcher=fetcher).render(
            font_config=font_config()
        )
        # No embedded files, whatever the HTML says (rel=attachment, <a rel=attachment>).
        document.metadata.attachments = []
        for page in document.pages:
            page.links = [link for link in page.links if link[0] != "attachment"]
        if title:
            document.metadata.title = title
        if author:
            document.metadata.authors = [author]
        data = document.write_pdf()
        anchor = find_anchor(document, "seal-anchor")
    return RenderedPDF(data=data, pages=len(document.pages), anchor=anchor)


PX_TO_PT = 0.75  # CSS px (1/96 in) → PDF points (1/72 in)


def find_anchor(document: Any, css_class: str) -> tuple[int, float, float, float, float] | None:
    """The last box of an element with `css_class`, in PDF points (origin bottom left)."""
    found = None
    for index, page in enumerate(document.pages):
        page_box = page._page_box
        height = page_box.margin_height()
        stack = [page_box]
        while stack:
            box = stack.pop()
            element = getattr(box, "element", None)
            classes = (element.get("class") or "").split() if element is not None else []
            if css_class in classes and getattr(box, "element_tag", "") == "div":
                x0, top = box.border_box_x(), box.border_box_y()
                x1, bottom = x0 + box.border_width(), top + box.border_height()
                found = (index, x0 * PX_TO_PT, (height - bottom) * PX_TO_PT,
                         x1 * PX_TO_PT, (height - top) * PX_TO_PT)
            stack.extend(getattr(box, "children", ()))
    return found


@translation.override("zh-hans")
def sheet_html(notice: Any) -> str:
    """The 公文处理单 (internal sign-off record) of a notice."""
    spec = get_kind(notice.kind)
    ctx = notice.context or {}
    drafter = getattr(notice, "created_by", None)
    return render_to_string(
        "notices/processing_sheet.html",
        {
            "notice": notice, "kind": spec, "ctx": ctx, "number": notice.number,
            "title": notice.title, "issuer": ctx.get("issuer") or {},
            "issued_on_cn": cn_date(notice.issued_on), "fonts": font_css(),
            "drafter": (drafter.get_full_name() or drafter.get_username()) if drafter else "",
        },
    )


def render_sheet_pdf(notice: Any) -> RenderedPDF:
    return html_to_pdf(sheet_html(notice), title=f"公文处理单 {notice.number}")


def render_notice_pdf(notice: Any) -> RenderedPDF:
    check_fonts()
    html = notice_html(notice)
    issuer = (notice.context or {}).get("issuer") or {}
    return html_to_pdf(html, title=f"{notice.number} {notice.title}", author=issuer.get("name", ""))


def page_one_png(pdf: bytes, *, dpi: int = 24) -> bytes:
    """Page 1 of a PDF as PNG (poppler's pdftoppm), for previews in the archive list."""
    import tempfile

    pdftoppm = shutil.which("pdftoppm")
    if not pdftoppm:
        raise RenderError("pdftoppm is not installed")
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "in.pdf"
        source.write_bytes(pdf)
        subprocess.run([pdftoppm, "-png", "-r", str(dpi), "-f", "1", "-l", "1", "-singlefile",
                        str(source), str(Path(tmp) / "out")], check=True, timeout=60,
                       capture_output=True)
        return (Path(tmp) / "out.png").read_bytes()
