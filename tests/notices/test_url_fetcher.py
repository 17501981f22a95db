from __future__ import annotations

from pathlib import Path

import pytest

from notices.rendering import BlockedURL, SafeURLFetcher


@pytest.fixture
def static_root(tmp_path):
    root = tmp_path / "static"
    (root / "img").mkdir(parents=True)
    (root / "img" / "seal.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    (tmp_path / "secret.txt").write_text("secret")
    (root / "link.txt").symlink_to(tmp_path / "secret.txt")
    return root


def test_it_serves_data_uris():
    response = SafeURLFetcher(roots=[]).fetch("data:text/plain;base64,5q2j5paH")
    assert response.read().decode() == "正文"
    assert response.content_type == "text/plain"


def test_it_serves_files_inside_static(static_root):
    fetcher = SafeURLFetcher(roots=[static_root.resolve()])
    response = fetcher.fetch((static_root / "img" / "seal.svg").as_uri())
    assert b"<svg" in response.read()
    assert response.content_type == "image/svg+xml"


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "http://127.0.0.1:9/",
        "https://example.org/x.png",
        "ftp://example.org/x",
        "javascript:alert(1)",
        "file://evil.example/etc/passwd",
    ],
)
def test_it_refuses_everything_else(url, static_root):
    fetcher = SafeURLFetcher(roots=[static_root.resolve()])
    with pytest.raises(BlockedURL):
        fetcher.fetch(url)
    assert fetcher.refused == [url]


def test_it_refuses_traversal_and_symlinks_out_of_static(static_root):
    fetcher = SafeURLFetcher(roots=[static_root.resolve()])
    with pytest.raises(BlockedURL):
        fetcher.fetch(static_root.as_uri() + "/../secret.txt")
    with pytest.raises(BlockedURL):
        fetcher.fetch((static_root / "link.txt").as_uri())
    assert Path(static_root / "link.txt").read_text() == "secret"  # the link itself works
