"""Which encoding a feed document is in, and its bytes as UTF-8 for the XML parser.

Sources of truth, strongest first: a byte order mark, the HTTP Content-Type charset, the XML
declaration (JSON: the RFC 8259/4627 null-byte rule), then detection. Declarations lie, so each
is checked against the bytes: a charset that does not decode them is passed over, a UTF-16/32
declaration on ASCII-shaped bytes is ignored, and bytes that are valid UTF-8 with non-ASCII
content are read as UTF-8 whatever legacy charset is declared (text in GBK, Big5 or Latin-1 is
practically never valid UTF-8 by accident, while UTF-8 pages served as "gbk" are common).
Legacy charsets are widened to the supersets publishers really use (gb2312 → gb18030,
iso-8859-1 → windows-1252, big5 → big5hkscs).
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# XML spec appendix F: the first four bytes of "<?xm" without a BOM.
_UNMARKED = (
    (b"\x00\x00\x00<", "utf-32-be"),
    (b"<\x00\x00\x00", "utf-32-le"),
    (b"\x00<\x00?", "utf-16-be"),
    (b"<\x00?\x00", "utf-16-le"),
)
_DECLARATION = re.compile(rb"^\s*<\?xml[^>]*?\bencoding\s*=\s*[\"']\s*([A-Za-z0-9._:-]+)", re.I)
_XML_DECL = re.compile(rb"^\s*<\?xml\b[^>]*\?>")
_CHARSET = re.compile(r"charset\s*=\s*[\"']?\s*([A-Za-z0-9._:-]+)", re.I)

# What publishers mean when they name these: the superset a browser would use.
_WIDER = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "gb18030": "gb18030",
    "latin-1": "cp1252",
    "iso8859-1": "cp1252",
    "ascii": "cp1252",
    "big5": "big5hkscs",
    "euc_kr": "cp949",
    "shift_jis": "cp932",
    "iso8859-9": "cp1254",
    "tis-620": "cp874",
    "iso8859-11": "cp874",
}
_HIGH_BYTES = bytes(range(0x80, 0x100))
_HIGH_CLUSTERS = re.compile(rb"[\x80-\xff]{2,}")
_HIGH_WORDS = re.compile(rb"[\x40-\xff]*[\x80-\xff][\x40-\xff]*")
_WIDE_UNICODE = ("utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be")


@dataclass(frozen=True, slots=True)
class Decision:
    encoding: str  # a Python codec name
    source: str  # "bom", "http", "declaration", "utf-8", "detected" or "fallback"


def codec_name(label: str | None) -> str | None:
    """The Python codec for a charset label, widened to its common superset; None if unknown."""
    if not label:
        return None
    try:
        name = codecs.lookup(label.strip().strip("\"'")).name
    except (LookupError, ValueError):
        return None
    return _WIDER.get(name, name)


def header_charset(content_type: str) -> str | None:
    match = _CHARSET.search(content_type or "")
    return match.group(1) if match else None


def declared_charset(body: bytes) -> str | None:
    """The encoding named by the XML declaration at the start, if any."""
    match = _DECLARATION.match(body[:512])
    return match.group(1).decode("ascii") if match else None


def bom_encoding(body: bytes) -> tuple[str, int] | None:
    for mark, name in _BOMS:
        if body.startswith(mark):
            return name, len(mark)
    return None


def decide(body: bytes, content_type: str = "", json: bool = False) -> Decision:
    """Choose the encoding of a document (without its BOM handled: see to_utf8)."""
    bom = bom_encoding(body)
    if bom and _decodes(body[bom[1] :], bom[0]):
        return Decision(bom[0], "bom")
    for source, label in (
        ("http", header_charset(content_type)),
        ("declaration", None if json else declared_charset(body)),
    ):
        name = codec_name(label)
        if name is None or (name in _WIDE_UNICODE and not _wide_shaped(body)):
            continue  # unknown, or a UTF-16/32 claim about bytes that are plainly 8-bit
        if name != "utf-8" and _is_utf8_with_non_ascii(body):
            return Decision("utf-8", "utf-8")
        for candidate in (name, "latin-1") if name == "cp1252" else (name,):
            if _decodes(body, candidate):  # cp1252 leaves five bytes undefined: latin-1 then
                return Decision(candidate, source)
    unmarked = _unmarked(body, json)
    if unmarked:
        return Decision(unmarked, "declaration")
    if _decodes(body, "utf-8"):
        return Decision("utf-8", "utf-8")
    return Decision(_detect(body), "detected")


def to_utf8(body: bytes, decision: Decision) -> bytes:
    """The document re-encoded as UTF-8, its BOM dropped and its declaration saying UTF-8."""
    bom = bom_encoding(body)
    if bom and bom[0] == decision.encoding:
        body = body[bom[1] :]
    text = body.decode(decision.encoding, errors="replace")
    text = text.removeprefix("\ufeff")
    data = text.encode("utf-8")
    return _XML_DECL.sub(b'<?xml version="1.0" encoding="UTF-8"?>', data, count=1)


def _decodes(body: bytes, name: str) -> bool:
    try:
        body.decode(name)
    except (UnicodeDecodeError, LookupError):
        return False
    return True


def _is_utf8_with_non_ascii(body: bytes) -> bool:
    return not body.isascii() and _decodes(body, "utf-8")


def _wide_shaped(body: bytes) -> bool:
    """Whether the start looks like UTF-16/32 (a BOM or NUL bytes around the first '<')."""
    head = body[:4]
    return bom_encoding(body) is not None or b"\x00" in head


def _unmarked(body: bytes, json: bool) -> str | None:
    head = body.lstrip(b" \t\r\n")[:4] if not json else body[:4]
    if json and len(head) == 4:
        # RFC 4627: the first two characters are ASCII, so NULs give the encoding away.
        nuls = tuple(b == 0 for b in head)
        return {
            (True, True, True, False): "utf-32-be",
            (False, True, True, True): "utf-32-le",
            (True, False, True, False): "utf-16-be",
            (False, True, False, True): "utf-16-le",
        }.get(nuls)
    return next((name for prefix, name in _UNMARKED if head.startswith(prefix)), None)


def _detect(body: bytes) -> str:
    from charset_normalizer import from_bytes  # imported here: only undeclared legacy bytes

    sample = body[:200_000]
    high = len(sample) - len(sample.translate(None, _HIGH_BYTES))
    clustered = sum(map(len, _HIGH_CLUSTERS.findall(sample)))
    if high and clustered > 0.5 * high:
        # Multi-byte text (CJK, or words of a non-Latin script) in a mostly ASCII document:
        # the markup only dilutes the statistics, so judge the words holding those bytes.
        sample = b" ".join(_HIGH_WORDS.findall(sample))
    matches = list(from_bytes(sample))
    if not matches:
        return "cp1252"
    # Latin code pages differ in a handful of letters, so on Western text several tie as
    # equally plausible; windows-1252, by far the most used of them, wins such a tie.
    least = min(match.chaos for match in matches)
    tied = [codec_name(m.encoding) for m in matches if m.chaos <= least + 0.02]
    if "cp1252" in tied and _decodes(body, "cp1252"):
        return "cp1252"
    name = next((n for n in tied if n and _decodes(body, n)), None)
    return name or "cp1252"
