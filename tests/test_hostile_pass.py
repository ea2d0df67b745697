"""Whole passes over hostile and slow sources: nothing dangerous reaches any file newsmirror
writes, nothing is written outside the mirror, and a slow source holds up no one else."""

from __future__ import annotations

import re
import time
from pathlib import Path

from conftest import rss, write_config
from faultserver import FaultServer
from newsmirror.cli import main
from newsmirror.store.article import parse
from test_sanitize import dangers

MARKDOWN_SCRIPT_LINK = re.compile(r"(?<!\\)\]\(\s*<?\s*(?:javascript|vbscript|data):", re.I)

HOSTILE_ITEMS = [
    # a script in the body, an event handler, a javascript: link, a data: page
    "<item><title>&lt;script&gt;alert(1)&lt;/script&gt; 标题</title>"
    "<link>https://example.org/a/1</link><guid>g1</guid>"
    "<pubDate>Mon, 05 Jul 2021 22:59:02 GMT</pubDate>"
    "<description><![CDATA[<p onclick='x()'>正文<script>steal()</script>"
    "<a href='jav&#x61;script:alert(1)'>x</a><iframe src='https://evil.example/'></iframe>"
    "<img src='data:text/html;base64,PHNjcmlwdD4='><img src='/img/a.png'></p>]]>"
    "</description></item>",
    # the link itself is script, the title tries to leave the folder and the line
    "<item><title>../../../etc/passwd\nCON [x](javascript:alert(1))</title>"
    "<link>javascript:alert(document.cookie)</link><guid>../../g2</guid>"
    "<pubDate>Mon, 05 Jul 2021 22:58:02 GMT</pubDate>"
    "<description>&lt;svg onload=alert(1)&gt;&lt;/svg&gt;&lt;b&gt;ok&lt;/b&gt;</description>"
    "</item>",
    # a date far in the future, a vbscript: link in the body, a 300-character title
    "<item><title>" + "长" * 300 + "</title><link>https://example.org/a/3</link><guid>g3</guid>"
    "<pubDate>Mon, 05 Jul 2100 22:58:02 GMT</pubDate>"
    "<description><![CDATA[<a href=' VBScript:msgbox(1)'>v</a><form action='https://x/'>"
    "<input name=q></form><style>body{}</style>好]]></description></item>",
]


def test_a_hostile_feed_leaves_no_active_content_in_any_file(tmp_path: Path, feed_server):
    root = tmp_path / "m"
    url = feed_server.serve("/feeds/evil.xml", rss(*HOSTILE_ITEMS))
    write_config(root, [{"name": "Evil", "slug": "evil", "url": url}])
    before = time.time()
    assert main(["-C", str(root), "run", "--no-commit"]) == 0
    written = [p for p in tmp_path.rglob("*") if p.is_file() and ".newsmirror" not in p.parts]
    assert all(root in p.parents for p in written if p.name != "newsmirror.toml")
    articles = sorted((root / "articles").rglob("*.md"))
    assert len(articles) == 3
    for path in articles:
        assert path.relative_to(root).parts[:2] == ("articles", "evil")
        assert len(path.name) < 40 and path.name.isascii()
    pages = [*articles, *(root / "lists").glob("*.md"), root / "README.md", root / "status.md"]
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert not list(dangers(text)), (page, list(dangers(text)))
        assert "<script" not in text.lower()
        # a title may speak of javascript: as text, but never as a Markdown link destination
        assert not MARKDOWN_SCRIPT_LINK.search(text), page
    by_title = {parse(p.read_text(encoding="utf-8")).title[:10]: p for p in articles}
    first = parse(by_title["&lt;script&gt"[:10]].read_text(encoding="utf-8"))
    assert first.title.startswith("&lt;script>alert(1)&lt;/script> 标题")
    assert "正文" in first.body and 'src="https://127.0.0.1' not in first.body
    assert f'src="{url.rsplit("/", 2)[0]}/img/a.png"' in first.body  # resolved, still shown
    second = parse(next(p for t, p in by_title.items() if t.startswith("../")).read_text())
    assert second.url == ""  # archived without its javascript: link
    assert "\n" not in second.title and "\\[x\\]" in second.title
    assert "<b>ok</b>" in second.body
    third = parse(by_title["长" * 10].read_text(encoding="utf-8"))
    assert before * 1000 <= third.published_ms <= time.time() * 1000  # clamped: first seen
    assert third.body.endswith("好</div>") and "<form" not in third.body


def test_a_slow_source_holds_up_no_other(tmp_path: Path):
    root = tmp_path / "m"
    with FaultServer() as server:
        sites = [
            {"name": f"Fast {n}", "slug": f"fast{n}", "url": server.url("/feed.xml", n=n)}
            for n in range(4)
        ]
        sites.append({"name": "Slow", "slug": "slow", "url": server.url("/feed.xml", delay=20)})
        write_config(root, sites, timeout=1.5)
        started = time.monotonic()
        assert main(["-C", str(root), "run", "--no-commit"]) == 0
        took = time.monotonic() - started
    assert took < 10  # the slow source cost its timeout, not its 20 s
    for n in range(4):
        assert len(list((root / "articles" / f"fast{n}").rglob("*.md"))) == 3
    assert not (root / "articles" / "slow").exists()
    assert "**failing**" in (root / "status.md").read_text(encoding="utf-8")


def test_relative_links_resolve_against_where_the_feed_was_found(tmp_path: Path, feed_server):
    root = tmp_path / "m"
    feed_server.serve(
        "/b/feed.xml",
        rss(
            "<item><title>t</title><link>story/1.html</link><guid>g</guid>"
            "<description><![CDATA[<img src='pic.png'>]]></description></item>"
        ),
    )
    url = feed_server.serve("/a/feed.xml", "", status=302, Location="/b/feed.xml")
    write_config(root, [{"name": "A", "slug": "a", "url": url}])
    assert main(["-C", str(root), "run", "--no-commit"]) == 0
    (path,) = (root / "articles").rglob("*.md")
    article = parse(path.read_text(encoding="utf-8"))
    assert article.url == feed_server.url("/b/story/1.html")
    # quotes kept; a body that does not start a block is wrapped so GitHub reads it as HTML
    assert article.body == f"<div><img src='{feed_server.url('/b/pic.png')}'></div>"
