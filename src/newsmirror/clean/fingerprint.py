"""What a story's text is, apart from how one copy of it is spelled: a hash for "did it change"
that ignores noise, and a fingerprint for "is this the same story" under a new guid and link.

- `body_hash` changes when the body a reader sees changes, not for the feedx footer's rotating
  domain, tracking parameters in links, or white space (titles are compared as they are).
- `simhash` is a 64-bit SimHash over the character trigrams of the visible text's lead (its
  first `FINGERPRINT_CHARS` characters), folded to Simplified characters (OpenCC), without white
  space or punctuation: near-identical texts get fingerprints a few bits apart; different
  texts about 32 bits apart. It is computed a whole text at a time in big-integer arithmetic
  (one 64-bit lane a trigram), since a loop over trigrams in Python cost a millisecond a story.
- `is_traditional` tells a Traditional copy of a story from a Simplified one.
- `features` gives all three of a story's text at once, folding it once.
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Callable
from functools import lru_cache

from newsmirror.clean.footer import strip_feedx_footer
from newsmirror.clean.urls import link_key

_TAG = re.compile(r"<[^>]*>")
# An attribute's quoted value, found from its `=` (a pattern that starts with a literal is
# scanned fast); `_steady_link` keeps it only when the attribute is a link (href, src).
_QUOTED_VALUE = re.compile(r"""=\s*(["'])([^"']*)\1""")
_LINK_NAME = re.compile(r"(?<!\w)(?:href|src)\s*$", re.IGNORECASE)
_AROUND_TAGS = re.compile(r"\s*(<[^>]*>)\s*")
_NOT_TEXT = re.compile(r"[\W_]+")  # white space and punctuation (CJK characters are \w)
_MASK = (1 << 64) - 1
_BLOCK_END = re.compile(
    r"<br\s*/?>|</(?:p|div|li|h[1-6]|blockquote|tr|figure|figcaption|pre)\s*>", re.IGNORECASE
)


def visible_text(body: str) -> str:
    """The text a reader sees in an HTML body, white space collapsed."""
    text = html.unescape(_TAG.sub(" ", body)) if "<" in body or "&" in body else body
    return " ".join(text.split())  # (what `\s+` to " " and strip give, at C speed)


def paragraphs(body: str) -> list[str]:
    """A body's visible text, one paragraph a line."""
    marked = _BLOCK_END.sub("\n", body)
    text = html.unescape(_TAG.sub("", marked))
    return [" ".join(line.split()) for line in text.split("\n") if line.strip()]


def steady_body(body: str) -> str:
    """The body without what changes while the story does not: the feedx footer (whatever its
    domain), tracking parameters in links, white space."""
    body = strip_feedx_footer(body)
    if "=" in body:  # (values of other attributes are kept as they are by `_steady_link`)
        body = _QUOTED_VALUE.sub(_steady_link, body)
    if "<!" not in body and body.count("<") == body.count(">"):
        # Every `<` and `>` is a tag's (text escapes `<`, and no `>` is left over): white
        # space next to tags goes by two C-speed replaces after the collapse, the same as
        # the pattern below, which is tried at every character. (`split` and `join` collapse
        # white space as `\s+` does, the same characters, faster.)
        return " ".join(body.split()).replace("> ", ">").replace(" <", "<")
    return " ".join(_AROUND_TAGS.sub(r"\1", body).split())


def _steady_link(match: re.Match[str]) -> str:
    start = match.start()
    if not _LINK_NAME.search(match.string, max(0, start - 32), start):
        return match.group()
    quote = match.group(1)
    url = link_key(html.unescape(match.group(2)))
    return match.group()[: match.start(1) - start] + quote + html.escape(url) + quote


def story_text(body: str) -> str:
    """The visible text a story is compared on (without the feedx footer; links and white
    space next to tags change nothing a reader sees)."""
    return visible_text(strip_feedx_footer(body))


def body_hash(body: str) -> str:
    """16 hex digits that change when the steady body changes."""
    return hashlib.sha1(steady_body(body).encode("utf-8", "surrogatepass")).hexdigest()[:16]


def entry_hash(*parts: str) -> str:
    """16 hex digits of a feed item as sent (noise included): equal, and nothing changed."""
    digest = hashlib.sha1()
    for part in parts:
        digest.update(part.encode("utf-8", "surrogatepass") + b"\0")
    return digest.hexdigest()[:16]


@lru_cache(maxsize=1)
def _simplified() -> Callable[[str], str]:
    """OpenCC's Traditional-to-Simplified converter, loaded when first needed."""
    import opencc

    return opencc.OpenCC("t2s").convert


def to_simplified(text: str) -> str:
    """Text with Traditional characters in their Simplified forms (OpenCC)."""
    return _simplified()(text)


def folded(text: str) -> str:
    """Text as compared across copies: Simplified characters, lower case, no white space or
    punctuation."""
    return _NOT_TEXT.sub("", _simplified()(text).lower())


_HAN_RUN = re.compile("[\u4e00-\u9fff]+")


# Where OpenCC's Traditional forms are: CJK Extension A and the unified ideographs, and the
# compatibility ideographs (the supplementary planes' are told by range alone, below).
_CJK_BLOCKS = ((0x3400, 0xA000), (0xF900, 0xFB00))
_SUPPLEMENTARY_CJK = "\U00020000-\U0003ffff"


@lru_cache(maxsize=1)
def _changed_chars() -> tuple[str, ...]:
    """The characters of `_CJK_BLOCKS` that OpenCC, given each alone, writes otherwise in
    Simplified (asked once, in one call)."""
    chars = [chr(code) for start, end in _CJK_BLOCKS for code in range(start, end)]
    simplified = _simplified()("\n".join(chars)).split("\n")
    if len(simplified) != len(chars):  # (not expected: then every such character counts)
        return tuple(chars)
    return tuple(c for c, s in zip(chars, simplified, strict=True) if c != s)


@lru_cache(maxsize=1)
def _traditional_forms() -> re.Pattern[str]:
    """The CJK characters that OpenCC writes otherwise in Simplified."""
    return re.compile("[" + "".join(c for c in _changed_chars() if "\u4e00" <= c <= "\u9fff") + "]")


@lru_cache(maxsize=1)
def _convertible() -> re.Pattern[str]:
    """Any character OpenCC would change: a text without one is its own Simplified form
    (but for a phrase of unchanged characters that converts as a whole, which is rare)."""
    return re.compile("[" + "".join(_changed_chars()) + _SUPPLEMENTARY_CJK + "]")


def is_traditional(text: str, simplified: str | None = None) -> bool:
    """True when a clear share of the text's Chinese characters are Traditional forms (a
    Simplified text has none that OpenCC would change). `simplified`: the text's OpenCC
    form, when already made."""
    if (simplified if simplified is not None else _simplified()(text)) == text:
        return False  # (the common case, told at once)
    han = sum(map(len, _HAN_RUN.findall(text)))
    if han < 10:
        return False
    return len(_traditional_forms().findall(text)) >= max(3, han // 50)


FINGERPRINT_CHARS = 512  # of folded text: a story's lead, which a re-issue keeps

# Masks over `FINGERPRINT_CHARS` 64-bit lanes (an AND costs only the shorter operand).
_LOW32 = int.from_bytes(b"\xff\xff\xff\xff\x00\x00\x00\x00" * FINGERPRINT_CHARS, "little")
_LOW35 = int.from_bytes((2**35 - 1).to_bytes(8, "little") * FINGERPRINT_CHARS, "little")
_BYTE_BIT = [int.from_bytes(bytes([1 << k]) * FINGERPRINT_CHARS, "little") for k in range(8)]
# Three multiply-xorshift rounds (two gave small edits more flipped bits on real stories).
_ROUNDS = ((0x9E3779B1, 0x85EBCA77), (0xC2B2AE3D, 0x27D4EB2F), (0x165667B1, 0xD3A2646D))


# The letters and digits of lower-cased text, listed (a pattern of ranges is matched faster
# than one that asks each character's Unicode category, as `folded` does).
_LEAD_TEXT = re.compile(r"[0-9a-z\u00c0-\u1fff\u3040-\u9fff\uac00-\ud7af\uf900-\ufaff]+")


_LEAD_CHARS = 2 * FINGERPRINT_CHARS  # of visible text: enough letters once spaces and
# punctuation are gone


def _folded_lead(simplified: str) -> str:
    """The letters and digits of the lead, lower case; at least `FINGERPRINT_CHARS` of them
    when the first `_LEAD_CHARS` characters hold that many. (Three quarters of that is read
    first, which is enough for most texts: the letters of a prefix are a prefix of the
    letters, so the first `FINGERPRINT_CHARS` come out the same.)"""
    lead = "".join(_LEAD_TEXT.findall(simplified[: _LEAD_CHARS * 3 // 4].lower()))
    if len(lead) < FINGERPRINT_CHARS and len(simplified) > _LEAD_CHARS * 3 // 4:
        lead = "".join(_LEAD_TEXT.findall(simplified[:_LEAD_CHARS].lower()))
    return lead


def simhash(text: str) -> int:
    """The 64-bit SimHash (as a signed integer, for SQLite) of the trigrams of a text's folded
    lead; 0 for a text too short to have any."""
    return simhash_of_folded(_folded_lead(_simplified()(text)))


def simhash_of_folded(text: str) -> int:
    """`simhash` of text already folded (Simplified, lower case, letters and digits). Every
    trigram is one 64-bit lane of a big integer (its three code points side by side), hashed
    lane-wise by three multiply-xorshift rounds whose products fit their lanes; then each of
    the 64 bits is set when most lanes have it."""
    text = text[:FINGERPRINT_CHARS]
    grams = len(text) - 2
    if grams < 1:
        return 0
    codes = text.encode("utf-32-le", "surrogatepass")
    lanes = bytearray(8 * len(text))
    for byte in range(3):  # a code point (< 2**21) in the low bytes of its lane
        lanes[byte::8] = codes[byte::4]
    x = int.from_bytes(lanes, "little")
    v = (x ^ (x >> 64 << 21) ^ (x >> 128 << 42)) & ((1 << (64 * grams)) - 1)
    z = v
    for low, high in _ROUNDS:  # (each half times a 32-bit odd number: no carry leaves a lane)
        z = ((z & _LOW32) * low) ^ (((z >> 32) & _LOW32) * high)
        z ^= (z >> 29) & _LOW35
    z ^= (z >> 32) & _LOW32
    hashed = z.to_bytes(8 * grams, "little")
    value = 0
    for byte in range(8):
        column = int.from_bytes(hashed[byte::8], "little")  # this byte of every hash
        for bit in range(8):
            if 2 * (column & _BYTE_BIT[bit]).bit_count() > grams:
                value |= 1 << (8 * byte + bit)
    return value - (1 << 64) if value >> 63 else value


def features(title: str, body: str) -> tuple[int, int, bool]:
    """A story's fingerprint, its length in visible characters (without white space) and
    whether it is a Traditional copy (told from the title and the lead: a copy is written in
    one script throughout), from its title and HTML body."""
    story = story_text(body)
    # Only the lead is converted (OpenCC costs in proportion to the text), a little beyond
    # what `_folded_lead` reads, so that a phrase across its end converts as in the whole text.
    lead = title + "\n" + story[: _LEAD_CHARS + 16]
    # Once, for both the fingerprint and the script; and not at all for a text with nothing
    # to convert (most are Simplified already): a search is several times cheaper.
    simplified = _simplified()(lead) if _convertible().search(lead) else lead
    simplified_story = simplified.rpartition("\n")[2]  # (story_text leaves no line break)
    return (
        simhash_of_folded(_folded_lead(simplified_story)),
        len(story) - story.count(" "),  # (story_text leaves single spaces only)
        is_traditional(lead, simplified),
    )


def distance(a: int, b: int) -> int:
    """How many of two fingerprints' 64 bits differ."""
    return ((a ^ b) & _MASK).bit_count()
