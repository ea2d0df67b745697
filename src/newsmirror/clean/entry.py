"""A parsed feed entry becomes a candidate article: cleaned fields plus its identity."""

from __future__ import annotations

import hashlib
import re
from dataclasses import replace
from functools import lru_cache

from newsmirror.clean.resolve import absolutize
from newsmirror.clean.sanitize import sanitize
from newsmirror.clean.text import clean_title, one_line_body
from newsmirror.clean.urls import is_web_url, link_key, markdown_safe, normalize_url
from newsmirror.config import Site
from newsmirror.records import Article, Candidate, FeedEntry


def key_hash(identity: str) -> str:
    """12 hex digits naming an article's identity; it is also part of its file name."""
    return hashlib.sha1(identity.encode("utf-8", "surrogatepass")).hexdigest()[:12]


def to_candidate(entry: FeedEntry, site: Site, feed_url: str, now_ms: int) -> Candidate | None:
    """The cleaned article for `entry`, or None when the site's filters leave it out."""
    candidate = identify(entry, site, feed_url, now_ms)
    return None if candidate is None else with_clean_body(candidate)


def identify(entry: FeedEntry, site: Site, feed_url: str, now_ms: int) -> Candidate | None:
    """`entry` as a candidate whose identity, link, title and date are final, but whose body is
    cleaned only if its identity needs the body (no guid and no link); `with_clean_body` does
    the rest for the candidates that turn out to be new."""
    if site.category_pattern and not _matches(site.category_pattern, entry.categories):
        return None
    base = entry_base(entry.base, feed_url)
    raw_link = entry.guid if site.link_from == "guid" and entry.guid else entry.link
    url = normalize_url(raw_link, base) if raw_link else None
    if url is None or not is_web_url(url):
        url = ""  # javascript:, data:, file:, mailto:, unresolvable: archived without a link
    title = clean_title(entry.title)
    url = markdown_safe(url)
    guid = entry.guid.strip()
    key = link_key(url) if url else ""
    if guid or key:
        body, body_base, identity = entry.content, base, guid or key
    else:
        body, body_base = clean_body(entry.content, base), None
        identity = f"{title}\n{body}"
    article = Article(
        published_ms=published_time(entry.published_ms, now_ms),
        title=title,
        url=url,
        body=body,
    )
    return Candidate(article, guid, key_hash(identity), key, body_base)


def with_clean_body(candidate: Candidate) -> Candidate:
    """The candidate with its body cleaned (as it is archived)."""
    if candidate.body_base is None:
        return candidate
    body = clean_body(candidate.article.body, candidate.body_base)
    return replace(candidate, article=replace(candidate.article, body=body), body_base=None)


def clean_body(content: str, base: str) -> str:
    """The archived body: one line, sanitized, relative links and images resolved.

    Sanitizing comes after joining the lines, which could glue `<scr` and `ipt>` into a tag.
    """
    body = sanitize(one_line_body(content))
    return absolutize(body, base) if is_web_url(base) else body


def entry_base(xml_base: str, feed_url: str) -> str:
    """What an entry's relative URLs are relative to: its xml:base (itself maybe relative to
    the feed's URL), else the feed's URL."""
    if not xml_base:
        return feed_url
    return normalize_url(xml_base, feed_url) or feed_url


# A date more than this far ahead of the pass is wrong. A day is more than any mislabelled
# zone can account for (a local time written as UTC is at most 14 hours ahead, a flipped sign
# at most 16 hours for the usual zones), and an item dated days ahead would otherwise head its
# site's list page, above the real news, until that date passes.
FUTURE_MARGIN_MS = 24 * 60 * 60 * 1000


def published_time(entry_ms: int | None, now_ms: int) -> int:
    """The time an article is archived under: the feed's date, unless it is missing, not
    after the epoch (a placeholder such as 1970-01-01 or 0001-01-01), or more than
    `FUTURE_MARGIN_MS` ahead; then the time it was first seen."""
    if entry_ms is None or entry_ms <= 0 or entry_ms > now_ms + FUTURE_MARGIN_MS:
        return now_ms
    return entry_ms


def _matches(pattern: str, categories: tuple[str, ...]) -> bool:
    compiled = _compiled(pattern)
    return any(compiled.search(c) for c in categories)


@lru_cache(maxsize=64)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)
