"""Byte-level repairs for XML that a strict parser rejects, run only after it did.

libxml2's recovery drops the text around an undeclared entity (`&nbsp;`, `&mdash;`) and the
whole value after a bare `&` in a URL, so the usual faults of hand-made feeds are mended first:
HTML named references become numeric ones, bare ampersands are escaped, characters XML forbids
are dropped, and anything before the document's first markup is cut. CDATA sections and comments
are left exactly as they are (a `&` there is already literal text).
"""

from __future__ import annotations

import re
from html.entities import html5

_XML_NAMED = frozenset((b"amp", b"lt", b"gt", b"quot", b"apos"))
_REFERENCE = re.compile(rb"&(?:#(\d{1,8});|#[xX]([0-9a-fA-F]{1,7});|([A-Za-z][A-Za-z0-9]{0,31});)?")
_OPAQUE = re.compile(rb"(<!\[CDATA\[.*?(?:\]\]>|\Z)|<!--.*?(?:-->|\Z))", re.S)
_DOCTYPE = re.compile(rb"<!DOCTYPE[^\[>]*(?:\[.*?\]\s*)?>", re.S | re.I)
_DECLARED_ENTITY = re.compile(rb"<!ENTITY\s+%?\s*([A-Za-z_:][\w.:-]*)", re.I)
# C0 controls other than tab, LF and CR, and the UTF-8 forms of U+FFFE and U+FFFF.
_FORBIDDEN = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]|\xef\xbf[\xbe\xbf]")
_FIRST_MARKUP = re.compile(rb"<[?!A-Za-z_]")


def repair(data: bytes) -> bytes:
    """A copy of UTF-8 XML with the common well-formedness faults mended."""
    data = _FORBIDDEN.sub(b"", _from_first_markup(data))
    prolog, body = _split_prolog(data)
    declared = frozenset(_DECLARED_ENTITY.findall(prolog))
    pieces = _OPAQUE.split(body)
    for i in range(0, len(pieces), 2):  # even pieces are markup and text, odd ones opaque
        pieces[i] = _REFERENCE.sub(lambda m: _fix_reference(m, declared), pieces[i])
    return prolog + b"".join(pieces)


def declares_entities(data: bytes) -> bool:
    """Whether an internal DTD subset declares entities (never expanded, never handed on)."""
    head = data[:65536]
    match = _DOCTYPE.search(head)
    return bool(match and _DECLARED_ENTITY.search(match.group(0)))


def has_doctype(data: bytes) -> bool:
    return b"<!doctype" in data[:4096].lower()


def _from_first_markup(data: bytes) -> bytes:
    """Cut blank lines, stray bytes or a second BOM before the declaration or root."""
    start = data.find(b"<?xml", 0, 4096)
    if start < 0:
        match = _FIRST_MARKUP.search(data, 0, 4096)
        start = match.start() if match else 0
    return data[start:] if start > 0 else data


def _split_prolog(data: bytes) -> tuple[bytes, bytes]:
    match = _DOCTYPE.search(data, 0, 65536)
    if match is None:
        return b"", data
    return data[: match.end()], data[match.end() :]


def _fix_reference(match: re.Match[bytes], declared: frozenset[bytes]) -> bytes:
    decimal, hexadecimal, name = match.groups()
    if decimal or hexadecimal:
        code = int(decimal or hexadecimal, 10 if decimal else 16)
        return match.group(0) if _allowed(code) else b"&#xFFFD;"
    if name is None:
        return b"&amp;"  # a bare ampersand, as in a URL's query string
    if name in _XML_NAMED or name in declared:
        return match.group(0)
    characters = html5.get(name.decode("ascii") + ";")
    if characters is None:
        return b"&amp;" + name + b";"  # unknown: keep it as the literal text it was
    return b"".join(b"&#%d;" % ord(c) for c in characters)


def _allowed(code: int) -> bool:
    return (
        code in (0x9, 0xA, 0xD)
        or 0x20 <= code <= 0xD7FF
        or (0xE000 <= code <= 0x10FFFF and (code not in (0xFFFE, 0xFFFF)))
    )
