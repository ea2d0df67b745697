"""Feed documents (bytes) to typed entries.

A small detector picks the reader: JSON Feed, or RSS/Atom through lxml (the fast path,
with libxml2's recovery for broken XML), and feedparser for what neither can read.
"""

from __future__ import annotations

from newsmirror.errors import ParseError
from newsmirror.parse.fallback import parse_tolerant
from newsmirror.parse.jsonfeed import parse_json
from newsmirror.parse.xmlfeeds import parse_xml
from newsmirror.records import ParsedFeed

__all__ = ["ParseError", "parse_feed"]

_WHITESPACE = b" \t\r\n\x0c"
_MARKERS = (b"<item", b"<entry", b"<rss", b"<feed", b"<rdf:RDF")


def parse_feed(body: bytes) -> ParsedFeed:
    """Read a feed document; raise ParseError when it is not one."""
    start = body.lstrip(_WHITESPACE)
    if start[:1] in (b"{", b"["):
        return parse_json(start)
    if start.startswith(b"\xef\xbb\xbf"):
        stripped = start[3:].lstrip(_WHITESPACE)
        if stripped[:1] == b"{":
            return parse_json(stripped)
    try:
        feed = parse_xml(start)
    except ParseError:
        if not _looks_like_feed(start):
            raise
        return parse_tolerant(start)
    if feed.recovered and not feed.entries and _looks_like_feed(start):
        return parse_tolerant(start)
    return feed


def _looks_like_feed(body: bytes) -> bool:
    head = body[:65536].lower()
    return any(marker.lower() in head for marker in _MARKERS)
