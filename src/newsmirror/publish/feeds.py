"""Feeds out: the newest articles of each site (`feeds/<slug>.xml`, `.json`) and of the whole
mirror (`feeds/all.xml`, `.json`) as Atom 1.0 (RFC 4287) and JSON Feed 1.1, with full content,
so that readers can subscribe to the mirror itself.

An entry's link is the article where the mirror is published (`public_url` + its path) when
that is known, and always keeps the publisher's link too (Atom `rel="related"`, JSON Feed
`external_url`). Every date comes from the articles, none from the clock: a feed's bytes change
only when its articles do, so it is rewritten (and committed) only then.
"""

from __future__ import annotations

import functools
import hashlib
import html
import json
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote

from newsmirror.clean.resolve import absolutize
from newsmirror.clean.titles import plain_title
from newsmirror.config import Site
from newsmirror.records import Article, RenderedEntry

FEEDS = "feeds"
ALL = "all"
FEED_RENDERING = "2"  # a change to how entries render must change this (cached entries)
_NAMESPACE = bytes.fromhex("9f6e0d1c6a534c518d0e6b3f3c6f1a10")  # ids: UUID 5 of the path
# Characters XML 1.0 forbids even escaped (a body could hold them from a broken feed).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass(frozen=True, slots=True)
class FeedItem:
    path: str  # the article file, relative to the mirror
    site: Site
    article: Article
    mark: str = ""  # ✎ edited, ✗ removed upstream: before the title


def feed_paths(key: str) -> tuple[str, str]:
    return f"{FEEDS}/{key}.xml", f"{FEEDS}/{key}.json"


def _public(path: str, public_url: str) -> str:
    return public_url + quote(path) if public_url else ""


def _time(ms: int) -> str:
    # (whole seconds by floor division, as datetime gives them, also before 1970; `time`'s
    # struct is several times cheaper than a datetime for 30,000 dates in a cold pass)
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ms // 1000))


@functools.lru_cache(maxsize=4096)
def _id(path: str) -> str:
    """A name-based (version 5, RFC 9562) UUID of the path: the same path, the same id."""
    digest = bytearray(hashlib.sha1(_NAMESPACE + path.encode("utf-8")).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC variant
    h = digest.hex()
    return f"urn:uuid:{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def escape(text: str) -> str:
    """Text as XML character data."""
    return html.escape(text, quote=False)


def quoteattr(value: str) -> str:
    """A value as a quoted XML attribute (line breaks kept as references, not normalised)."""
    escaped = html.escape(value).replace("\n", "&#10;").replace("\r", "&#13;")
    return '"' + escaped.replace("\t", "&#9;") + '"'


def _title(item: FeedItem) -> str:
    title = plain_title(item.article.title)
    return f"{item.mark} {title}" if item.mark else title


def _content(item: FeedItem, public_url: str) -> str:
    """The body with its relative links (mirrored pictures) made absolute where the mirror is
    published; without `public_url` they stay relative (to the article)."""
    body = _NOT_XML.sub("", item.article.body)
    if public_url:
        body = absolutize(body, _public(item.path, public_url))
    return body


@dataclass(frozen=True, slots=True)
class _Shown:
    """What both renderings of an entry show, made once."""

    title: str
    time: str
    content: str


def feed_entry(item: FeedItem, public_url: str, stamp: str = "") -> RenderedEntry:
    """One article rendered for both feeds (for a cache, `stamp` names what it came from)."""
    shown = _Shown(_title(item), _time(item.article.published_ms), _content(item, public_url))
    return RenderedEntry(
        item.path,
        stamp,
        item.article.published_ms,
        _atom_entry(item, public_url, shown).encode("utf-8"),
        json.dumps(_json_item(item, public_url, shown), ensure_ascii=False).encode("utf-8"),
    )


def render_atom(
    key: str, title: str, items: Sequence[FeedItem], public_url: str, home: str = ""
) -> bytes:
    entries = [feed_entry(item, public_url) for item in items]
    return atom_feed(key, title, entries, public_url, home)


def render_json(
    key: str, title: str, items: Sequence[FeedItem], public_url: str, home: str = ""
) -> bytes:
    entries = [feed_entry(item, public_url) for item in items]
    return json_feed(key, title, entries, public_url, home)


def atom_feed(
    key: str, title: str, entries: Sequence[RenderedEntry], public_url: str, home: str = ""
) -> bytes:
    """The Atom feed of these entries, in UTF-8."""
    xml_path, _ = feed_paths(key)
    updated = _time(max((e.published_ms for e in entries), default=0))
    lines = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<feed xmlns="http://www.w3.org/2005/Atom">',
        f"  <id>{escape(_id(xml_path))}</id>",
        f"  <title>{escape(_NOT_XML.sub('', title))}</title>",
        f"  <updated>{updated}</updated>",
        "  <author><name>newsmirror</name></author>",
        '  <generator uri="https://github.com/">newsmirror</generator>',
    ]
    if public_url:
        lines.append(f'  <link rel="self" href={quoteattr(_public(xml_path, public_url))}/>')
    if home:
        lines.append(f'  <link rel="alternate" href={quoteattr(home)}/>')
    head = ("\n".join(lines) + "\n").encode("utf-8")
    return head + b"".join(entry.atom + b"\n" for entry in entries) + b"</feed>\n"


def _atom_entry(item: FeedItem, public_url: str, shown: _Shown) -> str:
    article = item.article
    mirrored = _public(item.path, public_url)
    lines = [
        "  <entry>",
        f"    <id>{escape(_id(item.path))}</id>",
        f"    <title>{escape(_NOT_XML.sub('', shown.title))}</title>",
        f"    <updated>{shown.time}</updated>",
        f"    <published>{shown.time}</published>",
        f"    <category term={quoteattr(item.site.slug)} label={quoteattr(item.site.name)}/>",
    ]
    if mirrored:
        lines.append(f'    <link rel="alternate" href={quoteattr(mirrored)}/>')
    if article.url:
        rel = "related" if mirrored else "alternate"
        lines.append(f"    <link rel={quoteattr(rel)} href={quoteattr(article.url)}/>")
    lines += [
        f'    <content type="html">{escape(shown.content)}</content>',
        "  </entry>",
    ]
    return "\n".join(lines)


def json_feed(
    key: str, title: str, entries: Sequence[RenderedEntry], public_url: str, home: str = ""
) -> bytes:
    """The JSON Feed of these entries, in UTF-8."""
    _, json_path = feed_paths(key)
    feed: dict[str, object] = {"version": "https://jsonfeed.org/version/1.1", "title": title}
    if home:
        feed["home_page_url"] = home
    if public_url:
        feed["feed_url"] = _public(json_path, public_url)
    # One item per line: readable and diffable, each item dumped once (by json's C encoder:
    # an indented dump runs the pure-Python one, several times slower on full texts).
    head = json.dumps(feed, ensure_ascii=False)[:-1].encode("utf-8")
    if not entries:
        return head + b', "items": []}\n'
    return head + b', "items": [\n' + b",\n".join(e.json for e in entries) + b"\n]}\n"


def _json_item(item: FeedItem, public_url: str, shown: _Shown) -> dict[str, object]:
    article = item.article
    entry: dict[str, object] = {
        "id": _id(item.path),
        "title": shown.title,
        "content_html": shown.content,
        "date_published": shown.time,
        "tags": [item.site.name],
    }
    mirrored = _public(item.path, public_url)
    if mirrored:
        entry["url"] = mirrored
        if article.url:
            entry["external_url"] = article.url
    elif article.url:
        entry["url"] = article.url
    return entry


_GITHUB = re.compile(
    r"^(?:https://github\.com/|git@github\.com:|ssh://git@github\.com/)"
    r"([A-Za-z0-9_.-]+)/([A-Za-z0-9_.-]+?)(?:\.git)?/?$"
)


def public_url_for(remote_url: str, branch: str) -> str:
    """Where GitHub shows the files of a repository whose remote is `remote_url`, "" when it
    is not a GitHub remote."""
    match = _GITHUB.match(remote_url.strip())
    if not match or not branch:
        return ""
    owner, repo = match.groups()
    return f"https://github.com/{owner}/{repo}/blob/{quote(branch)}/"
