"""JSON Feed 1.0 and 1.1."""

from __future__ import annotations

import html
import json
from typing import Any

from newsmirror.errors import ParseError
from newsmirror.parse.dates import read_date
from newsmirror.records import FeedEntry, ParsedFeed


def parse_json(body: bytes | str) -> ParsedFeed:
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ParseError(f"not valid JSON: {exc}") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("items"), list):
        raise ParseError("not a JSON Feed: no items array", kind="not_a_feed")
    version = str(doc.get("version", ""))
    fmt = "json" + version.rstrip("/").rpartition("/")[2].replace("version", "")
    entries = tuple(_entry(item) for item in doc["items"] if isinstance(item, dict))
    return ParsedFeed(
        format=fmt,
        entries=entries,
        language=_str(doc.get("language")),
    )


def _entry(item: dict[str, Any]) -> FeedEntry:
    text = _str(item.get("content_text")).strip()
    bodies = [
        _str(item.get("content_html")),
        f"<p>{html.escape(text, quote=False)}</p>".replace("\n", "<br>") if text else "",
        _str(item.get("summary")),
    ]
    bodies = [b for b in bodies if b.strip()]
    tags = item.get("tags") if isinstance(item.get("tags"), list) else []
    date = read_date(_str(item.get("date_published")) or _str(item.get("date_modified")))
    return FeedEntry(
        title=_str(item.get("title")),
        link=_str(item.get("url")) or _str(item.get("external_url")),
        guid=_str(item.get("id")),
        published_ms=date.ms if date else None,
        content=bodies[0] if bodies else "",
        categories=tuple(_str(t) for t in tags),
        other_bodies=tuple(bodies[1:]),
        zoned=date.zoned if date else True,
    )


def _str(value: Any) -> str:
    if value is None or isinstance(value, dict | list):
        return ""
    return value if isinstance(value, str) else str(value)
