"""Whole stories: full text from article pages (trafilatura or a CSS selector), pictures stored
in the mirror (once each, linked relatively, re-encoded when too large), retried when they
fail, and hostile pages and pictures kept harmless. Loopback servers serve what each test
writes."""

from __future__ import annotations

import io
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image

from conftest import rss, rss_item, write_config
from newsmirror.cli import main
from newsmirror.config import DEFAULT_SITES
from newsmirror.store import article as article_format

LONG_STORY = "".join(
    f"<p>第{n}段：香港立法会今天就新的法案进行了长时间辩论，议员们在会上提出了许多不同的意见和修正案。</p>"
    for n in range(1, 9)
)


def _page(story: str, title: str = "新闻") -> str:
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title></head><body>"
        "<nav><a href='/'>首页</a> <a href='/world'>国际</a> <a href='/hk'>港澳</a></nav>"
        f"<article><h1>{title}</h1>{story}</article>"
        "<footer>版权所有 © 2021 示例新闻网 · 联系我们 · 隐私政策</footer></body></html>"
    )


def _jpeg(width: int, height: int, noise: bool = False) -> bytes:
    if noise:
        image = Image.effect_noise((width, height), 80).convert("RGB")
    else:
        image = Image.new("RGB", (width, height), (200, 30, 30))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=95)
    return out.getvalue()


def _png(width: int = 4, height: int = 3) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (0, 90, 200)).save(out, "PNG")
    return out.getvalue()


def _articles(root: Path, slug: str = "a") -> list[tuple[Path, article_format.Article]]:
    found = sorted((root / "articles" / slug).rglob("*.md"))
    return [(p, article_format.parse(p.read_text("utf-8"))) for p in found]


def _enrichment(root: Path) -> list[tuple]:
    with sqlite3.connect(root / ".newsmirror" / "index.sqlite") as db:
        return db.execute(
            "SELECT path, page, images, attempts, body_from, error FROM enrichment ORDER BY path"
        ).fetchall()


def _make_due(root: Path) -> None:
    """Bring every retry's time forward (as if hours had passed)."""
    with sqlite3.connect(root / ".newsmirror" / "index.sqlite") as db:
        db.execute("UPDATE enrichment SET next_ms = 0")


def _linked_assets(body: str) -> list[str]:
    return re.findall(r'src="((?:\.\./)+assets/[0-9a-f]{2}/[0-9a-f]{64}\.\w+)"', body)


def _run(root: Path) -> int:
    return main(["-C", str(root), "run", "--no-commit"])


# --- full text -------------------------------------------------------------------------


def test_a_summary_only_feed_gets_its_story_from_the_page_by_trafilatura(tmp_path, feed_server):
    page = feed_server.serve(
        "/news/1.html",
        _page(
            LONG_STORY
            + "<p>此前的辩论请见<a href='../more/2.html'>相关报道</a>，议员们看法不同。</p>"
        ),
        Content_Type="text/html; charset=utf-8",
    )
    summary = "<p>香港立法会今天就新的法案进行了长时间辩论……</p>"
    feed = feed_server.serve("/feed.xml", rss(rss_item(1, link=page, body=summary)))
    root = tmp_path / "m"
    write_config(root, [{"name": "甲", "slug": "a", "url": feed, "fulltext": "auto"}])
    assert _run(root) == 0
    [(path, article)] = _articles(root)
    assert "第8段" in article.body and "第1段" in article.body
    assert "隐私政策" not in article.body and "首页" not in article.body  # no boilerplate
    # relative links of the page resolve against the page's URL
    assert f'href="{feed_server.base}/more/2.html"' in article.body
    assert article.title == "标题 1" and article.url == page
    rel = path.relative_to(root).as_posix()
    assert _enrichment(root) == [(rel, "done", "", 0, "page", "")]
    assert feed_server.asked("/news/1.html") == 1
    assert _run(root) == 0  # the page is not read again
    assert feed_server.asked("/news/1.html") == 1


def test_a_full_text_feed_is_left_alone_under_auto(tmp_path, feed_server):
    page = feed_server.serve("/news/1.html", _page(LONG_STORY), Content_Type="text/html")
    feed = feed_server.serve("/feed.xml", rss(rss_item(1, link=page, body=LONG_STORY)))
    root = tmp_path / "m"
    write_config(root, [{"name": "甲", "slug": "a", "url": feed, "fulltext": "auto"}])
    assert _run(root) == 0
    assert feed_server.asked("/news/1.html") == 0
    assert _enrichment(root) == []


def test_a_selector_takes_the_body_and_removals_drop_parts_of_it(tmp_path, feed_server):
    story = (
        "<div class='post-content'><p>选择器取得的正文。</p><div class='share'>分享到微博</div>"
        "<p>第二段 <img src='/img/a.png'></p></div><div class='comments'>评论区</div>"
    )
    page = feed_server.serve("/p/1", _page(story), Content_Type="text/html; charset=utf-8")
    feed = feed_server.serve("/feed.xml", rss(rss_item(1, link=page, body="<p>摘要</p>")))
    root = tmp_path / "m"
    site = {
        "name": "甲",
        "slug": "a",
        "url": feed,
        "fulltext": True,
        "content_selector": "div.post-content",
        "remove_selectors": ["div.share"],
    }
    write_config(root, [site])
    assert _run(root) == 0
    [(_, article)] = _articles(root)
    assert "选择器取得的正文" in article.body and "第二段" in article.body
    assert "分享到微博" not in article.body and "评论区" not in article.body
    assert f'src="{feed_server.base}/img/a.png"' in article.body  # images = "keep"


def test_a_failed_page_keeps_the_feed_body_and_is_retried_a_bounded_number_of_times(
    tmp_path, feed_server
):
    page = feed_server.serve("/gone.html", "no", status=503, Content_Type="text/html")
    feed = feed_server.serve("/feed.xml", rss(rss_item(1, link=page, body="<p>只有摘要…</p>")))
    root = tmp_path / "m"
    write_config(
        root, [{"name": "甲", "slug": "a", "url": feed, "fulltext": "auto"}], enrich_attempts=3
    )
    assert _run(root) == 0
    [(path, article)] = _articles(root)
    assert "只有摘要" in article.body
    [(_, page_state, _, attempts, body_from, error)] = _enrichment(root)
    assert (page_state, attempts, body_from) == ("owed", 1, "feed") and "503" in error
    assert _run(root) == 0  # not due yet: not asked again
    assert feed_server.asked("/gone.html") == 1
    for _ in range(2):
        _make_due(root)
        assert _run(root) == 0
    assert feed_server.asked("/gone.html") == 3
    assert _enrichment(root)[0][1:4] == ("failed", "", 3)
    _make_due(root)
    assert _run(root) == 0
    assert feed_server.asked("/gone.html") == 3  # given up
    assert "只有摘要" in path.read_text("utf-8")  # never lost or blanked


def test_a_page_that_arrives_later_replaces_the_summary(tmp_path, feed_server):
    page = feed_server.serve("/late.html", "busy", status=503, Content_Type="text/html")
    feed = feed_server.serve("/feed.xml", rss(rss_item(1, link=page, body="<p>摘要</p>")))
    root = tmp_path / "m"
    write_config(root, [{"name": "甲", "slug": "a", "url": feed, "fulltext": "auto"}])
    assert _run(root) == 0
    feed_server.serve("/late.html", _page(LONG_STORY), Content_Type="text/html")
    _make_due(root)
    assert _run(root) == 0
    [(_, article)] = _articles(root)
    assert "第8段" in article.body
    assert _enrichment(root)[0][1] == "done"


@pytest.mark.parametrize(
    ("body", "headers", "why"),
    [
        (b"%PDF-1.4 not a page", {"Content_Type": "application/pdf"}, "type"),
        (b"<html><body><nav>menu</nav></body></html>", {"Content_Type": "text/html"}, "kept"),
        (b"\x00\x01binary" * 100, {"Content_Type": "text/html"}, "no story"),
    ],
)
def test_pages_that_are_not_stories_keep_the_feed_body(tmp_path, feed_server, body, headers, why):
    page = feed_server.serve("/odd", body, **headers)
    feed = feed_server.serve("/feed.xml", rss(rss_item(1, link=page, body="<p>摘要</p>")))
    root = tmp_path / "m"
    write_config(root, [{"name": "甲", "slug": "a", "url": feed, "fulltext": "auto"}])
    assert _run(root) == 0
    [(_, article)] = _articles(root)
    assert article.body == "<p>摘要</p>"
    row = _enrichment(root)[0]
    assert why in row[5] or why == row[1]  # failed (retried later), or read and not fuller


def test_a_redirect_loop_page_fails_without_harm(tmp_path, feed_server):
    loop = feed_server.url("/loop")
    feed_server.serve("/loop", "", status=302, Location=loop)
    feed = feed_server.serve("/feed.xml", rss(rss_item(1, link=loop, body="<p>摘要</p>")))
    root = tmp_path / "m"
    write_config(root, [{"name": "甲", "slug": "a", "url": feed, "fulltext": "auto"}])
    assert _run(root) == 0
    assert _articles(root)[0][1].body == "<p>摘要</p>"
    assert "redirect" in _enrichment(root)[0][5]


def test_a_page_over_its_size_limit_is_refused(tmp_path, feed_server):
    page = feed_server.serve("/big", _page(LONG_STORY * 200), Content_Type="text/html")
    feed = feed_server.serve("/feed.xml", rss(rss_item(1, link=page, body="<p>摘要</p>")))
    root = tmp_path / "m"
    write_config(
        root, [{"name": "甲", "slug": "a", "url": feed, "fulltext": "auto"}], page_max_bytes=10_000
    )
    assert _run(root) == 0
    assert _articles(root)[0][1].body == "<p>摘要</p>"
    assert "too_large" in _enrichment(root)[0][5]


def test_script_in_a_page_never_reaches_the_archive(tmp_path, feed_server):
    story = (
        "<div class='post-content'><p onclick='steal()'>正文<script>alert(1)</script></p>"
        "<iframe src='https://evil.example/'></iframe><a href='javascript:alert(2)'>x</a></div>"
    )
    page = feed_server.serve("/p", _page(story), Content_Type="text/html")
    feed = feed_server.serve("/feed.xml", rss(rss_item(1, link=page, body="<p>摘要</p>")))
    root = tmp_path / "m"
    site = {"name": "甲", "slug": "a", "url": feed, "fulltext": True}
    write_config(root, [{**site, "content_selector": "div.post-content"}])
    assert _run(root) == 0
    body = _articles(root)[0][1].body
    assert "正文" in body
    for active in ("<script", "onclick", "<iframe", "javascript:"):
        assert active not in body


def test_cdt_keeps_only_symbol_categories_and_takes_bodies_from_the_page(tmp_path, feed_server):
    cdt = next(s for s in DEFAULT_SITES if s.slug == "cdt")
    pages = {
        n: feed_server.serve(
            f"/chinese/{n}.html",
            _page(f"<div class='post-content'><p>CDT 正文 {n}：" + "内容" * 200 + "</p></div>"),
            Content_Type="text/html; charset=UTF-8",
        )
        for n in (1, 2, 3)
    }

    def item(n: int, category: str) -> str:
        base = rss_item(n, link=pages[n], body="<p>CDT 摘要</p>")
        return base.replace("<guid>", f"<category><![CDATA[{category}]]></category><guid>")

    feed = feed_server.serve(
        "/chinese/feed/",
        rss(item(1, "【一周文章精选】🔥"), item(2, "新闻"), item(3, "404文库 ★")),
    )
    root = tmp_path / "m"
    write_config(
        root,
        [
            {
                "name": cdt.name,
                "slug": "cdt",
                "url": feed,
                "category_pattern": cdt.category_pattern,
                "fulltext": cdt.fulltext,
                "content_selector": cdt.content_selector,
            }
        ],
    )
    assert _run(root) == 0
    bodies = sorted(a.body for _, a in _articles(root, "cdt"))
    assert len(bodies) == 2  # the item with a plain category is left out
    assert "CDT 正文 1" in bodies[0] and "CDT 正文 3" in bodies[1]
    assert feed_server.asked("/chinese/2.html") == 0


def test_init_writes_every_default_rule_into_the_configuration(tmp_path):
    assert main(["-q", "init", str(tmp_path / "m")]) == 0
    text = (tmp_path / "m" / "newsmirror.toml").read_text("utf-8")
    cdt = text[text.index('slug = "cdt"') :]
    assert 'content_selector = "div.post-content"' in cdt and "fulltext = true" in cdt
    assert "category_pattern = " in cdt
    rfa = text[text.index('slug = "rfa"') : text.index('slug = "cdt"')]
    assert 'link_from = "guid"' in rfa


# --- pictures ----------------------------------------------------------------------------


def _picture_feed(feed_server, bodies: list[str]) -> str:
    items = [
        rss_item(n, link=feed_server.url(f"/story/{n}"), body=LONG_STORY + body)
        for n, body in enumerate(bodies, 1)
    ]
    return feed_server.serve("/feed.xml", rss(*items))


def test_a_picture_used_by_three_articles_is_stored_once_and_linked_relatively(
    tmp_path, feed_server
):
    jpeg = _jpeg(40, 30)
    picture = feed_server.serve("/img/shared.jpg", jpeg, Content_Type="image/jpeg")
    feed = _picture_feed(feed_server, [f'<p><img src="{picture}" alt="图"></p>'] * 3)
    root = tmp_path / "m"
    write_config(root, [{"name": "甲", "slug": "a", "url": feed}], images="mirror")
    assert _run(root) == 0
    assert feed_server.asked("/img/shared.jpg") == 1
    stored = list((root / "assets").rglob("*.*"))
    assert len(stored) == 1 and stored[0].read_bytes() == jpeg
    for path, article in _articles(root):
        [link] = _linked_assets(article.body)
        assert (path.parent / link).resolve() == stored[0].resolve()
        assert 'alt="图"' in article.body and picture not in article.body
    assert {row[2] for row in _enrichment(root)} == {"done"}


def test_a_picture_that_needs_its_page_as_referer_is_stored(tmp_path, feed_server):
    picture = feed_server.serve(
        "/img/guarded.png", _png(), Content_Type="image/png", referer=feed_server.url("/story/")
    )
    feed = _picture_feed(feed_server, [f'<img src="{picture}">'])
    root = tmp_path / "m"
    write_config(root, [{"name": "甲", "slug": "a", "url": feed}], images="mirror")
    assert _run(root) == 0
    [(_, article)] = _articles(root)
    assert len(_linked_assets(article.body)) == 1
    [(_, headers)] = [r for r in feed_server.requests if r[0] == "/img/guarded.png"]
    assert headers["referer"] == feed_server.url("/story/1")


def test_an_oversized_picture_is_reencoded_smaller_and_narrower(tmp_path, feed_server):
    big = _jpeg(3000, 2000, noise=True)
    picture = feed_server.serve("/img/big.jpg", big, Content_Type="image/jpeg")
    feed = _picture_feed(feed_server, [f'<img src="{picture}">'])
    root = tmp_path / "m"
    write_config(root, [{"name": "甲", "slug": "a", "url": feed}], images="mirror")
    assert _run(root) == 0
    [stored] = list((root / "assets").rglob("*.jpg"))
    with Image.open(stored) as image:
        assert image.size == (1600, 1067)
    assert stored.stat().st_size < len(big) / 2
    with sqlite3.connect(root / ".newsmirror" / "index.sqlite") as db:
        original, kept, width = db.execute(
            "SELECT original_bytes, stored_bytes, width FROM assets"
        ).fetchone()
    assert (original, kept, width) == (len(big), stored.stat().st_size, 1600)


@pytest.mark.parametrize(
    ("data", "content_type", "why"),
    [
        (b"<!DOCTYPE html><html><body>Hotlinking not allowed</body></html>", "image/jpeg", "HTML"),
        (
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "image/svg+xml",
            "SVG",
        ),
        (
            b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="x()"/>',
            "image/jpeg",
            "SVG",
        ),
        (b"\xff\xd8\xff\xe0 truncated jpeg", "image/jpeg", "decoded"),
        (b"", "image/png", "empty"),
    ],
)
def test_what_is_not_a_picture_is_refused_and_its_url_kept(
    tmp_path, feed_server, data, content_type, why
):
    picture = feed_server.serve("/img/fake.jpg", data, Content_Type=content_type)
    feed = _picture_feed(feed_server, [f'<img src="{picture}">'])
    root = tmp_path / "m"
    write_config(root, [{"name": "甲", "slug": "a", "url": feed}], images="mirror")
    assert _run(root) == 0
    assert not (root / "assets").exists() or not any((root / "assets").rglob("*.*"))
    [(_, article)] = _articles(root)
    assert f'src="{picture}"' in article.body
    with sqlite3.connect(root / ".newsmirror" / "index.sqlite") as db:
        refusals = [r[0] for r in db.execute("SELECT media_type FROM assets")]
    errors = " ".join(refusals) + " ".join(row[5] for row in _enrichment(root))
    assert why in errors


def test_a_decompression_bomb_is_refused(tmp_path, feed_server):
    # A PNG whose header claims 60,000 x 60,000 pixels, in a few hundred bytes.
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", 60_000, 60_000, 8, 2, 0, 0, 0)
    bomb = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
    bomb += chunk(b"IDAT", zlib.compress(b"\0" * 1000)) + chunk(b"IEND", b"")
    picture = feed_server.serve("/img/bomb.png", bomb, Content_Type="image/png")
    feed = _picture_feed(feed_server, [f'<img src="{picture}">'])
    root = tmp_path / "m"
    write_config(root, [{"name": "甲", "slug": "a", "url": feed}], images="mirror")
    assert _run(root) == 0
    assert f'src="{picture}"' in _articles(root)[0][1].body
    assert not (root / "assets").exists() or not any((root / "assets").rglob("*.*"))


def test_a_failed_picture_is_retried_and_the_article_rewritten_when_it_arrives(
    tmp_path, feed_server
):
    picture = feed_server.serve("/img/late.png", "busy", status=503, Content_Type="text/plain")
    feed = _picture_feed(feed_server, [f'<img src="{picture}">'])
    root = tmp_path / "m"
    write_config(root, [{"name": "甲", "slug": "a", "url": feed}], images="mirror")
    assert _run(root) == 0
    [(path, article)] = _articles(root)
    assert f'src="{picture}"' in article.body
    assert _enrichment(root)[0][2:4] == ("owed", 1)
    feed_server.serve("/img/late.png", _png(), Content_Type="image/png")
    _make_due(root)
    assert _run(root) == 0
    body = article_format.parse(path.read_text("utf-8")).body
    assert len(_linked_assets(body)) == 1 and picture not in body
    assert _enrichment(root)[0][2] == "done"


def test_lazy_srcset_and_picture_sources_are_mirrored(tmp_path, feed_server):
    lazy = feed_server.serve("/img/lazy.png", _png(5, 5), Content_Type="image/png")
    large = feed_server.serve("/img/large.png", _png(8, 8), Content_Type="image/png")
    small = feed_server.url("/img/small.png")
    source = feed_server.serve("/img/source.png", _png(6, 6), Content_Type="image/png")
    body = (
        f'<img src="data:image/gif;base64,R0lGOD" data-src="{lazy}">'
        f'<img srcset="{small} 320w, {large} 1024w">'
        f'<picture><source srcset="{source}"><img src="{lazy}"></picture>'
    )
    feed = _picture_feed(feed_server, [body])
    root = tmp_path / "m"
    write_config(root, [{"name": "甲", "slug": "a", "url": feed}], images="mirror")
    assert _run(root) == 0
    body = _articles(root)[0][1].body
    assert feed_server.asked("/img/small.png") == 0  # the largest candidate only
    assert lazy not in body and large not in body and source not in body
    assert len(set(re.findall(r"assets/[0-9a-f]{2}/[0-9a-f]{64}\.png", body))) == 3
    assert "data-src" not in body


def test_a_run_killed_while_storing_pictures_leaves_no_half_asset_or_broken_link(
    tmp_path, feed_server
):
    whole = feed_server.serve("/img/whole.png", _png(), Content_Type="image/png")
    big = _jpeg(900, 600, noise=True)
    stalled = feed_server.serve(
        "/img/stalled.jpg", big, Content_Type="image/jpeg", stall_after=len(big) // 2
    )
    feed = _picture_feed(feed_server, [f'<img src="{whole}">', f'<img src="{stalled}">'])
    root = tmp_path / "m"
    write_config(root, [{"name": "甲", "slug": "a", "url": feed}], images="mirror")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent)}
    run = subprocess.Popen(
        [sys.executable, "-m", "newsmirror", "-C", str(root), "run", "--no-commit"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    deadline = time.monotonic() + 30
    while feed_server.asked("/img/stalled.jpg") == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)  # half the picture is in
    run.send_signal(signal.SIGKILL)
    run.wait()

    def check() -> None:
        for stored in (root / "assets").rglob("*") if (root / "assets").exists() else []:
            assert stored.is_dir() or not stored.name.endswith(".tmp")
            if stored.is_file():
                with Image.open(stored) as image:
                    image.load()  # whole
        for path, article in _articles(root):
            for link in _linked_assets(article.body):
                assert (path.parent / link).is_file()

    check()
    feed_server.serve("/img/stalled.jpg", big, Content_Type="image/jpeg")
    assert _run(root) == 0
    check()
    linked = [link for _, a in _articles(root) for link in _linked_assets(a.body)]
    assert len(linked) == 2
    assert not list((root / ".newsmirror" / "tmp").glob("*.tmp"))


def test_proxy_mode_routes_pictures_through_the_template_once(tmp_path, feed_server):
    own = "https://pics.example/a.jpg"
    wrapped = "https://images.weserv.nl/?url=https%3A%2F%2Fpics.example%2Fb.jpg"
    body = f'<img src="{own}"><img src="{wrapped}">'
    feed = feed_server.serve("/feed.xml", rss(rss_item(1, body=LONG_STORY + body)))
    root = tmp_path / "m"
    write_config(root, [{"name": "甲", "slug": "a", "url": feed}], images="proxy")
    assert _run(root) == 0
    body = _articles(root)[0][1].body
    assert 'src="https://images.weserv.nl/?url=https://pics.example/a.jpg"' in body
    assert 'src="https://images.weserv.nl/?url=https://pics.example/b.jpg"' in body
    assert body.count("weserv") == 2


def test_keep_is_the_default_and_leaves_pictures_alone(tmp_path, feed_server):
    picture = feed_server.serve("/img/x.png", _png(), Content_Type="image/png")
    feed = _picture_feed(feed_server, [f'<img src="{picture}">'])
    root = tmp_path / "m"
    write_config(root, [{"name": "甲", "slug": "a", "url": feed}])
    assert _run(root) == 0
    assert feed_server.asked("/img/x.png") == 0
    assert f'<img src="{picture}">' in _articles(root)[0][1].body
    assert not (root / "assets").exists()


def test_a_failing_enrich_stage_costs_neither_the_pass_nor_the_work(
    tmp_path, feed_server, monkeypatch, capsys
):
    from newsmirror.enrich import stage

    picture = feed_server.serve("/img/p.png", _png(), Content_Type="image/png")
    feed = _picture_feed(feed_server, [f'<img src="{picture}">'])
    root = tmp_path / "m"
    write_config(root, [{"name": "甲", "slug": "a", "url": feed}], images="mirror")

    def broken(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(stage, "_record", broken)
    assert _run(root) == 0
    assert "completing articles failed (OSError" in capsys.readouterr().out
    [(_, article)] = _articles(root)
    assert f'src="{picture}"' in article.body  # archived, as the feed gave it
    assert _enrichment(root)[0][2] == "owed"
    monkeypatch.undo()
    assert _run(root) == 0
    assert len(_linked_assets(_articles(root)[0][1].body)) == 1
