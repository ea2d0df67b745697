"""Pure decisions about the work owed on an article after it is written: whether its feed gave
only a summary (so that its page is read), whether the page's text wins over the feed's, and
when to try again after a failure."""

from __future__ import annotations

import re
from dataclasses import replace

from newsmirror.clean.entry import visible_chars
from newsmirror.config import Site
from newsmirror.records import Enrichment, FeedEntry

HOUR_MS = 60 * 60 * 1000
SHORT = 200  # visible characters: fewer, and a body is a summary (or a teaser) whatever it says
SUMMARY_LENGTH = 1500  # a body cut with an ellipsis is a summary up to this length
SAME_AS_DESCRIPTION = 600  # ... and so is a content that repeats the description, up to this
PAGE_MARGIN = 1.2  # "auto": the page's text must hold this much more than the feed's,
PAGE_GAIN = 40  # and at least this many characters more (a menu is not a story)
TRUSTED_SHARE = 0.5  # `fulltext = true`: a page holding less than this share is an accident
_CUT = re.compile(
    r"(?:…|\.\.\.|\[…\]|\[\.\.\.\]|&hellip;|&#8230;|阅读全文|查看全文|更多内容|"
    r"read more|continue reading|more\s*»)\W*$",
    re.IGNORECASE,
)
_TAGS = re.compile(r"<[^>]*>")


def looks_like_summary(entry: FeedEntry) -> bool:
    """Whether a feed item gives only a summary of its story: no text, very little, text cut
    with an ellipsis or a "read more", or a content that only repeats the description."""
    bodies = [b for b in (entry.content, *entry.other_bodies) if b]
    if not bodies:
        return True
    sizes = [visible_chars(b) for b in bodies]  # (each body measured once)
    longest = max(sizes)
    if longest < SHORT:
        return True
    if longest < SUMMARY_LENGTH:
        text = _TAGS.sub(" ", bodies[sizes.index(longest)]).strip()
        if _CUT.search(text):
            return True
    if len(bodies) > 1 and longest < SAME_AS_DESCRIPTION:
        texts = {" ".join(_TAGS.sub(" ", b).split()) for b in bodies}
        return len(texts) == 1
    return False


def owed_for(
    site: Site, images: str, path: str, url: str, entry: FeedEntry | None, body: str
) -> Enrichment | None:
    """The work a newly written article is owed, or None: its page when the source takes
    full text from pages (always, or when its feed gave a summary), its pictures when the
    source mirrors them (a page read may bring pictures too)."""
    wants_page = bool(url) and (
        site.fulltext is True
        or (site.fulltext == "auto" and entry is not None and looks_like_summary(entry))
    )
    wants_images = images == "mirror" and (wants_page or "<img" in body or "<source" in body)
    if not (wants_page or wants_images):
        return None
    return Enrichment(
        path,
        site.slug,
        url,
        page="owed" if wants_page else "",
        images="owed" if wants_images else "",
    )


def page_wins(fulltext: bool | str, feed_body: str, page_body: str) -> bool:
    """Whether the page's body replaces the feed's: under `fulltext = true` unless it holds
    far less text (the selector caught a caption, say); under "auto" only when it holds
    clearly more."""
    page, feed = visible_chars(page_body), visible_chars(feed_body)
    if page == 0:
        return False
    if fulltext is True:
        return page >= feed * TRUSTED_SHARE
    return page > feed * PAGE_MARGIN and page - feed >= PAGE_GAIN


def backoff_ms(attempts: int) -> int:
    """The wait after the n-th failed attempt: 1, 2, 4... hours, at most a day."""
    return min(24, 2 ** max(0, attempts - 1)) * HOUR_MS


def after_failure(
    item: Enrichment, part: str, error: str, now_ms: int, max_attempts: int
) -> Enrichment:
    """`item` after its `part` ("page" or "images") failed this pass: tried again later, or
    given up ("failed") after `max_attempts`; the article keeps what it has either way."""
    attempts = item.attempts + 1
    if attempts >= max_attempts:
        return replace(item, **{part: "failed"}, attempts=attempts, error=error[:500])
    return replace(
        item, attempts=attempts, next_ms=now_ms + backoff_ms(attempts), error=error[:500]
    )
