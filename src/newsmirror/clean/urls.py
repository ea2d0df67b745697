"""Links: WHATWG normalisation (as the old system's `new URL(link).href`) and identity keys."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import ada_url

from newsmirror.clean.text import js_trim

_TRACKING_PREFIXES = ("utm_",)
# Parameters that say where a click came from, never which story: analytics (utm_*, spm, the
# ad networks' click ids), newsletters (mc_*), and the "from=rss" of Chinese portals.
_TRACKING_NAMES = frozenset(
    {"fbclid", "gclid", "yclid", "msclkid", "igshid", "mc_cid", "mc_eid", "ref_src", "spm", "from"}
)
_TRACKING_MARKERS = ("utm_", *_TRACKING_NAMES)


def normalize_url(link: str, base: str | None = None) -> str | None:
    """The WHATWG href of `link` (resolved against `base`), or None when it is not a URL."""
    link = js_trim(link)
    if not link:
        return None
    try:
        if base and not link.startswith(("http://", "https://")):
            return ada_url.join_url(base, link)
        return ada_url.normalize_url(link)
    except ValueError:
        return None


def is_web_url(href: str) -> bool:
    return href.startswith(("http://", "https://"))


# Links that only count a click and redirect to the story: FeedBurner's `/~r/FEED/~3/ID/`
# (on feeds.feedburner.com, feedproxy.google.com or a publisher's own feeds host), Pheedo's
# `click.phdo`, Feedsportal's `/c/`. The item's guid, when it is a URL, is the story itself.
_TRACKING_REDIRECT = re.compile(
    r"^https?://[^/]+/~r/|^https?://[^/]*pheedo\.com/|/click\.phdo(?:[?#]|$)"
    r"|^https?://[^/]*feedsportal\.com/c/",
    re.IGNORECASE,
)


def is_tracking_redirect(href: str) -> bool:
    return _TRACKING_REDIRECT.search(href) is not None


_LINK_BREAKERS = str.maketrans({"(": "%28", ")": "%29", "[": "%5B", "]": "%5D", "\\": "%5C"})


def markdown_safe(href: str) -> str:
    """`href` as the destination of a `[title](href)` line. A WHATWG href has no spaces, `<`,
    `>`, `"` or line breaks, and balanced parentheses are fine in Markdown; when the rest of it
    could end or confuse the link (an unbalanced parenthesis, a backslash, `](`), the
    brackets and backslashes after the host are percent-encoded, which servers read alike."""
    if not _breaks_link(href):
        return href
    scheme, sep, rest = href.partition("://")
    host, slash, tail = rest.partition("/")
    return f"{scheme}{sep}{host}{slash}{tail.translate(_LINK_BREAKERS)}"


def _breaks_link(href: str) -> bool:
    if "\\" in href or "](" in href:
        return True
    depth = 0
    for char in href:
        if char in "()":
            depth += 1 if char == "(" else -1
            if depth < 0:
                return True
    return depth != 0


def link_key(href: str) -> str:
    """The form of a link that identifies an article: no fragment, no tracking parameters,
    http and https counted as the same, and so are `www.` and no `www.`, and a path with and
    without a trailing slash. `href` is already WHATWG-normalised (scheme and host in lower
    case, no default port)."""
    key = href.partition("#")[0]
    if key.startswith("http://"):
        key = "https://" + key[7:]
    if key.startswith("https://www."):
        key = "https://" + key[12:]
    if "?" in key and any(marker in key for marker in _TRACKING_MARKERS):
        parts = urlsplit(key)
        key = urlunsplit(parts._replace(query=_without_tracking(parts.query)))
    path, mark, query = key.partition("?")
    if path.endswith("/") and path.count("/") > 3:  # (not the bare host's "/")
        key = path.rstrip("/") + mark + query
    return key


def _is_tracking(name: str) -> bool:
    return name.startswith(_TRACKING_PREFIXES) or name in _TRACKING_NAMES


def _without_tracking(query: str) -> str:
    pairs = parse_qsl(query, keep_blank_values=True)
    if not any(_is_tracking(name) for name, _ in pairs):
        return query  # untouched, so that the key keeps the publisher's own encoding
    return urlencode([(name, value) for name, value in pairs if not _is_tracking(name)])
