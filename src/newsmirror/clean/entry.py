"""A parsed feed entry becomes a candidate article: cleaned fields plus its identity."""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache

from newsmirror.clean.blocks import as_html_block
from newsmirror.clean.fingerprint import visible_text
from newsmirror.clean.limits import limit_body
from newsmirror.clean.resolve import absolutize
from newsmirror.clean.sanitize import sanitize
from newsmirror.clean.text import js_trim, one_line_body
from newsmirror.clean.titles import clean_title
from newsmirror.clean.urls import (
    is_tracking_redirect,
    is_web_url,
    link_key,
    markdown_safe,
    normalize_url,
)
from newsmirror.config import Site
from newsmirror.records import Article, Candidate, FeedEntry, Skipped


def key_hash(identity: str) -> str:
    """12 hex digits naming an article's identity; it is also part of its file name."""
    return hashlib.sha1(identity.encode("utf-8", "surrogatepass")).hexdigest()[:12]


def to_candidate(
    entry: FeedEntry, site: Site, feed_url: str, now_ms: int, zone_minutes: int = 0
) -> Candidate | None:
    """The cleaned article for `entry`, or None when it is left out (filters, empty items)."""
    candidate = identify(entry, site, feed_url, now_ms, zone_minutes)
    return with_clean_body(candidate) if isinstance(candidate, Candidate) else None


def identify(
    entry: FeedEntry, site: Site, feed_url: str, now_ms: int, zone_minutes: int = 0
) -> Candidate | Skipped:
    """`entry` as a candidate whose identity, link, title and date are final, but whose body is
    chosen and cleaned only later, for the candidates that turn out to be new (`with_clean_body`);
    or why it is left out. A zone-less date is read in `zone_minutes` (the feed's zone)."""
    if site.category_pattern and not _matches(site.category_pattern, entry.categories):
        return Skipped("left out by category_pattern", quiet=True)
    base = entry_base(entry.base, feed_url)
    url = _article_link(entry, site, base)
    title = clean_title(entry.title)
    guid = entry.guid.strip()
    key = link_key(url) if url else ""
    if not title and not url and not _has_body(entry):
        return Skipped("empty (no title, link or body)")
    # The identity comes from what the publisher sent, not from how it is written here, so
    # that a change in cleaning or rendering never makes a known item look new.
    identity = guid or key or f"{js_trim(entry.title)}\n{js_trim(entry.content)}"
    published = entry.published_ms
    if published is not None and not entry.zoned:
        published -= zone_minutes * 60_000
    article = Article(
        published_ms=published_time(published, now_ms),
        title=title,
        url=markdown_safe(url),
        body=entry.content,
    )
    return Candidate(article, key_hash(identity), key, base, entry=entry)


def _article_link(entry: FeedEntry, site: Site, base: str) -> str:
    """The story's own URL: the configured field, else feedburner:origLink when given, and the
    guid rather than a known tracking redirect; "" when it is not a web URL (javascript:,
    data:, file:, mailto:, unresolvable), so that the article is archived without a link."""
    if site.link_from == "guid" and entry.guid:
        raw = entry.guid
    else:
        raw = entry.link
        original = normalize_url(entry.original_link, base) if entry.original_link else None
        guid_url = normalize_url(entry.guid) if is_web_url(entry.guid.strip()) else None
        if original and is_web_url(original):
            raw = original
        elif guid_url and (not raw or is_tracking_redirect(normalize_url(raw, base) or "")):
            raw = guid_url
    url = normalize_url(raw, base) if raw else None
    return url if url is not None and is_web_url(url) else ""


# A later body (a description after the full text) replaces an earlier one only when it holds
# clearly more text: the same text with "..." after it is no reason to lose the links and
# pictures of the full text. A media:description is often only a caption of the item's picture:
# it needs half as much text again (a video feed's item has no other body at all).
LATER_MARGIN = 1.2
MEDIA_MARGIN = 1.5


def fullest_body(entry: FeedEntry) -> str:
    """The body with the most text a reader would see, of all the item offers: the full text,
    else a summary holding clearly more, else the media body (a thumbnail and
    media:description) when it holds clearly more again, or when the others hold nothing."""
    best = entry.content
    for later, margin in (
        *((b, LATER_MARGIN) for b in entry.other_bodies),
        (entry.media_body, MEDIA_MARGIN),
    ):
        if later and _holds_more(later, best, margin):
            best = later
    return best


def _holds_more(later: str, earlier: str, margin: float) -> bool:
    text, media = _fullness(earlier)
    if text == 0 and not media:
        return _fullness(later) != (0, False)
    return _fullness(later)[0] > text * margin


_MEDIA = re.compile(r"<(?:img|video|audio|iframe|embed|object|picture)\b", re.IGNORECASE)


def _fullness(body: str) -> tuple[int, bool]:
    return visible_chars(body), _MEDIA.search(body) is not None


def visible_chars(body: str) -> int:
    """How much text a reader sees in an HTML body (characters other than white space)."""
    text = visible_text(body)
    return len(text) - text.count(" ")  # (visible_text leaves single spaces only)


def _has_body(entry: FeedEntry) -> bool:
    bodies = (entry.content, *entry.other_bodies, entry.media_body)
    return any(_fullness(b) != (0, False) for b in bodies)


def with_clean_body(candidate: Candidate) -> Candidate:
    """The candidate with its body cleaned (as it is archived)."""
    if candidate.body_base is None:
        return candidate
    raw = fullest_body(candidate.entry) if candidate.entry else candidate.article.body
    body, cut = cleaned_body(raw, candidate.body_base)
    old = candidate.article  # (constructors, not dataclasses.replace: this runs per new item)
    article = Article(old.published_ms, old.title, old.url, body)
    return Candidate(article, candidate.key_hash, candidate.link_key, None, cut)


def clean_body(content: str, base: str) -> str:
    """The archived body: see `cleaned_body`."""
    return cleaned_body(content, base)[0]


def cleaned_body(content: str, base: str) -> tuple[str, str | None]:
    """The archived body, and why it was cut if it was: one line, within the size and nesting
    limits, sanitized, relative links and images resolved, and written so that GitHub shows it
    as HTML. Sanitizing comes after joining the lines, which could glue `<scr` and `ipt>` into
    a tag."""
    body, cut = limit_body(one_line_body(content))
    body = sanitize(body)
    if is_web_url(base):
        body = absolutize(body, base)
    if cut:
        body += f"<hr><p><em>(newsmirror: the rest of this article was cut: {cut})</em></p>"
    return as_html_block(body), cut


CHINESE_ZONE = 8 * 60  # China, Taiwan, Hong Kong, Macau and Singapore all keep UTC+8


def feed_zone_minutes(site: Site, language: str) -> int:
    """The zone of a feed's dates that name none: the site's `default_zone`, else UTC+8 for a
    feed declaring a Chinese language (zh, zh-cn, zh-TW...), else UTC."""
    if site.zone_minutes is not None:
        return site.zone_minutes
    if language.strip().lower().replace("_", "-").split("-")[0] == "zh":
        return CHINESE_ZONE
    return 0


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
