"""Text rules of the archive format: JavaScript-style trimming and the one-line body."""

from __future__ import annotations

import re
from itertools import pairwise

# JavaScript's \s, which the old system trimmed with; str.strip() differs (see format.md).
JS_WHITESPACE = (
    "\t\n\v\f\r \u00a0\u1680"
    "\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000\ufeff"
)

# Scripts written without spaces between words: joining their lines with nothing is harmless.
# Thai, Lao, Myanmar, Khmer, CJK radicals/symbols/punctuation, kana, bopomofo, kanbun, enclosed
# and compatibility CJK, ideographs, compatibility forms, full-width forms, extension planes.
_UNSPACED_CLASS = (
    "\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u2e80-\u2fdf\u3000-\u303f\u3040-\u31ff"
    "\u3200-\u4dbf\u4e00-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef"
    "\U00020000-\U0003ffff"
)
_UNSPACED = re.compile(f"[{_UNSPACED_CLASS}]")
_PRE_OPEN = re.compile(r"<pre\b", re.IGNORECASE)
_PRE_CLOSE = re.compile(r"</pre\s*>", re.IGNORECASE)


def js_trim(text: str) -> str:
    return text.strip(JS_WHITESPACE)


def _protect_pre(content: str) -> str:
    """Keep line breaks of <pre> blocks' text as character references, so the body stays one
    line. A break inside a tag (`<a\nhref=...>`) is left to the line rule, which joins it with a
    space: a reference there would break the tag.

    A block runs from `<pre...>` to the first `</pre>` after it, blocks taken from left to
    right. One pass: once a `<pre` has no `>` or no `</pre>` after it, no later one has, so
    the search stops there (looking again from each later `<pre` made unclosed ones
    quadratic: 58 s for 40,000 of them)."""
    out: list[str] = []
    copied = searched = 0  # content[:copied] is in out; no block starts before `searched`
    while (opening := _PRE_OPEN.search(content, searched)) is not None:
        inside = content.find(">", opening.end()) + 1
        closing = _PRE_CLOSE.search(content, inside) if inside else None
        if closing is None:
            break
        out.append(content[copied:inside])
        out.append(_TAG_OR_BREAK.sub(_text_break, content[inside : closing.start()]))
        copied, searched = closing.start(), closing.end()
    if not out:
        return content
    out.append(content[copied:])
    return "".join(out)


_TAG_OR_BREAK = re.compile(r"(<[A-Za-z/!][^<>]*>)|\n")  # a tag, or a break in the text


def _text_break(match: re.Match[str]) -> str:
    return match.group(1) or "&#10;"


def one_line_body(content: str) -> str:
    """The old system's body rule (split on \\n, trim, join), minus its word-gluing.

    Lines join with nothing between CJK text and at tag boundaries, as before; a line break
    between spaced-script text (Latin, Cyrillic, Korean...) on both sides, or between a tag and
    such text, becomes one space, so that words stay apart.
    """
    if "\n" not in content:
        return js_trim(content)
    if "<pre" in content or "<PRE" in content:
        content = _protect_pre(content)
    pieces = [p for p in (line.strip(JS_WHITESPACE) for line in content.split("\n")) if p]
    out = pieces[:1]
    for left, right in pairwise(pieces):
        if left[-1] != ">" or right[0] != "<":  # two tags join with nothing: the usual case
            out.append(_joiner(left, right))
        out.append(right)
    return "".join(out)


def _joiner(left: str, right: str) -> str:
    """What goes between two trimmed, non-empty lines of a body (not both tags)."""
    if left[-1] != ">" and _UNSPACED.match(left[-1]):
        return ""
    if right[0] != "<" and _UNSPACED.match(right[0]):
        return ""
    return " "
