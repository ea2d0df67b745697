"""feedparser as the tolerant fallback for documents the fast path cannot read."""

from __future__ import annotations

import calendar
from typing import Any

from newsmirror.errors import ParseError
from newsmirror.records import FeedEntry, ParsedFeed


def parse_tolerant(body: bytes) -> ParsedFeed:
    import feedparser  # imported here: it is slow to import and rarely needed

    # Leave the publisher's markup alone, so that what we archive is what they wrote.
    result = feedparser.parse(body, sanitize_html=False, resolve_relative_uris=False)
    if not result.entries and not result.get("version"):
        reason = result.get("bozo_exception") or "no feed found"
        raise ParseError(f"not a feed: {reason}")
    entries = tuple(_entry(e) for e in result.entries)
    return ParsedFeed(format=result.get("version") or "unknown", entries=entries, recovered=True)


def _entry(entry: Any) -> FeedEntry:
    stamp = entry.get("published_parsed") or entry.get("updated_parsed")
    content = ""
    if entry.get("content"):
        content = entry["content"][0].get("value", "")
    return FeedEntry(
        title=entry.get("title", ""),
        link=entry.get("link", ""),
        guid=entry.get("id", ""),
        published_ms=calendar.timegm(stamp) * 1000 if stamp else None,
        content=content or entry.get("summary", ""),
        categories=tuple(t.get("term", "") for t in entry.get("tags", []) if t),
    )
