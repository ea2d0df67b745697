"""The local web reader and the static site, over HTTP on loopback; and in a real browser
(headless Chromium, driven by Playwright), where one can be started."""

from __future__ import annotations

import functools
import os
import shutil
import threading
import urllib.request
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.error import HTTPError
from urllib.parse import quote

import pytest

from conftest import write_config
from newsmirror.cli import main
from newsmirror.config import load
from newsmirror.mirror import Mirror
from newsmirror.reader.server import ReaderServer

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
PNG = bytes.fromhex(  # a 2x2 red PNG
    "89504e470d0a1a0a0000000d4948445200000002000000020802000000fdd49a73000000164944415478"
    "9c63f8cfc0f09f8181818181e13f0303000fbd01ff4a5ff9a70000000049454e44ae426082"
)
# A body that slipped past the sanitizer (written by hand): its script must not run.
HOSTILE = (
    '<p>美国总统讲话，香港关注。</p><img id="pic" src="../../../../../assets/ab/red.png">'
    "<script>window.ranScript = 1</script>"
    '<img src="nothing.png" onerror="window.ranScript = 2">'
)


def _article(root: Path, path: str, ms: int, title: str, body: str) -> None:
    target = root / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(f"<!--{ms}-->\n[{title}](https://example.org/{ms})\n------\n\n{body}\n")


@pytest.fixture
def mirror(tmp_path: Path) -> Path:
    root = tmp_path / "m"
    write_config(root, [{"name": "甲", "slug": "a", "url": "https://example.org/a.xml"}])
    (root / "assets" / "ab").mkdir(parents=True)
    (root / "assets" / "ab" / "red.png").write_bytes(PNG)
    _article(
        root,
        "articles/a/2021/07/05/120000-aaaaaaaaaaaa.md",
        1625486400000,
        "美国总统发表讲话",
        HOSTILE,
    )
    _article(
        root,
        "articles/a/2021/07/06/120000-bbbbbbbbbbbb.md",
        1625572800000,
        "臺灣選舉結果",
        "<p>台灣地區選舉結果公布。</p>",
    )
    assert main(["-C", str(root), "reindex"]) == 0
    assert main(["-C", str(root), "build"]) == 0
    return root


@pytest.fixture
def reader(mirror: Path):
    m = Mirror.open(mirror)
    assert main(["-C", str(mirror), "search", "美国"]) == 0  # builds the search index
    server = ReaderServer(
        m.root, load(mirror / "newsmirror.toml"), m.index_path, m.search_path, ("127.0.0.1", 0)
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def _get(url: str) -> tuple[int, dict[str, str], str]:
    try:
        with urllib.request.urlopen(url) as answer:
            return answer.status, dict(answer.headers), answer.read().decode("utf-8", "replace")
    except HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read().decode("utf-8", "replace")


def test_the_reader_answers_its_pages_under_a_policy_without_script(reader):
    status, headers, html = _get(reader.url)
    assert status == 200 and "甲" in html
    assert "script-src" not in headers["Content-Security-Policy"]
    assert headers["Content-Security-Policy"].startswith("default-src 'none'")
    status, _, html = _get(reader.url + "lists/a/index.html")
    assert status == 200 and "2021-07" in html
    status, _, html = _get(reader.url + "lists/a/2021-07.html")
    assert "美国总统发表讲话" in html and "臺灣選舉結果" in html
    status, headers, html = _get(reader.url + "articles/a/2021/07/05/120000-aaaaaaaaaaaa.html")
    assert status == 200 and '<img id="pic" src="../../../../../assets/ab/red.png">' in html
    assert _get(reader.url + "assets/ab/red.png")[0] == 200
    assert _get(reader.url + "assets/../newsmirror.toml")[0] == 404
    assert _get(reader.url + "articles/a/none.html")[0] == 404


def test_the_reader_searches_in_either_script_with_snippets(reader):
    status, _, html = _get(reader.url + "search?q=" + quote("選舉"))
    assert status == 200 and "臺灣選舉結果" in html and "<mark>選舉</mark>" in html
    status, _, html = _get(reader.url + "search?q=" + quote("台湾"))  # Simplified finds 臺灣
    assert "臺灣選舉結果" in html
    status, _, html = _get(reader.url + "search?q=" + quote("没有的词"))
    assert "nothing found" in html


def test_the_static_site_has_every_page_with_relative_links(mirror, tmp_path):
    site = tmp_path / "site"
    assert main(["-C", str(mirror), "site", str(site)]) == 0
    for page in (
        "index.html",
        "changes.html",
        "search.html",
        "lists/a/index.html",
        "lists/a/2021-07.html",
        "articles/a/2021/07/05/120000-aaaaaaaaaaaa.html",
    ):
        assert (site / page).is_file(), page
    assert (site / "assets" / "ab" / "red.png").read_bytes() == PNG
    article = (site / "articles/a/2021/07/05/120000-aaaaaaaaaaaa.html").read_text("utf-8")
    assert 'http-equiv="Content-Security-Policy"' in article and "script-src" not in article
    assert 'href="../../../../../index.html"' in article  # relative, not /index.html
    stamps = {p: p.stat().st_mtime_ns for p in site.rglob("*.html")}
    assert main(["-C", str(mirror), "site", str(site)]) == 0
    assert {p: p.stat().st_mtime_ns for p in site.rglob("*.html")} == stamps  # incremental
    assert (site / "search.js").is_file() and (site / "search" / "index.json").is_file()


def test_the_site_is_never_written_over_the_archive(mirror):
    assert main(["-C", str(mirror), "site", str(mirror / "articles")]) == 1


# --- in a real browser -------------------------------------------------------------------


def _browser():
    playwright = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")
    path = os.environ.get("NEWSMIRROR_CHROMIUM") or shutil.which("chromium")
    path = path or shutil.which("chromium-browser")
    if not path:
        pytest.skip("no Chromium to drive (apt-get install chromium)")
    return playwright, path


@pytest.fixture
def browser():
    playwright, path = _browser()
    with playwright.sync_playwright() as p:
        try:
            launched = p.chromium.launch(executable_path=path, args=["--no-sandbox"])
        except Exception as exc:
            pytest.skip(f"Chromium at {path} does not start: {exc}")
        yield launched
        launched.close()


def _visit_article(page, name: str) -> None:
    """On an article page: its picture loaded, no script from its body ran, a screenshot."""
    page.wait_for_selector("#pic")
    assert page.evaluate("document.getElementById('pic').naturalWidth") == 2
    assert page.evaluate("window.ranScript === undefined")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_a_browser_searches_the_reader_and_opens_an_article(reader, browser):
    page = browser.new_page()
    page.goto(reader.url)
    page.fill("input[name=q]", "美国")
    page.press("input[name=q]", "Enter")
    page.wait_for_selector("ol li a")
    assert "美国总统发表讲话" in page.inner_text("ol")
    page.screenshot(path=str(ARTIFACTS.mkdir(exist_ok=True) or ARTIFACTS / "reader-search.png"))
    page.goto(reader.url + "search?q=" + quote("臺灣"))  # a Traditional spelling
    page.click("text=臺灣選舉結果")
    page.wait_for_selector("h1")
    page.goto(reader.url + "search?q=" + quote("美国"))
    page.click("text=美国总统发表讲话")
    _visit_article(page, "reader-article")


def test_a_browser_searches_the_static_site_and_opens_an_article(mirror, tmp_path, browser):
    site = tmp_path / "site"
    assert main(["-C", str(mirror), "site", str(site)]) == 0
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(site))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    errors: list[str] = []
    try:
        page = browser.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(base + "search.html?q=" + quote("美国"))
        page.wait_for_selector("#search-results li a", timeout=15_000)
        assert "美国总统发表讲话" in page.inner_text("#search-results")
        assert page.inner_text("#search-status") == "找到 1 条结果"
        assert page.inner_text("#search-results mark") == "美国"
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "site-search.png"))
        page.goto(base + "search.html?q=" + quote("台湾"))  # Simplified finds 臺灣
        page.wait_for_selector("#search-results li a", timeout=15_000)
        assert "臺灣選舉結果" in page.inner_text("#search-results")
        page.goto(base + "search.html?q=" + quote("選舉"))  # Traditional, folded in the page
        page.wait_for_selector("#search-results li a", timeout=15_000)
        assert "臺灣選舉結果" in page.inner_text("#search-results")
        page.goto(base + "search.html?q=" + quote("没有的词"))
        page.wait_for_selector("#search-status:text('没有找到结果')", timeout=15_000)
        page.goto(base + "search.html?q=" + quote("美国"))
        page.click("#search-results li a")
        _visit_article(page, "site-article")
    finally:
        server.shutdown()
        server.server_close()
    assert errors == []
