"""What a story's text is, apart from how one copy of it is spelled: a hash for "did it change"
that ignores noise, and a fingerprint for "is this the same story" under a new guid and link.

- `body_hash` changes when the body a reader sees changes, not for the feedx footer's rotating
  domain, tracking parameters in links, or white space (titles are compared as they are).
- `simhash` is a 64-bit SimHash over character trigrams of the visible text, folded to
  Simplified characters (OpenCC), without white space or punctuation: near-identical texts get
  fingerprints a few bits apart; different texts about 32 bits apart.
- `is_traditional` tells a Traditional copy of a story from a Simplified one.
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
_SPACE = re.compile(r"\s+")
_AROUND_TAGS = re.compile(r"\s*(<[^>]*>)\s*")
_HREF = re.compile(r"""(\b(?:href|src)\s*=\s*)(["'])([^"']*)\2""", re.IGNORECASE)
_NOT_TEXT = re.compile(r"[\W_]+")  # white space and punctuation (CJK characters are \w)
_MASK = (1 << 64) - 1
_BLOCK_END = re.compile(
    r"<br\s*/?>|</(?:p|div|li|h[1-6]|blockquote|tr|figure|figcaption|pre)\s*>", re.IGNORECASE
)


def visible_text(body: str) -> str:
    """The text a reader sees in an HTML body, white space collapsed."""
    text = html.unescape(_TAG.sub(" ", body)) if "<" in body or "&" in body else body
    return _SPACE.sub(" ", text).strip()


def paragraphs(body: str) -> list[str]:
    """A body's visible text, one paragraph a line."""
    marked = _BLOCK_END.sub("\n", body)
    text = html.unescape(_TAG.sub("", marked))
    return [" ".join(line.split()) for line in text.split("\n") if line.strip()]


def steady_body(body: str) -> str:
    """The body without what changes while the story does not: the feedx footer (whatever its
    domain), tracking parameters in links, white space."""
    body = strip_feedx_footer(body)
    body = _HREF.sub(_steady_link, body)
    return _SPACE.sub(" ", _AROUND_TAGS.sub(r"\1", body)).strip()


def _steady_link(match: re.Match[str]) -> str:
    url = link_key(html.unescape(match.group(3)))
    return match.group(1) + match.group(2) + html.escape(url) + match.group(2)


def story_text(body: str) -> str:
    """The visible text a story is compared on: the steady body's."""
    return visible_text(steady_body(body))


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


def is_traditional(text: str) -> bool:
    """True when a clear share of the text's Chinese characters are Traditional forms (a
    Simplified text has none that OpenCC would change)."""
    han = [c for c in text if "\u4e00" <= c <= "\u9fff"]
    if len(han) < 10:
        return False
    simplified = _simplified()("".join(han))
    changed = sum(1 for a, b in zip(han, simplified, strict=False) if a != b)
    return changed >= max(3, len(han) // 50)


def simhash(text: str) -> int:
    """The 64-bit SimHash (as a signed integer, for SQLite) of folded text's trigrams; 0 for a
    text too short to have any."""
    folded_text = folded(text)
    if len(folded_text) < 3:
        return 0
    grams = {folded_text[i : i + 3] for i in range(len(folded_text) - 2)}
    # Every gram's 64-bit hash in a lane of one big integer: the grams with bit b set are
    # then counted at once, by masking that bit in every lane (C speed, not 64 loops a gram).
    lanes = b"".join(hashlib.blake2b(g.encode(), digest_size=8).digest() for g in grams)
    packed, count = int.from_bytes(lanes, "big"), len(grams)
    every_lane = ((1 << (64 * count)) - 1) // _MASK  # bit 0 of every lane
    value = 0
    for bit in range(64):
        if 2 * (packed & (every_lane << bit)).bit_count() > count:
            value |= 1 << bit
    return value - (1 << 64) if value >> 63 else value


def distance(a: int, b: int) -> int:
    """How many of two fingerprints' 64 bits differ."""
    return ((a ^ b) & _MASK).bit_count()
