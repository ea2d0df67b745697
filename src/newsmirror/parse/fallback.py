"""feedparser as the tolerant fallback for documents the fast path cannot read."""

from __future__ import annotations

import calendar
import warnings
from typing import Any

from newsmirror.errors import ParseError
from newsmirror.records import FeedEntry, ParsedFeed

# feedparser's names for the formats, as the fast path names them.
_FORMATS = {
    "rss090": "rss0.90",
    "rss091u": "rss0.91",
    "rss091n": "rss0.91",
    "rss092": "rss0.92",
    "rss093": "rss0.93",
    "rss094": "rss0.94",
    "rss20": "rss2.0",
    "rss10": "rss1.0",
    "rss": "rss",
    "atom01": "atom0.3",
    "atom02": "atom0.3",
    "atom03": "atom0.3",
    "atom10": "atom1.0",
}


def parse_tolerant(body: bytes) -> ParsedFeed:
    import feedparser  # imported here: it is slow to import and rarely needed

    # Leave the publisher's markup alone, so that what we archive is what they wrote.
    try:
        result = feedparser.parse(body, sanitize_html=False, resolve_relative_uris=False)
    except Exception as exc:  # its own bug on a broken document: for us, not a feed we can read
        raise ParseError(f"unreadable even by the tolerant parser: {type(exc).__name__}") from exc
    if not result.entries and not result.get("version"):
        reason = result.get("bozo_exception") or "no feed found"
        raise ParseError(f"not a feed: {reason}", kind="not_a_feed")
    with warnings.catch_warnings():
        # feedparser warns when updated_parsed is read through its published_parsed alias.
        warnings.simplefilter("ignore", DeprecationWarning)
        entries = tuple(_entry(e) for e in result.entries)
    version = result.get("version") or "unknown"
    language = _str(result.get("feed", {}).get("language"))
    return ParsedFeed(
        format=_FORMATS.get(version, version), entries=entries, recovered=True, language=language
    )


def _entry(entry: Any) -> FeedEntry:
    stamp = entry.get("published_parsed") or entry.get("updated_parsed")
    bodies = [_str(c.get("value")) for c in entry.get("content") or () if c]
    bodies += [_str(entry.get("summary"))]
    bodies = [b for b in bodies if b.strip()]
    return FeedEntry(
        title=_str(entry.get("title")),
        link=_str(entry.get("link")),
        guid=_str(entry.get("id")),
        published_ms=calendar.timegm(stamp) * 1000 if stamp else None,
        content=bodies[0] if bodies else "",
        categories=tuple(_str(t.get("term")) for t in entry.get("tags") or () if t),
        other_bodies=tuple(bodies[1:]),
        original_link=_str(entry.get("feedburner_origlink")),
    )


def _str(value: object) -> str:
    """feedparser leaves a field None when an element is broken; our records hold text."""
    return value if isinstance(value, str) else ""
