"""Pure decisions about stories already archived: did a known item change (and what: title,
body, link), is an unknown item a re-issue of a story or its copy in another script, and has
a story been removed upstream (dropped from its feed before it would have aged out, or its
link answering 404 or 410). No I/O and no clock: the caller hands in what it read and `now`.

A false merge (two stories taken for one) is worse than a duplicate, so a re-issue is
recognised only when every sign agrees: fingerprints at most `MAX_BITS` apart, enough text
for a fingerprint to mean something, the same numbers in both titles (serial parts "（一）"
and "（二）", dates, counts), published within `WINDOW_MS`, and the earlier item no longer
in the feed under its own identity.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from newsmirror.clean.fingerprint import distance, folded
from newsmirror.records import KnownArticle, StoryState

MAX_BITS = 3  # of 64: the same text, give or take a sentence; distinct stories differ by ~32
MIN_CHARS = 200  # a brief from a template shares most of its words with the next one
# A shorter text (but not a one-line brief) is the same story only when its fingerprint is
# next to identical and its title is the same, punctuation and script aside.
SHORT_CHARS = 80
SHORT_BITS = 1
WINDOW_MS = 3 * 24 * 3_600_000
GONE_STATUSES = frozenset({404, 410})
_NUMBERS = re.compile(r"[0-9０-９]+|[一二三四五六七八九十百千零〇两]+(?=[）)部集篇章期回]|$)")
_SERIAL = re.compile(r"[（(]\s*([^（）()]{1,4})\s*[）)]|([上中下])篇|之([一二三四五六七八九十]+)")


@dataclass(frozen=True, slots=True)
class StoryText:
    """What a story is compared on."""

    title: str
    fingerprint: int
    chars: int
    traditional: bool
    published_ms: int


@dataclass(frozen=True, slots=True)
class Match:
    """An unknown item recognised: the story it re-issues ("same") or copies in another
    script ("variant")."""

    kind: str
    known: KnownArticle
    bits: int


def changes_of(
    known: KnownArticle, title: str, link_key: str, body_hash: str | None
) -> tuple[str, ...]:
    """What an item changed of the story it is known as: "title", "body", "link" (nothing
    for noise). A body whose earlier hash is unknown (an index from before histories) is
    taken as unchanged: it becomes the baseline."""
    changed = []
    if title and title != known.article.title:
        changed.append("title")
    old = known.state.text_hash
    if body_hash is not None and old is not None and body_hash != old:
        changed.append("body")
    if link_key and known.article.link_key and link_key != known.article.link_key:
        changed.append("link")
    return tuple(changed)


def numbers_in(title: str) -> tuple[str, ...]:
    """The numbers and serial marks of a title, in order: stories that differ in them (part
    one and part two, Monday's report and Tuesday's) are different stories."""
    found = [m.group() for m in _NUMBERS.finditer(title)]
    found += ["".join(g for g in m.groups() if g) for m in _SERIAL.finditer(title)]
    return tuple(found)


def close(text: StoryText, nearby: Iterable[KnownArticle]) -> list[tuple[int, KnownArticle]]:
    """Nearby stories whose fingerprint is within `MAX_BITS` of this text's, closest first
    (only texts long enough to be told apart by one; `SHORT_BITS` and the same title for
    short ones)."""
    if text.chars < SHORT_CHARS or text.fingerprint == 0:
        return []
    found = []
    for known in nearby:
        state = known.state
        if state.fingerprint is None:
            continue
        # The distance first: most stories are far apart, and it is the cheapest test (a
        # reading of 50 new items makes 1,225 pairs).
        bits = distance(text.fingerprint, state.fingerprint)
        if bits > MAX_BITS or state.text_chars < SHORT_CHARS:
            continue
        if abs(known.article.published_ms - text.published_ms) > WINDOW_MS:
            continue
        short = min(text.chars, state.text_chars) < MIN_CHARS
        if short and (bits > SHORT_BITS or folded(text.title) != folded(known.article.title)):
            continue
        found.append((bits, known))
    found.sort(key=lambda pair: (pair[0], pair[1].article.path))
    return found


def recognise(
    text: StoryText, candidates: Sequence[tuple[int, KnownArticle]], present: set[str]
) -> Match | None:
    """The story an unknown item re-issues or copies, from the `close` ones; None when any
    sign disagrees. `present` holds the paths still in the feed under their own identity."""
    for bits, known in candidates:
        if known.article.variant_of is not None:
            continue  # a copy is matched through its story
        if numbers_in(text.title) != numbers_in(known.article.title):
            continue
        if text.traditional != known.state.traditional:
            return Match("variant", known, bits)
        if known.article.path in present:
            continue  # both in the feed at once: two items, whatever their likeness
        return Match("same", known, bits)
    return None


def dropped(
    before: Iterable[KnownArticle], present: set[str], feed_published: Sequence[int]
) -> list[KnownArticle]:
    """Stories the feed held at its last reading and holds no longer, although it still
    holds an item published before them (so they did not age out): removed upstream."""
    if not feed_published:
        return []  # an empty feed says nothing about its stories
    oldest = min(feed_published)
    return [
        known
        for known in before
        if known.article.path not in present
        and known.state.removed_ms is None
        and known.article.published_ms > oldest
    ]


def removed(state: StoryState, now_ms: int, signal: str, status: int | None) -> StoryState:
    return replace(state, removed_ms=now_ms, removed_signal=signal, removed_status=status)


def restored(state: StoryState) -> StoryState:
    return replace(state, removed_ms=None, removed_signal=None, removed_status=None)


def check_verdict(status: int, error_kind: str | None) -> str:
    """What a link check's answer says: "gone" (404, 410), "retry-get" (a server that does
    not answer HEAD), "alive" (any other answer), "unknown" (no answer: ask again later)."""
    if status in GONE_STATUSES:
        return "gone"
    if status in (405, 501):
        return "retry-get"
    if error_kind is not None and status == 0:
        return "unknown"
    return "alive" if status else "unknown"
