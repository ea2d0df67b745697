"""Titles as readers see them, written so that GitHub's Markdown shows exactly that.

A feed title is text, except when a publisher puts HTML in it (`560ft<sup>2</sup>`, `<b>`...):
then it is read as a browser would read it (tags gone, entities decoded). The text then goes
into the link text of `[title](url)`, where Markdown would reinterpret `*`, `_`, `` ` ``, `~`
(GitHub's strikethrough), `$` (GitHub's math), `\\`, brackets and character references: each is
escaped, so that `&#x27; can be used instead of \\'` shows as written.
"""

from __future__ import annotations

import html
import re

from newsmirror.clean.text import js_trim

# Tags that make a title HTML: elements a publisher puts in a title for its looks. An unknown
# word in angle brackets (`Nullable<int>`) is text, as a feed's plain-text title means it.
_HTML_TITLE_TAG = re.compile(
    r"</?(?:a|abbr|b|big|br|cite|code|del|em|font|i|ins|kbd|mark|q|s|small|span|strike|strong"
    r"|sub|sup|tt|u|var|wbr)(?:\s[^<>]*)?/?>",
    re.IGNORECASE,
)
_ANY_TAG = re.compile(r"</?[A-Za-z][^<>]*>")
_SCRIPTED = (
    str.maketrans("0123456789+-=()", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾"),
    str.maketrans("0123456789+-=()", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎"),
)
_SUP_SUB = re.compile(r"<(sup|sub)\b[^<>]*>([0-9+\-=()]{1,8})</\1\s*>", re.IGNORECASE)
_BREAK = re.compile(r"<br\b[^<>]*>", re.IGNORECASE)
_CONTROL = re.compile("[\u0000-\u0008\u000e-\u001b\u007f]")
_SPACES = re.compile(
    "[\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff\u0085\u001c-\u001f]+"
)
_LINE_BREAK = frozenset("\n\r\v\f\u0085\u2028\u2029\u001c\u001d\u001e\u001f")
# What Markdown would read as markup in link text: escaped with a backslash, but `<` (which
# could open a tag or an autolink) is written as a reference, and `&` only where it starts one.
_MARKDOWN = re.compile(
    r"[\\\[\]*_`~$<]|&(?=#[0-9]{1,7};|#[xX][0-9a-fA-F]{1,6};|[A-Za-z][A-Za-z0-9]{1,31};)"
)


def title_text(raw: str) -> str:
    """The title a reader should see, as plain text on one line: HTML titles are read as a
    browser would (superscript and subscript digits kept as such), others are taken as text."""
    text = _CONTROL.sub("", raw)
    if "<" in text and _HTML_TITLE_TAG.search(text):
        text = _SUP_SUB.sub(_scripted, text)
        text = html.unescape(_ANY_TAG.sub("", _BREAK.sub(" ", text)))
        text = _CONTROL.sub("", text)
    text = _SPACES.sub(lambda m: " " if _LINE_BREAK.intersection(m.group()) else m.group(), text)
    return js_trim(text)


def _scripted(match: re.Match[str]) -> str:
    table = _SCRIPTED[0] if match.group(1).lower() == "sup" else _SCRIPTED[1]
    return match.group(2).translate(table)


def markdown_title(text: str) -> str:
    """`text` as the link text of a Markdown link, shown by GitHub exactly as written."""
    return _MARKDOWN.sub(_escaped, text)


_UNESCAPE = re.compile(r"\\([\\\[\]*_`~$&])|&lt;")


def plain_title(title: str) -> str:
    """An archived title as plain text again (`markdown_title` undone), for feeds out."""
    return _UNESCAPE.sub(lambda m: m.group(1) or "<", title)


def _escaped(match: re.Match[str]) -> str:
    char = match.group()
    return "&lt;" if char == "<" else "\\" + char


def clean_title(raw: str) -> str:
    """A feed title as the archive writes it: read (HTML or text), then escaped."""
    return markdown_title(title_text(raw))
