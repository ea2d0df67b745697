"""The seed article comes out byte for byte from the feed item that produced it."""

import re
import sqlite3
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from conftest import shared_path
from newsmirror.cli import main
from newsmirror.store.article import parse

SEED_DATE = "Mon, 05 Jul 2021 22:59:02 GMT"


@pytest.fixture
def seed() -> bytes:
    return shared_path("seed", "000_bd7e773d7b869fe3.txt").read_bytes()


def spread_over_lines(body: str) -> str:
    """The body as a publisher's template might print it: a line per tag, indented,
    and one break inside the Chinese text."""
    spread = body.replace("><", ">\n        <")
    return re.sub(r"(据路透社)(从杜尚别)", "\\1\n            \\2", spread, count=1)


def shouting(url: str) -> str:
    """The same URL as a feed might spell it: upper-case scheme and host."""
    scheme, rest = url.split("://", 1)
    host, path = rest.split("/", 1)
    return f"{scheme.upper()}://{host.upper()}/{path}"


def rss_feed(title: str, url: str, body: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">\n'
        "<channel><title>美国之音</title><link>https://www.voachinese.com/</link>\n"
        f"<item>\n  <title>  {escape(title)}\n  </title>\n  <link>{shouting(url)}</link>\n"
        f'  <guid isPermaLink="false">5954259</guid>\n  <pubDate>{SEED_DATE}</pubDate>\n'
        "  <description>摘要</description>\n"
        f"  <content:encoded><![CDATA[\n        {spread_over_lines(body)}\n"
        "      ]]></content:encoded>\n"
        "</item>\n</channel></rss>\n"
    )


def atom_feed(title: str, url: str, body: str) -> str:
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">\n'
        "<title>美国之音</title><id>urn:voa</id><updated>2021-07-06T00:00:00Z</updated>\n"
        f'<entry>\n  <title type="text">\n    {escape(title)}  </title>\n'
        f'  <link rel="alternate" type="text/html" href="{escape(shouting(url))}"/>\n'
        "  <id>urn:voa:5954259</id>\n"
        "  <updated>2021-07-06T01:00:00Z</updated>\n"
        "  <published>2021-07-05T22:59:02Z</published>\n"
        "  <summary>摘要</summary>\n"
        f'  <content type="html">\n        {escape(spread_over_lines(body))}\n  </content>\n'
        "</entry>\n</feed>\n"
    )


@pytest.mark.parametrize("make_feed", [rss_feed, atom_feed], ids=["rss", "atom"])
def test_seed_reproduces_byte_for_byte(tmp_path: Path, seed: bytes, make_feed) -> None:
    article = parse(seed.decode("utf-8"))
    feed = tmp_path / "feed.xml"
    feed.write_text(make_feed(article.title, article.url, article.body), encoding="utf-8")
    mirror = tmp_path / "mirror"
    # Every setting at its default (write_config would turn page reading off).
    mirror.mkdir()
    (mirror / "newsmirror.toml").write_text(
        f'[[site]]\nname = "美国之音"\nslug = "voa"\nurl = "{feed.as_uri()}"\n', encoding="utf-8"
    )
    assert main(["-C", str(mirror), "run", "--no-commit"]) == 0
    written = list((mirror / "articles" / "voa").rglob("*.md"))
    assert len(written) == 1
    assert written[0].read_bytes() == seed
    with sqlite3.connect(mirror / ".newsmirror" / "index.sqlite") as db:  # no page was owed
        assert db.execute("SELECT count(*) FROM enrichment").fetchone()[0] == 0
