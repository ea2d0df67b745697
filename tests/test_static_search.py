"""The static site's own search index (`search.static`): what its files hold, that an update
rewrites only what changed, and, in a real browser, that its script answers the query kinds
the SQLite index answers (pairs, Traditional spellings, phrases, Latin prefixes, one
character) with paging across ranges."""

from __future__ import annotations

import functools
import json
import threading
import time
from array import array
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote

import pytest

from conftest import write_config
from newsmirror.cli import main
from newsmirror.search import static
from newsmirror.search.text import tokens
from test_reader import ARTIFACTS, browser  # noqa: F401 - the browser fixture

DAY_MS = 86_400_000
START_MS = 1_625_486_400_000  # 2021-07-05 12:00 UTC


def _article(root: Path, n: int, title: str, text: str) -> str:
    ms = START_MS + n * DAY_MS
    path = f"articles/a/{n:04d}/120000-{n:012x}.md"
    (root / path).parent.mkdir(parents=True, exist_ok=True)
    (root / path).write_text(
        f"<!--{ms}-->\n[{title}](https://example.org/{n})\n------\n\n<p>{text}</p>\n"
    )
    return path


TEXTS = [
    ("美国总统发表讲话", "美国总统今天讲话。"),
    ("臺灣選舉結果", "台灣地區選舉結果公布。"),
    ("世卫组织报告", "WHO 发布 report，呼吁各国合作。"),
    ("香港股市", "香港股市上涨，投资者担忧通胀。"),
    ("担忧投资者", "投资者说，者担心，担忧。"),  # every pair of 投资者担忧, not in a row
    ("美国经济", "美国经济增长放缓。"),
    ("Reuters 快讯", "Reuters reports 美国 news。"),
]


@pytest.fixture
def mirror(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.setattr(static, "RANGE", 3)  # three ranges of three and one of one
    root = tmp_path / "m"
    write_config(root, [{"name": "甲", "slug": "a", "url": "https://example.org/a.xml"}])
    for n, (title, text) in enumerate(TEXTS):
        _article(root, n, title, text)
    assert main(["-C", str(root), "reindex"]) == 0
    return root


def _index(site: Path) -> tuple[dict, dict[str, set[int]]]:
    about = json.loads((site / "search" / "index.json").read_text("utf-8"))
    postings: dict[str, set[int]] = {}
    for shard in (site / "search" / "r").glob("*/*.bin"):
        first = int(shard.parent.name) * about["range"]
        for token, numbers in static.decode_shard(shard.read_bytes()).items():
            assert static.shard_of(token, about["shards"]) == int(shard.stem)
            postings.setdefault(token, set()).update(first + n for n in numbers)
    return about, postings


def test_a_shard_reads_back_as_written():
    lists = {"美国": array("H", [0, 5, 9]), "who": array("H", [2]), "a": array("H")}
    assert static.decode_shard(static.encode_shard(lists)) == {
        "a": [],
        "who": [2],
        "美国": [0, 5, 9],
    }
    assert static.shard_count(0) == 1 and static.shard_count(10**6) == 64


def test_keys_keep_a_characters_pairs_and_a_words_prefixes_together():
    assert static.key("美国") == static.key("美元") == "美"
    assert static.key("report") == static.key("reuters") == "re"
    assert static.key("a") == "a"


def test_the_index_holds_every_articles_tokens_oldest_first(mirror, tmp_path):
    site = tmp_path / "site"
    assert main(["-C", str(mirror), "site", str(site)]) == 0
    about, postings = _index(site)
    assert about == {"version": 1, "docs": 7, "range": 3, "shards": 1}
    expected: dict[str, set[int]] = {}
    for n, (title, text) in enumerate(TEXTS):
        shown = json.loads((site / "search" / "d" / "0" / f"{n}.json").read_text("utf-8"))
        assert (shown["t"], shown["x"], shown["s"]) == (title, text, "甲")
        assert shown["u"] == f"articles/a/{n:04d}/120000-{n:012x}.html"
        assert (site / shown["u"]).is_file()
        for token in tokens(title + "\n" + text):
            expected.setdefault(token, set()).add(n)
    assert postings == expected
    assert postings["台湾"] == {1}  # folded to Simplified
    fold = json.loads((site / "search" / "fold.json").read_text("utf-8"))
    assert fold["臺"] == "台" and fold["選"] == "选" and "美" not in fold


def test_an_update_rewrites_only_the_index_files_that_changed(mirror, tmp_path):
    site = tmp_path / "site"
    assert main(["-C", str(mirror), "site", str(site)]) == 0
    files = {p: p.stat().st_mtime_ns for p in (site / "search").rglob("*") if p.is_file()}
    assert main(["-C", str(mirror), "site", str(site)]) == 0
    assert {p: p.stat().st_mtime_ns for p in (site / "search").rglob("*") if p.is_file()} == files
    _article(mirror, 7, "新的文章", "美国新闻。")  # the newest: it joins the last range
    assert main(["-C", str(mirror), "reindex"]) == 0
    assert main(["-C", str(mirror), "site", str(site)]) == 0
    changed = {
        p.relative_to(site / "search").as_posix()
        for p in (site / "search").rglob("*")
        if p.is_file() and files.get(p) != p.stat().st_mtime_ns
    }
    assert changed == {"index.json", "r/2/0.bin", "d/0/7.json"}
    (mirror / "articles/a/0007/120000-000000000007.md").unlink()
    assert main(["-C", str(mirror), "reindex"]) == 0
    assert main(["-C", str(mirror), "site", str(site)]) == 0
    assert not (site / "search" / "d" / "0" / "7.json").exists()  # (an index of 7 again)
    about, postings = _index(site)
    assert about["docs"] == 7 and max(max(numbers) for numbers in postings.values()) == 6


# --- in a real browser -------------------------------------------------------------------


def _until(page, ready, timeout_s: float = 15.0) -> None:
    """Poll from here: the page's policy allows no script that Playwright would evaluate."""
    deadline = time.monotonic() + timeout_s
    while not ready():
        assert time.monotonic() < deadline, "the page did not get there in time"
        page.wait_for_timeout(50)


def _results(page, base: str, query: str) -> tuple[str, list[str]]:
    page.goto(base + "search.html?q=" + quote(query))
    status = page.locator("#search-status")
    _until(page, lambda: status.inner_text() not in ("", "正在搜索…"))
    titles = page.eval_on_selector_all("#search-results li a", "as => as.map(a => a.innerText)")
    return page.inner_text("#search-status"), titles


def test_a_browser_answers_every_kind_of_query_from_the_static_index(
    mirror,
    tmp_path,
    browser,  # noqa: F811
    monkeypatch,
):
    site = tmp_path / "site"
    assert main(["-C", str(mirror), "site", str(site)]) == 0
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(site))
    monkeypatch.setattr(SimpleHTTPRequestHandler, "log_message", lambda *args: None)
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    errors: list[str] = []
    try:
        page = browser.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        # newest first, across ranges (articles 6, 5 and 0 are in three of them)
        assert _results(page, base, "美国") == (
            "找到 3 条结果",
            ["Reuters 快讯", "美国经济", "美国总统发表讲话"],
        )
        assert _results(page, base, "選舉")[1] == ["臺灣選舉結果"]  # Traditional
        assert _results(page, base, "台湾")[1] == ["臺灣選舉結果"]  # Simplified finds it
        # a phrase: its pairs in order, not merely all there
        assert _results(page, base, "投资者担忧")[1] == ["香港股市"]
        assert _results(page, base, '"投资者担忧"')[1] == ["香港股市"]
        # Latin words: a bare word is a prefix, a quoted one is whole
        assert _results(page, base, "repo")[1] == ["Reuters 快讯", "世卫组织报告"]
        assert _results(page, base, '"report"')[1] == ["世卫组织报告"]
        assert _results(page, base, "WHO 报告")[1] == ["世卫组织报告"]
        assert _results(page, base, "who")[1] == ["世卫组织报告"]
        # one character: the pairs it starts
        assert _results(page, base, "股")[1] == ["香港股市"]
        assert _results(page, base, "没有的词") == ("没有找到结果", [])
        page.screenshot(path=str(ARTIFACTS.mkdir(exist_ok=True) or ARTIFACTS / "site-query.png"))
    finally:
        server.shutdown()
        server.server_close()
    assert errors == []


def test_a_browser_pages_through_many_results(tmp_path, browser, monkeypatch):  # noqa: F811
    monkeypatch.setattr(static, "RANGE", 16)
    root = tmp_path / "m"
    write_config(root, [{"name": "甲", "slug": "a", "url": "https://example.org/a.xml"}])
    for n in range(45):
        _article(root, n, f"第{n}篇 新闻", f"香港消息 {n}。")
    assert main(["-C", str(root), "reindex"]) == 0
    site = tmp_path / "site"
    assert main(["-C", str(root), "site", str(site)]) == 0
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(site))
    monkeypatch.setattr(SimpleHTTPRequestHandler, "log_message", lambda *args: None)
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    try:
        page = browser.new_page()
        status, titles = _results(page, base, "香港")
        assert status == "找到 20+ 条结果"
        assert titles == [f"第{n}篇 新闻" for n in range(44, 24, -1)]
        for shown in (40, 45):
            page.click("#search-more")
            _until(page, lambda n=shown: page.locator("#search-results li").count() == n)
        assert page.inner_text("#search-status") == "找到 45 条结果"
        assert page.is_hidden("#search-more")
    finally:
        server.shutdown()
        server.server_close()
