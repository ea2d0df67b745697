"""The pure parts of whole stories: when a feed gives summaries, when a page wins, retries;
finding and rewriting pictures; proxies; feedx's footer; the new settings' checks."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import shared_path
from newsmirror.clean.footer import strip_feedx_footer
from newsmirror.config import Site, from_dict
from newsmirror.decide.enrich import (
    HOUR_MS,
    after_failure,
    looks_like_summary,
    owed_for,
    page_wins,
)
from newsmirror.enrich.images import image_urls, proxied, relative_link, rewrite, unwrap
from newsmirror.enrich.pages import extract, page_text
from newsmirror.enrich.pictures import NotAPicture, prepare, sniff
from newsmirror.errors import ConfigError
from newsmirror.records import Enrichment, FeedEntry

STORY = "<p>" + "香港立法会今天就新的法案进行了长时间辩论。" * 30 + "</p>"


def entry(content: str, *others: str) -> FeedEntry:
    return FeedEntry("t", "https://a.example/1", "g", None, content, other_bodies=others)


@pytest.mark.parametrize(
    ("content", "others", "summary"),
    [
        ("", (), True),
        ("<p>短</p>", (), True),
        (STORY, (), False),
        ("<p>" + "长" * 400 + "……</p>", (), True),
        ("<p>" + "long words " * 60 + "Read more »</p>", (), True),
        ("<p>" + "同" * 300 + "</p>", ("<p>" + "同" * 300 + "</p>",), True),
        (STORY, (STORY,), False),  # the same full text twice is full text
        ("<p>" + "长" * 2000 + "…</p>", (), False),  # long enough, ellipsis or not
    ],
)
def test_summaries_are_recognised(content, others, summary):
    assert looks_like_summary(entry(content, *others)) is summary


def test_what_an_article_is_owed_follows_the_source():
    site = Site("甲", "a", "https://a.example/feed")
    short, full = entry("<p>短</p>"), entry(STORY)
    assert owed_for(site, "keep", "p.md", "https://a.example/1", full, STORY) is None
    assert owed_for(site, "keep", "p.md", "u", short, "<p>短</p>").page == "owed"
    assert owed_for(site, "keep", "p.md", "", short, "<p>短</p>") is None  # no link, no page
    never = Site("甲", "a", "u", fulltext=False)
    assert owed_for(never, "keep", "p.md", "u", short, "x") is None
    always = Site("甲", "a", "u", fulltext=True)
    assert owed_for(always, "keep", "p.md", "u", full, STORY).page == "owed"
    item = owed_for(site, "mirror", "p.md", "u", full, STORY + '<img src="https://i/x.png">')
    assert (item.page, item.images) == ("", "owed")
    assert owed_for(site, "mirror", "p.md", "u", full, STORY) is None


def test_the_page_wins_only_with_clearly_more_text_under_auto():
    feed, page = "<p>" + "字" * 100 + "</p>", "<p>" + "字" * 200 + "</p>"
    assert page_wins("auto", feed, page)
    assert not page_wins("auto", page, feed)
    assert not page_wins("auto", feed, "<p>" + "字" * 110 + "</p>")
    assert not page_wins("auto", "<p>摘要</p>", "<div>menu</div>")
    assert page_wins(True, page, "<p>" + "字" * 150 + "</p>")  # trusted, unless far shorter
    assert not page_wins(True, page, "<p>图片说明</p>")
    assert not page_wins(True, feed, "")


def test_failures_back_off_and_give_up():
    item = Enrichment("p.md", "a", "u", page="owed")
    once = after_failure(item, "page", "503", 1000, 3)
    assert (once.page, once.attempts, once.next_ms) == ("owed", 1, 1000 + HOUR_MS)
    twice = after_failure(once, "page", "503", 1000, 3)
    assert (twice.attempts, twice.next_ms) == (2, 1000 + 2 * HOUR_MS)
    assert after_failure(twice, "page", "503", 1000, 3).page == "failed"


def test_pictures_are_found_in_every_place_a_body_keeps_them():
    body = (
        '<img src="data:image/gif;base64,R0lG" data-original="https://i.example/lazy.jpg">'
        "<img srcset='https://i.example/s.jpg 1x, https://i.example/l.jpg 2x'>"
        '<picture><source srcset="https://i.example/p.webp 800w"></picture>'
        '<img src="https://images.weserv.nl/?url=https%3A%2F%2Fi.example%2Fw.jpg">'
        '<img src="https://images.weserv.nl/?url=i.example/bare.jpg">'
        '<img src="https://i.example/lazy.jpg"><img src="/relative.png"><img alt="none">'
    )
    assert image_urls(body) == [
        "https://i.example/lazy.jpg",
        "https://i.example/l.jpg",
        "https://i.example/p.webp",
        "https://i.example/w.jpg",
        "http://i.example/bare.jpg",
    ]


def test_rewriting_touches_only_mapped_pictures():
    body = (
        '<p>a</p><img class="x" src="https://i.example/a.jpg"'
        ' srcset="https://i.example/a2.jpg 2x" alt="&quot;图&quot;">'
        '<img src="https://i.example/b.jpg">'
    )
    out = rewrite(body, {"https://i.example/a.jpg": "../assets/ab/c.jpg"}.get)
    assert out == (
        '<p>a</p><img src="../assets/ab/c.jpg" class="x" alt="&quot;图&quot;">'
        '<img src="https://i.example/b.jpg">'
    )
    assert rewrite("<p>no pictures</p>", lambda url: "x") == "<p>no pictures</p>"


def test_proxying_never_wraps_twice():
    template = "https://images.weserv.nl/?url={url}"
    once = proxied('<img src="https://i.example/a.jpg?x=1&amp;y=2">', template)
    assert (
        once == '<img src="https://images.weserv.nl/?url=https://i.example/a.jpg%3Fx%3D1%26y%3D2">'
    )
    assert proxied(once, template) == once
    own = "https://proxy.example/img?url={url}"
    mine = proxied('<img src="https://i.example/a.jpg">', own)
    assert proxied(mine, own) == mine
    assert unwrap("https://wsrv.nl/?url=https://i.example/z.png") == "https://i.example/z.png"
    assert (
        unwrap("https://i.example/?url=https://other/") == "https://i.example/?url=https://other/"
    )


def test_asset_links_are_relative_to_the_article():
    asset = "assets/ab/abc.jpg"
    assert relative_link(asset, "articles/voa/2021/07/05/120000-abc.md") == (
        "../../../../../assets/ab/abc.jpg"
    )
    assert relative_link(asset, "articles/cdt/1048574.md") == "../../assets/ab/abc.jpg"


def test_picture_types_come_from_the_bytes():
    assert sniff(b"\xff\xd8\xff\xe0rest") == ("image/jpeg", "jpg")
    assert sniff(b"RIFF\0\0\0\0WEBPVP8 ") == ("image/webp", "webp")
    assert sniff(b"<html>") is None
    with pytest.raises(NotAPicture, match="HTML"):
        prepare(b"<!DOCTYPE html><html></html>", 1600, 82)
    with pytest.raises(NotAPicture, match="SVG"):
        prepare(b"<svg onload='x()'/>", 1600, 82)


def test_pages_are_decoded_by_their_meta_charset():
    gbk = "<html><head><meta charset=gbk></head><body><p>中文页面</p></body></html>".encode("gbk")
    assert "中文页面" in page_text(gbk, "text/html")
    assert "中文页面" in page_text(gbk, "text/html; charset=gb2312")
    assert "中文页面" in page_text("<p>中文页面</p>".encode(), "text/html")


def test_a_selector_that_matches_nothing_extracts_nothing():
    page = "<html><body><div class='other'>x</div></body></html>"
    assert extract(page, "https://a.example/", "div.post-content") == ""
    assert extract("", "https://a.example/") == ""


FOOTER = (
    '<br><hr><div>获取更多RSS：<br><a href="https://feedx.net" style="color:orange" '
    'target="_blank">https://feedx.net</a> <br><a href="https://feedx.{tld}" '
    'style="color:orange" target="_blank">https://feedx.{tld}</a><br></div>'
)


@pytest.mark.parametrize("tld", ["top", "xyz", "best", "site"])
def test_the_feedx_footer_goes_in_every_domain_variant(tld):
    body = "<div><p>正文</p>" + FOOTER.format(tld=tld) + "</div>"
    assert strip_feedx_footer(body) == "<div><p>正文</p></div>"


def test_a_look_alike_footer_stays():
    other = '<hr><div>获取更多RSS：<br><a href="https://evil.example">x</a></div>'
    assert strip_feedx_footer("<p>a</p>" + other) == "<p>a</p>" + other


def test_every_footer_of_the_real_archive_is_recognised():
    folder = shared_path("corpus", "duty-machine-news", "articles")
    bodies = [p.read_text("utf-8") for p in folder.rglob("*.md")]
    with_footer = [b for b in bodies if "获取更多RSS" in b]
    assert with_footer
    for body in with_footer:
        stripped = strip_feedx_footer(body)
        assert "获取更多RSS" not in stripped and "feedx.net" not in stripped
        assert len(body) - len(stripped) < 400  # the footer only


def _config(mirror=None, site=None):
    site = {"name": "甲", "slug": "a", "url": "https://a.example/", **(site or {})}
    return from_dict({"mirror": mirror or {}, "site": [site]}, Path("newsmirror.toml"))


@pytest.mark.parametrize(
    ("mirror", "site", "key"),
    [
        ({}, {"fulltext": "sometimes"}, "fulltext"),
        ({}, {"fulltext": 1}, "fulltext"),
        ({}, {"images": "copy"}, "images"),
        ({"images": "all"}, {}, "mirror.images"),
        ({}, {"content_selector": "div[["}, "content_selector"),
        ({}, {"remove_selectors": ["p", ""]}, "remove_selectors"),
        ({"image_proxy": "https://proxy.example/"}, {}, "image_proxy"),
        ({"image_quality": 100}, {}, "image_quality"),
    ],
)
def test_bad_settings_name_their_key(mirror, site, key):
    with pytest.raises(ConfigError) as caught:
        _config(mirror, site)
    assert key in str(caught.value)


def test_a_source_may_override_the_mirrors_images():
    config = _config({"images": "proxy"}, {"images": "mirror", "fulltext": True})
    site = config.sites[0]
    assert config.images_of(site) == "mirror" and site.fulltext is True
    assert _config().images_of(_config().sites[0]) == "keep"
    assert _config().sites[0].fulltext == "auto"


def test_a_commit_of_completed_articles_says_so():
    from newsmirror.publish.commits import commit_message

    config = _config()
    staged = [("M", "articles/a/2021/07/05/120000-abc.md"), ("A", "assets/ab/abc.jpg")]
    message = commit_message(config, lambda path: "a", staged, [])
    assert message.startswith("Complete 1 article (full text from pages, pictures)\n")
    assert "1 picture stored." in message
    new = [("A", "articles/a/2021/07/05/120000-abd.md"), ("A", "assets/ab/abd.jpg")]
    assert commit_message(config, lambda path: "a", new, []).startswith("Archive 1 new article")


def test_links_are_computed_without_the_working_directory(tmp_path, monkeypatch):
    gone = tmp_path / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()  # as after a test (or a shell) that removed the folder it stood in
    assert relative_link("assets/ab/c.jpg", "articles/a/2021/07/01/x.md") == (
        "../../../../../assets/ab/c.jpg"
    )
    assert relative_link("articles/a/x.md", "lists/甲/2021-07.md") == "../../articles/a/x.md"
