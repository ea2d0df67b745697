"""Pictures in archived bodies: finding them (src, srcset, lazy-loading attributes, <picture>
sources), routing them through a proxy, or pointing them at copies stored in the mirror.

Bodies here are already sanitized; this module only rewrites the URL attributes of <img> and
<source> tags, so it can add no active content.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from urllib.parse import parse_qsl, quote, urlsplit

from newsmirror.clean.urls import is_web_url
from newsmirror.store.layout import relative_path

_TAG = re.compile(
    r"<(img|source)((?:\s+[^\s=/>]+(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s\"'=<>`]+))?)*)\s*(/?)>",
    re.IGNORECASE,
)
_ATTRIBUTE = re.compile(r"([^\s=/>]+)(?:\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s\"'=<>`]+)))?")
# Where lazy-loading scripts keep the real picture, checked before `src` (which then holds a
# placeholder): the common names of WordPress plugins, lazysizes, jQuery lazyload and others.
LAZY = ("data-original", "data-src", "data-lazy-src", "data-actualsrc", "data-lazyload")
LAZY_SETS = ("data-srcset", "data-lazy-srcset")
# Image proxies whose URLs carry the picture's own URL in a `url` parameter (weserv's forms).
PROXY_HOSTS = frozenset({"images.weserv.nl", "wsrv.nl", "images.weserv.com"})


def _attributes(raw: str) -> list[tuple[str, str | None]]:
    found = []
    for m in _ATTRIBUTE.finditer(raw):
        value = m.group(2) if m.group(2) is not None else m.group(3)
        if value is None:
            value = m.group(4)
        found.append((m.group(1).lower(), html.unescape(value) if value is not None else None))
    return found


def _largest(srcset: str) -> str:
    """The candidate of a srcset with the largest width or density (the first when none say)."""
    best, best_size = "", -1.0
    for candidate in srcset.split(","):
        parts = candidate.split()
        if not parts:
            continue
        size = 0.0
        if len(parts) > 1 and parts[1][:-1].replace(".", "", 1).isdigit():
            size = float(parts[1][:-1])
        if size > best_size:
            best, best_size = parts[0], size
    return best


def unwrap(url: str, proxy_hosts: frozenset[str] = PROXY_HOSTS) -> str:
    """The picture's own URL when `url` is a proxy's URL of it (`…weserv.nl/?url=…`)."""
    for _ in range(3):  # a proxied proxy URL, at most a few levels deep
        parts = urlsplit(url)
        if (parts.hostname or "").lower() not in proxy_hosts:
            return url
        inner = dict(parse_qsl(parts.query)).get("url", "")
        if not inner:
            return url
        if not inner.startswith(("http://", "https://")):
            inner = "http://" + inner.lstrip("/")  # weserv's own form: url=host/path
        if not is_web_url(inner):
            return url
        url = inner
    return url


def picture_url(attributes: list[tuple[str, str | None]], tag: str) -> str:
    """The URL a tag shows (its lazy-loaded one first), unwrapped from any proxy; "" if none
    is a web URL."""
    values = {name: value for name, value in attributes if value}
    candidates = [values.get(name, "") for name in LAZY] if tag == "img" else []
    candidates += [_largest(values.get(name, "")) for name in LAZY_SETS]
    candidates += [values.get("src", "")] if tag == "img" else []
    candidates += [_largest(values.get("srcset", ""))]
    for candidate in candidates:
        candidate = candidate.strip()
        if candidate and is_web_url(candidate):
            return unwrap(candidate)
    return ""


def image_urls(body: str) -> list[str]:
    """Every picture URL the body shows, in order, each once."""
    if "<img" not in body and "<IMG" not in body and "<source" not in body.lower():
        return []
    seen: dict[str, None] = {}
    for m in _TAG.finditer(body):
        url = picture_url(_attributes(m.group(2)), m.group(1).lower())
        if url:
            seen.setdefault(url, None)
    return list(seen)


_DROPPED = frozenset({"src", "srcset", *LAZY, *LAZY_SETS})


def rewrite(body: str, new_url: Callable[[str], str | None]) -> str:
    """`body` with each picture whose URL `new_url` maps shown from the new URL: `src` set to
    it, srcset and lazy-loading attributes dropped (they would load the old one). Pictures it
    does not map are left byte for byte."""
    if not image_urls(body):
        return body

    def one(m: re.Match[str]) -> str:
        tag = m.group(1).lower()
        attributes = _attributes(m.group(2))
        url = picture_url(attributes, tag)
        replacement = new_url(url) if url else None
        if replacement is None:
            return m.group(0)
        kept = [(name, value) for name, value in attributes if name not in _DROPPED]
        name = "src" if tag == "img" else "srcset"
        written = "".join(
            f" {n}" if v is None else f' {n}="{html.escape(v, quote=True)}"' for n, v in kept
        )
        own = f' {name}="{html.escape(replacement, quote=True)}"'
        return f"<{m.group(1)}{own}{written}{m.group(3) and ' /'}>"

    return _TAG.sub(one, body)


def proxied(body: str, template: str) -> str:
    """`body` with every picture loaded through the proxy `template` (`…{url}`): a picture
    already behind a known proxy, or this one, is unwrapped first, so nothing is proxied
    twice."""
    own_host = (urlsplit(template.replace("{url}", "")).hostname or "").lower()
    hosts = PROXY_HOSTS | {own_host} if own_host else PROXY_HOSTS

    def through(url: str) -> str:
        original = unwrap(url, hosts)
        return template.replace("{url}", quote(original, safe=":/"))

    return rewrite(body, through)


def relative_link(asset_path: str, article_path: str) -> str:
    """The link from an article file to an asset, both relative to the mirror's root: it
    works on GitHub, in a clone and in a fork alike."""
    return relative_path(asset_path, article_path.rpartition("/")[0] or ".")
