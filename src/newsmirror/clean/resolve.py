"""Relative links and image sources of a body, made absolute so that they work on GitHub.

Only relative values of href, src, poster and srcset change (resolved against the entry's
xml:base, else the feed URL); every other byte of the body stays as it is. It runs on sanitized
bodies, which hold no raw-text elements, so tags can be read with a small tokenizer.
"""

from __future__ import annotations

import html
import re

import ada_url

REWRITTEN = frozenset({"href", "src", "poster", "srcset"})

# A cheap first look: an `=` after one of those attribute names (or after white space, which
# names cannot be checked behind) whose value does not start with an http(s) scheme or `#`.
# srcset (`...cset=`) always counts: any of its candidates may be relative.
_MAYBE_RELATIVE = re.compile(
    r"=(?:(?<=[cC][sS][eE][tT]=)|(?:(?<=[sS][rR][cC]=)|(?<=[hH][rR][eE][fF]=)"
    r"|(?<=[pP][oO][sS][tT][eE][rR]=)|(?<=\s=))"
    r"(?![\t\n\f\r ]*[\"']?[\t\n\f\r ]*(?:[hH][tT][tT][pP][sS]?:|#)))"
)
_TAG_START = re.compile(r"<!--|<[a-zA-Z][^\t\n\f\r />]*")
# One attribute as an HTML tokenizer reads it: a name, then maybe `=` and a value.
_ATTRIBUTE = re.compile(
    r"[\t\n\f\r /]*([^\t\n\f\r />][^\t\n\f\r />=]*)"
    r"(?:[\t\n\f\r ]*=[\t\n\f\r ]*(\"[^\"]*\"|'[^']*'|[^\t\n\f\r >]*))?"
)
_SCHEME = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*:")
_HTML_SPACE = "\t\n\f\r "
_TAB_NEWLINE = str.maketrans("", "", "\t\n\r")
# References ended by `;` (or numeric); in attribute values browsers leave a bare `&name` be.
_REFERENCE = re.compile(r"&(?:#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[a-zA-Z][a-zA-Z0-9]*;)")
_SRCSET_CANDIDATE = re.compile(r"([\t\n\f\r ,]*)([^\t\n\f\r ]+)([^,]*)")


def absolutize(body: str, base: str) -> str:
    """`body` with relative href/src/poster/srcset values resolved against `base` (an http(s)
    URL); absolute values, fragments (`#x`) and empty values are left byte for byte."""
    if _MAYBE_RELATIVE.search(body) is None:
        return body
    out: list[str] = []
    done = 0
    pos = 0
    while (tag := _TAG_START.search(body, pos)) is not None:
        if tag.group() == "<!--":
            end = body.find("-->", tag.end())
            if end < 0:
                break
            pos = end + 3
            continue
        pos = tag.end()
        while (attr := _ATTRIBUTE.match(body, pos)) is not None:
            pos = attr.end()
            raw = attr.group(2)
            if raw is None or attr.group(1).lower() not in REWRITTEN:
                continue
            new = _rewritten(attr.group(1).lower(), raw, base)
            if new is not None:
                out += (body[done : attr.start(2)], new)
                done = attr.end(2)
    out.append(body[done:])
    return "".join(out)


def _rewritten(name: str, raw: str, base: str) -> str | None:
    """The new raw attribute value (quoted), or None to leave it as it is."""
    quote = raw[0] if raw[:1] in ('"', "'") else ""
    value = raw[1:-1] if quote else raw
    if name == "srcset":
        new = _srcset(value, base)
    else:
        url = resolve(_unescape(value), base)
        new = None if url is None else _escape(url, quote or '"')
    if new is None:
        return None
    quote = quote or '"'
    return f"{quote}{new}{quote}"


def _srcset(value: str, base: str) -> str | None:
    """The srcset with each relative candidate URL resolved (raw text elsewhere unchanged)."""
    changed = False
    parts: list[str] = []
    for lead, url, rest in _SRCSET_CANDIDATE.findall(value):
        trailing = len(url) - len(url.rstrip(","))
        url, rest = url[: len(url) - trailing], url[len(url) - trailing :] + rest
        absolute = resolve(_unescape(url), base)
        if absolute is not None:
            url, changed = _escape(absolute, "'\""), True
        parts += (lead, url, rest)
    return "".join(parts) if changed else None


def resolve(value: str, base: str) -> str | None:
    """The absolute http(s) URL a relative `value` means on a page at `base`, or None when
    `value` is absolute already, only a fragment, empty, or does not resolve to http(s)."""
    url = value.strip(_HTML_SPACE)
    if not url or url.startswith("#") or _SCHEME.match(url.translate(_TAB_NEWLINE)):
        return None
    try:
        absolute = ada_url.join_url(base, url)
    except ValueError:
        return None
    return absolute if absolute.startswith(("http://", "https://")) else None


def _unescape(value: str) -> str:
    return _REFERENCE.sub(lambda m: html.unescape(m.group()), value) if "&" in value else value


def _escape(url: str, quotes: str) -> str:
    url = url.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if '"' in quotes:
        url = url.replace('"', "&quot;")
    if "'" in quotes:
        url = url.replace("'", "&#39;")
    return url
