import contextlib
import gzip
import json
import os

import pytest

from conftest import rss, rss_item, shared_path
from newsmirror.errors import ParseError
from newsmirror.parse import parse_feed
from newsmirror.parse.dates import to_ms

SEED_MS = 1625525942000


def test_rss2_reads_every_field_and_prefers_full_text():
    body = rss(
        "<item><title>T</title><link>https://a.org/1</link><guid>g1</guid>"
        "<pubDate>Mon, 05 Jul 2021 22:59:02 GMT</pubDate><description>short</description>"
        "<content:encoded><![CDATA[<p>full</p>]]></content:encoded>"
        "<category>新闻</category><category>亚洲</category></item>"
    )
    feed = parse_feed(body.encode())
    assert feed.format == "rss2.0"
    (entry,) = feed.entries
    assert (entry.title, entry.link, entry.guid, entry.published_ms) == (
        "T",
        "https://a.org/1",
        "g1",
        SEED_MS,
    )
    assert entry.content == "<p>full</p>"
    assert entry.categories == ("新闻", "亚洲")


def test_rss2_without_full_text_uses_description_and_dc_date():
    body = rss(
        '<item><title>T</title><guid isPermaLink="true">https://a.org/p</guid>'
        "<dc:date>2021-07-05T22:59:02Z</dc:date><description>&lt;p&gt;d&lt;/p&gt;</description></item>",
        extra_ns=' xmlns:dc="http://purl.org/dc/elements/1.1/"',
    )
    (entry,) = parse_feed(body.encode()).entries
    assert entry.content == "<p>d</p>"
    assert entry.published_ms == SEED_MS
    assert entry.link == "https://a.org/p"  # a permalink guid stands in for a missing link


def test_rss091_and_rss10():
    rss091 = (
        '<rss version="0.91"><channel><title>c</title><item><title>A</title>'
        "<link>https://a.org/a</link><description>x</description></item></channel></rss>"
    )
    feed = parse_feed(rss091.encode())
    assert feed.format == "rss0.91" and feed.entries[0].link == "https://a.org/a"
    rdf = (
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
        ' xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        '<channel rdf:about="https://a.org/"><title>c</title></channel>'
        '<item rdf:about="https://a.org/b"><title>B</title><link>https://a.org/b</link>'
        "<dc:date>2021-07-05T22:59:02+00:00</dc:date><description>y</description></item>"
        "</rdf:RDF>"
    )
    feed = parse_feed(rdf.encode())
    assert feed.format == "rss1.0"
    (entry,) = feed.entries
    assert (entry.title, entry.guid, entry.published_ms) == ("B", "https://a.org/b", SEED_MS)


ATOM = """<?xml version="1.0"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://a.org/blog/">
 <title>t</title>
 <entry>
  <title type="html">A &lt;em&gt;b&lt;/em&gt; &amp;amp; c</title>
  <link rel="self" href="https://a.org/self"/>
  <link rel="alternate" href="posts/1"/>
  <id>urn:1</id>
  <updated>2022-01-01T00:00:00Z</updated>
  <published>2021-07-05T22:59:02Z</published>
  <summary>s</summary>
  <content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"
    >lead <p>para <b>x</b></p> tail</div></content>
 </entry>
 <entry xml:base="https://b.org/">
  <title>plain &lt; text</title>
  <link href="/x"/>
  <id>urn:2</id>
  <updated>2021-07-05T22:59:02Z</updated>
  <content type="text">3 &lt; 4</content>
 </entry>
</feed>"""


def test_atom_published_before_updated_and_text_constructs():
    feed = parse_feed(ATOM.encode())
    assert feed.format == "atom1.0"
    first, second = feed.entries
    assert first.published_ms == SEED_MS  # published wins over updated
    assert first.title == "A b & c"
    assert first.link == "posts/1" and first.base == "https://a.org/blog/"
    assert first.content == "lead <p>para <b>x</b></p> tail"
    assert second.published_ms == SEED_MS  # updated when there is no published
    assert second.title == "plain < text"
    assert second.content == "3 &lt; 4"
    assert second.base == "https://b.org/"


@pytest.mark.parametrize(
    "version", ["https://jsonfeed.org/version/1", "https://jsonfeed.org/version/1.1"]
)
def test_json_feed(version):
    doc = {
        "version": version,
        "title": "j",
        "items": [
            {
                "id": 7,
                "url": "https://a.org/7",
                "title": "J",
                "date_published": "2021-07-05T22:59:02Z",
                "content_html": "<p>h</p>",
                "content_text": "ignored",
            },
            {
                "id": "8",
                "url": "https://a.org/8",
                "content_text": "a < b",
                "date_modified": "2021-07-05T22:59:02Z",
            },
        ],
    }
    feed = parse_feed(json.dumps(doc).encode())
    first, second = feed.entries
    assert (first.guid, first.content, first.published_ms) == ("7", "<p>h</p>", SEED_MS)
    assert (second.content, second.published_ms) == ("<p>a &lt; b</p>", SEED_MS)


def test_broken_xml_still_yields_items():
    body = rss(rss_item(1, title="Tom & Jerry"), rss_item(2)).replace("<rss", "\n\n<rss")
    feed = parse_feed(("\n  " + body).encode())
    assert [e.guid for e in feed.entries] == ["guid-1", "guid-2"]
    assert feed.recovered


def test_documents_that_are_not_feeds_are_refused():
    for body in (b"<html><body>maintenance</body></html>", b"", b'{"a": 1}', b"\x00\x01garbage"):
        with pytest.raises(ParseError):
            parse_feed(body)


def test_dates():
    assert to_ms("Mon, 05 Jul 2021 22:59:02 GMT") == SEED_MS
    assert to_ms("Tue, 06 Jul 2021 06:59:02 +0800") == SEED_MS
    assert to_ms("2021-07-05T22:59:02Z") == SEED_MS
    assert to_ms("2021-07-05 22:59:02") == SEED_MS
    assert to_ms("2021年7月5日 22:59:02") == SEED_MS
    assert to_ms("not a date") is None and to_ms("") is None and to_ms(None) is None


def _corpus_feed_files():
    root = shared_path("corpus", "feeds")
    for folder, _, files in os.walk(root):
        for name in files:
            if not name.endswith((".tsv", ".md")):
                yield os.path.join(folder, name)


def test_every_corpus_feed_parses_or_is_refused_cleanly():
    parsed = refused = 0
    for path in _corpus_feed_files():
        with open(path, "rb") as handle:
            data = handle.read()
        if data[:2] == b"\x1f\x8b":
            # a deliberately truncated body stays raw: the parser gets those bytes
            with contextlib.suppress(OSError, EOFError):
                data = gzip.decompress(data)
        try:
            parse_feed(data)
            parsed += 1
        except ParseError:
            refused += 1
    assert parsed > 2000, (parsed, refused)


def test_real_feeds_give_the_entries_a_tolerant_parser_finds():
    import csv

    root = shared_path("corpus", "feeds")
    with open(root / "INDEX_real.tsv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    agree = 0
    for row in rows:
        data = (root / row["path"]).read_bytes()
        if row["compression"]:
            data = gzip.decompress(data)
        try:
            count = len(parse_feed(data).entries)
        except ParseError:
            count = 0
        agree += count == int(row["entries"])
    assert agree / len(rows) >= 0.95, f"{agree} of {len(rows)}"
