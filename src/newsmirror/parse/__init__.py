"""Feed documents (bytes) to typed entries.

A small detector picks the reader: JSON Feed, or RSS/Atom through lxml. A document that
declares UTF-8 (or nothing) is parsed as it is, with no decoding or copy; any other document,
and one that fails that strict parse, first has its encoding decided (parse.decode) and is
re-encoded as UTF-8. Ill-formed XML is mended (parse.repair) and parsed again, with libxml2's
recovery for what is still broken, and feedparser as the fallback when recovery finds fewer
items than the document holds.
"""

from __future__ import annotations

import re

from newsmirror.errors import ParseError
from newsmirror.parse.decode import bom_encoding, codec_name, decide, declared_charset, to_utf8
from newsmirror.parse.fallback import parse_tolerant
from newsmirror.parse.jsonfeed import parse_json
from newsmirror.parse.repair import declares_entities, has_doctype
from newsmirror.parse.xmlfeeds import parse_strict, parse_xml
from newsmirror.records import ParsedFeed

__all__ = ["ParseError", "parse_feed"]

_WHITESPACE = b" \t\r\n\x0c"
_MARKERS = (b"<item", b"<entry", b"<rss", b"<feed", b"<rdf:rdf")
_ITEM_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(?:item|entry)[\s>/]")


def parse_feed(body: bytes, content_type: str = "") -> ParsedFeed:
    """Read a feed document; raise ParseError when it is not one.

    content_type is the HTTP Content-Type header, whose charset outranks the document's own
    declaration (but not its byte order mark)."""
    start = body.lstrip(_WHITESPACE)
    if _is_json(start):
        return _parse_json(start, content_type)
    if _plain_utf8(start):
        feed = parse_strict(start)
        if feed is not None:
            return feed
    decision = decide(start, content_type)
    if decision.encoding == "utf-8" and _plain_utf8(start):
        data = start
    else:
        data = to_utf8(start, decision)
    return _parse_tolerantly(data)


def _parse_tolerantly(data: bytes) -> ParsedFeed:
    # A document declaring its own entities never reaches feedparser, whose XML stack would
    # expand them: lxml leaves them unexpanded.
    hostile = declares_entities(data)
    try:
        feed = parse_xml(data)
    except ParseError:
        if hostile or not _looks_like_feed(data):
            raise
        return parse_tolerant(data)
    if not feed.recovered or hostile or not _looks_like_feed(data):
        return feed
    if len(feed.entries) >= len(_ITEM_TAG.findall(data)):
        return feed
    # Recovery lost items (an unclosed tag can end the tree early): ask the tolerant parser.
    try:
        other = parse_tolerant(data)
    except ParseError:
        return feed
    return other if len(other.entries) > len(feed.entries) else feed


def _plain_utf8(start: bytes) -> bool:
    """Whether libxml2 would read the bytes as UTF-8 and we would too (when they are valid)."""
    bom = bom_encoding(start)
    if bom is not None and bom[0] != "utf-8":
        return False
    declared = declared_charset(start[3:] if bom else start)
    return (declared is None or codec_name(declared) == "utf-8") and not has_doctype(start)


def _is_json(start: bytes) -> bool:
    bom = bom_encoding(start)
    head = start[bom[1] if bom else 0 : 64].replace(b"\x00", b"").lstrip(_WHITESPACE)
    return head[:1] in (b"{", b"[")


def _parse_json(start: bytes, content_type: str) -> ParsedFeed:
    if bom_encoding(start) is None and start[:1] in (b"{", b"["):
        try:
            return parse_json(start.decode("utf-8"))
        except UnicodeDecodeError:
            pass
    decision = decide(start, content_type, json=True)
    bom = bom_encoding(start)
    if bom and bom[0] == decision.encoding:
        start = start[bom[1] :]
    return parse_json(start.decode(decision.encoding, errors="replace").lstrip("\ufeff"))


def _looks_like_feed(body: bytes) -> bool:
    head = body[:65536].lower()
    return any(marker in head for marker in _MARKERS)
