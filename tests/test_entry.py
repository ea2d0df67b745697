"""From feed entry to candidate article: links, titles, dates and relative URLs in bodies."""

from __future__ import annotations

import pytest

from newsmirror.clean.entry import (
    FUTURE_MARGIN_MS,
    clean_body,
    entry_base,
    published_time,
    to_candidate,
)
from newsmirror.clean.resolve import absolutize
from newsmirror.clean.urls import markdown_safe, normalize_url
from newsmirror.config import Site
from newsmirror.records import FeedEntry
from newsmirror.store.article import parse, render

SITE = Site("站", "site", "https://news.example/feed.xml")
FEED = "https://news.example/rss/feed.xml"
NOW = 1_700_000_000_000
HOUR = 3_600_000


def entry(**fields: object) -> FeedEntry:
    values: dict[str, object] = {
        "title": "标题",
        "link": "https://news.example/a/1.html",
        "guid": "g1",
        "published_ms": NOW - HOUR,
        "content": "<p>正文</p>",
    }
    values.update(fields)
    return FeedEntry(**values)  # type: ignore[arg-type]


def candidate(**fields: object):  # type: ignore[no-untyped-def]
    result = to_candidate(entry(**fields), SITE, FEED, NOW)
    assert result is not None
    return result


# --- links ---


@pytest.mark.parametrize(
    "link",
    [
        "javascript:alert(1)",
        " JaVaScRiPt:alert(1)",
        "java\tscript:alert(1)",
        "vbscript:msgbox(1)",
        "data:text/html,<script>alert(1)</script>",
        "file:///etc/passwd",
        "mailto:editor@news.example",
        "ftp://news.example/a",
        "http://[bad",
    ],
)
def test_an_item_whose_link_is_not_http_is_archived_without_one(link: str) -> None:
    c = candidate(link=link)
    assert c.article.url == "" and c.link_key == ""
    assert render(c.article).splitlines()[1] == "[标题]()"


def test_relative_links_without_a_web_base_are_dropped() -> None:
    c = to_candidate(entry(link="a/1.html"), SITE, "file:///srv/feeds/f.xml", NOW)
    assert c is not None and c.article.url == ""


def test_relative_links_resolve_against_nested_bases() -> None:
    assert candidate(link="../b/2.html").article.url == "https://news.example/b/2.html"
    # xml:base relative to the feed's URL, then the link relative to that
    c = candidate(link="c/3.html?x=1#top", base="/zh/section/")
    assert c.article.url == "https://news.example/zh/section/c/3.html?x=1#top"
    c = candidate(link="//cdn.example/p", base="https://other.example/x/")
    assert c.article.url == "https://cdn.example/p"
    assert entry_base("", FEED) == FEED
    assert entry_base("sub/", FEED) == "https://news.example/rss/sub/"
    assert entry_base("https://b.example/", FEED) == "https://b.example/"


def test_links_never_carry_what_could_break_the_link_line() -> None:
    raw = 'https://news.example/a b/<i>"q"\n?x=<y> z#"f g"'
    url = candidate(link=raw).article.url
    assert url == "https://news.example/a%20b/%3Ci%3E%22q%22?x=%3Cy%3E%20z#%22f%20g%22"
    for char in '<>" \n\r\t':
        assert char not in url


@pytest.mark.parametrize(
    ("href", "written"),
    [
        ("https://en.wikipedia.org/wiki/Foo_(bar)", "https://en.wikipedia.org/wiki/Foo_(bar)"),
        ("https://a.example/x)y", "https://a.example/x%29y"),
        ("https://a.example/x(y", "https://a.example/x%28y"),
        ("https://a.example/?q=\\)", "https://a.example/?q=%5C%29"),
        ("https://a.example/a](b", "https://a.example/a%5D%28b"),
        ("http://[::1]/a)b", "http://[::1]/a%29b"),
    ],
)
def test_link_destinations_cannot_end_the_link_early(href: str, written: str) -> None:
    assert markdown_safe(href) == written
    c = candidate(link=href, guid="")
    assert c.article.url == written
    again = parse(render(c.article))
    assert (again.title, again.url) == ("标题", written)


# --- titles ---


def test_titles_carry_no_markup() -> None:
    # A title holding HTML is read as HTML: its tags are gone, only the text remains.
    c = candidate(title='  <img src=x onerror="alert(1)"> [a] \\ <b>粗</b>\n')
    assert c.article.title == "\\[a\\] \\\\ 粗"
    # A plain-text title keeps its angle brackets, written so that they open nothing.
    c = candidate(title="Nullable<int> <not-a-tag>")
    assert c.article.title == "Nullable&lt;int> &lt;not-a-tag>"
    assert "<" not in render(c.article).splitlines()[1].removeprefix("[")


# --- dates ---


def test_published_time_keeps_ordinary_dates() -> None:
    assert published_time(NOW - 30 * 24 * HOUR, NOW) == NOW - 30 * 24 * HOUR
    assert published_time(NOW, NOW) == NOW
    assert published_time(NOW + FUTURE_MARGIN_MS, NOW) == NOW + FUTURE_MARGIN_MS
    assert published_time(NOW + 14 * HOUR, NOW) == NOW + 14 * HOUR  # a zone mislabelled as UTC


def test_missing_placeholder_and_far_future_dates_become_the_time_first_seen() -> None:
    assert published_time(None, NOW) == NOW
    assert published_time(0, NOW) == NOW  # 1970-01-01
    assert published_time(-62_135_596_800_000, NOW) == NOW  # 0001-01-01
    assert published_time(NOW + FUTURE_MARGIN_MS + 1, NOW) == NOW
    assert published_time(253_402_300_799_000, NOW) == NOW  # 9999-12-31
    assert FUTURE_MARGIN_MS == 24 * HOUR


def test_to_candidate_applies_the_date_rule() -> None:
    assert candidate(published_ms=None).article.published_ms == NOW
    assert candidate(published_ms=NOW + 3 * 24 * HOUR).article.published_ms == NOW
    assert candidate(published_ms=NOW - HOUR).article.published_ms == NOW - HOUR


# --- bodies ---


def test_bodies_are_sanitized_and_their_relative_urls_resolved() -> None:
    c = candidate(
        content='<p onclick="x()">正文</p>\n<img src="/i/1.jpg"><script>alert(1)</script>',
        base="/zh/",
    )
    assert c.article.body == '<p>正文</p><img src="https://news.example/i/1.jpg">'


BASE = "https://news.example/zh/a/"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('<img src="p.jpg">', '<img src="https://news.example/zh/a/p.jpg">'),
        ("<img src=p.jpg alt=x>", '<img src="https://news.example/zh/a/p.jpg" alt=x>'),
        (
            "<a href='../b?x=1&amp;y=2'>b</a>",
            "<a href='https://news.example/zh/b?x=1&amp;y=2'>b</a>",
        ),
        ('<A HREF="/c">c</A>', '<A HREF="https://news.example/c">c</A>'),
        ('<img src="//cdn.example/i.png">', '<img src="https://cdn.example/i.png">'),
        (
            '<video poster="v.jpg"></video>',
            '<video poster="https://news.example/zh/a/v.jpg"></video>',
        ),
        (
            '<img srcset="s.jpg 1x, https://x.example/l.jpg 2x,m.jpg 3x">',
            '<img srcset="https://news.example/zh/a/s.jpg 1x, https://x.example/l.jpg 2x,'
            'https://news.example/zh/a/m.jpg 3x">',
        ),
        ('<img src="&#112;.jpg">', '<img src="https://news.example/zh/a/p.jpg">'),
        ('<a href="p?q=a b">x</a>', '<a href="https://news.example/zh/a/p?q=a%20b">x</a>'),
    ],
)
def test_relative_values_are_resolved(body: str, expected: str) -> None:
    assert absolutize(body, BASE) == expected


@pytest.mark.parametrize(
    "body",
    [
        '<img src="https://images.weserv.nl?url=gdb.voanews.com/x.jpg&w=1" width="100%">',
        '<a href="HTTP://News.Example/x?a=1&b=2">absolute, not normalised</a>',
        '<a href="#note-1">fragment</a><a href="">empty</a><a href="mailto:a@b.example">m</a>',
        '<img src="data:image/png;base64,iVBO">',
        '<p>&lt;img src="code-sample.png"&gt; is text, not a tag: src="x.png"</p>',
        '<!-- <img src="in-a-comment.png"> --><p title="src=x">t</p>',
        '<img data-src="lazy.jpg" alt="src=a.png">',
    ],
)
def test_everything_else_is_left_byte_for_byte(body: str) -> None:
    assert absolutize(body, BASE) == body


def test_bodies_of_local_feeds_keep_relative_urls() -> None:
    assert clean_body('<img src="p.jpg">', "file:///srv/f.xml") == '<div><img src="p.jpg"></div>'
    assert normalize_url("p.jpg", "file:///srv/f.xml") == "file:///srv/p.jpg"


# --- zones, story links, empty items ---


def test_a_zoneless_date_is_read_in_the_feeds_zone() -> None:
    from newsmirror.clean.entry import feed_zone_minutes, identify

    naive = entry(published_ms=NOW - HOUR, zoned=False)
    assert identify(naive, SITE, FEED, NOW, 480).article.published_ms == NOW - HOUR - 8 * HOUR
    zoned = entry(published_ms=NOW - HOUR)
    assert identify(zoned, SITE, FEED, NOW, 480).article.published_ms == NOW - HOUR
    assert feed_zone_minutes(SITE, "zh-cn") == feed_zone_minutes(SITE, "ZH_tw") == 480
    assert feed_zone_minutes(SITE, "en-us") == feed_zone_minutes(SITE, "") == 0
    configured = Site("站", "site", "https://news.example/feed.xml", default_zone="-05:30")
    assert feed_zone_minutes(configured, "zh-cn") == -330


@pytest.mark.parametrize(
    "link, tracking",
    [
        ("http://feeds.feedburner.com/~r/Blog/~3/abc/post.html", True),
        ("http://feeds.jn.pt/~r/JN-ULTIMAS/~3/UBnb8Ra3Q1U/story.html", True),
        ("http://feedproxy.google.com/~r/programthink/~3/abc/Tor.html", True),
        ("http://feeds.washingtonpost.com/click.phdo?i=2f874f0b", True),
        ("http://ads.pheedo.com/click.phdo?s=cc0c&p=4", True),
        ("https://news.example/~rick/page.html", False),
        ("https://news.example/r/story", False),
    ],
)
def test_known_tracking_redirects(link: str, tracking: bool) -> None:
    from newsmirror.clean.urls import is_tracking_redirect

    assert is_tracking_redirect(link) is tracking


def test_the_story_link_wins_over_a_redirect() -> None:
    redirect = "http://feeds.feedburner.com/~r/Blog/~3/abc/post.html"
    c = candidate(link=redirect, original_link="https://blog.example/post.html")
    assert c.article.url == "https://blog.example/post.html"
    c = candidate(link=redirect, guid="https://blog.example/guid-post.html")
    assert c.article.url == "https://blog.example/guid-post.html"
    c = candidate(link="https://blog.example/a", guid="https://blog.example/other")
    assert c.article.url == "https://blog.example/a"  # an ordinary link is the link
    c = candidate(link=redirect, guid="not-a-url")
    assert c.article.url == redirect  # nothing better to go by


def test_an_item_with_nothing_to_show_is_skipped_with_a_reason() -> None:
    from newsmirror.clean.entry import identify
    from newsmirror.records import Skipped

    empty = entry(title=" ", link="", guid="", content="<p> </p>", other_bodies=("",))
    assert identify(empty, SITE, FEED, NOW) == Skipped("empty (no title, link or body)")
    picture = entry(title="", link="", guid="", content='<p><img src="a.png"></p>')
    assert not isinstance(identify(picture, SITE, FEED, NOW), Skipped)  # a picture is a body


def test_the_fullest_body_wins() -> None:
    from newsmirror.clean.entry import fullest_body

    assert fullest_body(entry(content="<p></p>", other_bodies=("A real description.",))) == (
        "A real description."
    )
    assert fullest_body(entry(content="<p>ab</p>", other_bodies=("ab",))) == "<p>ab</p>"
    # The same text with "..." after it does not cost the full text its links.
    linked = '<p>At the <a href="https://w.example/">workshop</a>, I was asked to speak.</p>'
    plain = "At the workshop, I was asked to speak...."
    assert fullest_body(entry(content=linked, other_bodies=(plain,))) == linked
    # A teaser gives way to a description that really holds more.
    teaser, whole = "<p>Short teaser.</p>", "Short teaser. " + "And the whole story. " * 5
    assert fullest_body(entry(content=teaser, other_bodies=(whole,))) == whole
    # A picture's caption does not replace a description of about its length.
    caption = '<p><img src="t.jpg"></p><p>As many as 70 greyhounds will have to be rehomed.</p>'
    description = "One hundred years of greyhound racing is about to come to an end."
    assert fullest_body(entry(content=description, media_body=caption)) == description
    assert fullest_body(entry(content="", media_body=caption)) == caption
