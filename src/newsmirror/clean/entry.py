"""A parsed feed entry becomes a candidate article: cleaned fields plus its identity."""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache

from newsmirror.clean.text import clean_title, one_line_body
from newsmirror.clean.urls import is_web_url, link_key, normalize_url
from newsmirror.config import Site
from newsmirror.records import Article, Candidate, FeedEntry


def key_hash(identity: str) -> str:
    """12 hex digits naming an article's identity; it is also part of its file name."""
    return hashlib.sha1(identity.encode("utf-8", "surrogatepass")).hexdigest()[:12]


def to_candidate(entry: FeedEntry, site: Site, feed_url: str, now_ms: int) -> Candidate | None:
    """The cleaned article for `entry`, or None when the site's filters leave it out."""
    if site.category_pattern and not _matches(site.category_pattern, entry.categories):
        return None
    raw_link = entry.guid if site.link_from == "guid" and entry.guid else entry.link
    url = normalize_url(raw_link, entry.base or feed_url) if raw_link else None
    if url is None or not is_web_url(url):
        url = ""
    title = clean_title(entry.title)
    body = one_line_body(entry.content)
    guid = entry.guid.strip()
    key = link_key(url) if url else ""
    article = Article(
        published_ms=entry.published_ms if entry.published_ms is not None else now_ms,
        title=title,
        url=url,
        body=body,
    )
    identity = guid or key or f"{title}\n{body}"
    return Candidate(article=article, guid=guid, key_hash=key_hash(identity), link_key=key)


def _matches(pattern: str, categories: tuple[str, ...]) -> bool:
    compiled = _compiled(pattern)
    return any(compiled.search(c) for c in categories)


@lru_cache(maxsize=64)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)
