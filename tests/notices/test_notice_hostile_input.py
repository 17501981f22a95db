"""Hostile text in any field reaches the PDF as visible text, never as markup or resource."""

from __future__ import annotations

import io
import socket
import threading

import pytest
from pypdf import PdfReader

from lifecycle.models import Account, AccountState, Platform
from notices.models import NoticeStatus
from notices.rendering import html_to_pdf
from tests.notices.conftest import flat, pdf_text


class Listener:
    """A local TCP listener that records every connection the renderer might make."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.hits: list[bytes] = []
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self._stop.is_set():
            try:
                conn, _addr = self.sock.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(1)
                try:
                    self.hits.append(conn.recv(4096))
                    conn.sendall(b"HTTP/1.0 302 Found\r\nLocation: file:///etc/passwd\r\n\r\n")
                except OSError:
                    self.hits.append(b"")

    def close(self):
        self._stop.set()
        self.thread.join(timeout=2)
        self.sock.close()


@pytest.fixture
def listener():
    server = Listener()
    yield server
    server.close()


def hostile(port: int) -> dict[str, str]:
    return {
        "script": "<script>alert(1)</script>",
        "img": f'<img src="http://127.0.0.1:{port}/pixel.png">',
        "link": '<link rel="attachment" href="file:///etc/passwd">',
        "css": "<style>body{background:url(file:///etc/passwd)}</style>",
        "anchor": f'<a rel="attachment" href="http://127.0.0.1:{port}/a">x</a>',
    }


def embedded_files(data: bytes) -> list:
    reader = PdfReader(io.BytesIO(data))
    names = reader.trailer["/Root"].get("/Names")
    found = []
    if names is not None and "/EmbeddedFiles" in names.get_object():
        found.append("EmbeddedFiles")
    for page in reader.pages:
        for annot in page.get("/Annots") or []:
            if annot.get_object().get("/Subtype") == "/FileAttachment":
                found.append("FileAttachment")
    return found


@pytest.mark.django_db
def test_it_renders_hostile_text_visibly_without_fetching(
    world, issue, listener, django_capture_on_commit_callbacks
):
    h = hostile(listener.port)
    account = Account.objects.create(
        name=h["img"] + h["script"], platform=Platform.WEIBO, platform_id=h["link"],
        unit=world.u.njzj, supervisor_unit=world.u.nj, state=AccountState.ACTIVE,
    )
    with django_capture_on_commit_callbacks(execute=True):
        notice = issue(
            "closure_announcement", unit=world.u.njzj, account=account,
            context={
                "reason": h["css"] + h["anchor"],
                "stop_on": "2026-12-01",
                "successor_account": {"name": h["script"], "platform_label": "微博",
                                      "platform_id": h["img"]},
                "channels": [{"kind": "website", "value": h["link"]}],
            },
        )
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.RENDERED
    text = flat(pdf_text(notice))
    assert "<script>alert(1)</script>" in text
    assert flat(f'<img src="http://127.0.0.1:{listener.port}/pixel.png">') in text
    assert flat('<link rel="attachment" href="file:///etc/passwd">') in text
    assert "url(file:///etc/passwd)" in text
    with notice.pdf.open("rb") as fh:
        data = fh.read()
    assert embedded_files(data) == []
    assert b"root:x:0:0" not in data
    assert listener.hits == []


@pytest.mark.django_db
def test_it_blocks_resources_even_in_raw_html(listener):
    """Defence in depth: if markup ever got through, the fetcher still refuses it."""
    h = hostile(listener.port)
    html = (
        "<html><head>" + h["link"] + h["css"] + "</head><body><p>正文</p>" + h["img"]
        + h["anchor"] + f'<img src="file:///etc/passwd"><iframe src="http://127.0.0.1:{listener.port}/"></iframe>'
        + "</body></html>"
    )
    rendered = html_to_pdf(html)
    assert embedded_files(rendered.data) == []
    assert b"root:x:0:0" not in rendered.data
    assert listener.hits == []
