"""Pure decisions about a source's health: when to ask it again, and whether it is stale.

Nothing here reads a clock or a file; the pipeline and the status pages pass `now_ms` in.
"""

from __future__ import annotations

from dataclasses import dataclass

from newsmirror.config import Site
from newsmirror.records import Fetched
from newsmirror.store.index import SourceState

MINUTE_MS = 60_000
HOUR_MS = 60 * MINUTE_MS
BACKOFF_BASE_MS = 5 * MINUTE_MS
# A publisher's Retry-After is honoured up to a day: longer pauses would lose news.
RETRY_AFTER_LIMIT_MS = 24 * HOUR_MS
# Scheduled runs drift by seconds to minutes; a source due a little after this run starts
# is asked now rather than skipped until the run after.
DUE_TOLERANCE_MS = 5 * MINUTE_MS
RETRY_AFTER = "Retry-After"


def backoff_ms(failures: int, ceiling_ms: int, jitter: float) -> int:
    """How long to wait after `failures` failures in a row: doubling from 5 minutes up to the
    ceiling, never more, never forever. The upper half of the wait is random (`jitter` in
    [0, 1)), so that sources which failed together do not all retry together."""
    full = min(ceiling_ms, BACKOFF_BASE_MS * 2 ** min(max(failures, 1) - 1, 30))
    return full // 2 + int(full / 2 * min(max(jitter, 0.0), 1.0))


@dataclass(frozen=True, slots=True)
class Schedule:
    next_fetch_ms: int | None  # None: at the next pass
    reason: str | None = None


def schedule_after(
    fetched: Fetched, ok: bool, failures_before: int, now_ms: int, ceiling_ms: int, jitter: float
) -> Schedule:
    """When to ask a source again after this fetch."""
    if not ok:
        failures = failures_before + 1
        wait = now_ms + backoff_ms(failures, ceiling_ms, jitter)
        asked = fetched.retry_after_ms
        if asked is not None and asked > wait:
            return Schedule(min(asked, now_ms + max(ceiling_ms, RETRY_AFTER_LIMIT_MS)), RETRY_AFTER)
        return Schedule(wait, f"backing off after {failures} failure{'s' * (failures > 1)}")
    fresh = fetched.fresh_until_ms
    if fresh is not None and fresh > now_ms:
        return Schedule(min(fresh, now_ms + ceiling_ms), "fresh (Cache-Control or Expires)")
    return Schedule(None)


def is_due(state: SourceState | None, now_ms: int) -> bool:
    """Whether a source should be asked in a pass starting at `now_ms`."""
    if state is None or state.next_fetch_ms is None:
        return True
    if state.wait_reason == RETRY_AFTER:  # the publisher's explicit wish: no tolerance
        return now_ms >= state.next_fetch_ms
    return now_ms + DUE_TOLERANCE_MS >= state.next_fetch_ms


# --- staleness and the health summary -------------------------------------------------------


def last_produced_ms(
    state: SourceState | None, newest_published_ms: int | None, now_ms: int
) -> int | None:
    """When the source last gave us something new: the last pass that archived an article from
    it, else its newest article's date (an adopted archive), else its first fetch."""
    candidates = (state.last_new_ms if state else None, newest_published_ms)
    known = [t for t in candidates if t is not None and t <= now_ms]
    if known:
        return max(known)
    return state.first_attempt_ms if state else None


def is_stale(
    site: Site,
    state: SourceState | None,
    newest_published_ms: int | None,
    now_ms: int,
    stale_after_ms: int,
) -> bool:
    """An enabled source that has produced nothing new for longer than `stale_after_ms`.
    A source never fetched yet is not stale: there is nothing to judge by."""
    produced = last_produced_ms(state, newest_published_ms, now_ms)
    return _stale(site, state, produced, now_ms, stale_after_ms)


def _stale(
    site: Site, state: SourceState | None, produced_ms: int | None, now_ms: int, limit_ms: int
) -> bool:
    if not site.enabled or state is None or produced_ms is None:
        return False
    return now_ms - produced_ms > limit_ms


@dataclass(frozen=True, slots=True)
class SourceHealth:
    """Everything the status pages show about one source."""

    site: Site
    state: SourceState | None
    articles: int
    newest_published_ms: int | None
    last_produced_ms: int | None
    stale: bool

    @property
    def failing(self) -> bool:
        return bool(self.state and self.state.failures)

    @property
    def word(self) -> str:
        if not self.site.enabled:
            return "archive only"
        if self.state is None or self.state.last_attempt_ms is None:
            return "not fetched yet"
        words = []
        if self.failing:
            words.append("failing")
        if self.stale:
            words.append("stale")
        return ", ".join(words) or "ok"


def health_of(
    site: Site,
    state: SourceState | None,
    articles: int,
    newest_published_ms: int | None,
    now_ms: int,
    stale_after_ms: int,
) -> SourceHealth:
    produced = last_produced_ms(state, newest_published_ms, now_ms)
    return SourceHealth(
        site=site,
        state=state,
        articles=articles,
        newest_published_ms=newest_published_ms,
        last_produced_ms=produced,
        stale=_stale(site, state, produced, now_ms, stale_after_ms),
    )


def fingerprint(healths: list[SourceHealth]) -> str:
    """What must reach readers when it changes: each source's health word, error kind and
    move. Counts and times alone change every pass and wait for the next real change."""
    parts = []
    for h in healths:
        state = h.state
        error = state.last_error_kind if state and state.failures else ""
        moved = state.moved_from if state else ""
        parts.append(f"{h.site.slug}|{h.word}|{error}|{moved or ''}")
    return "\n".join(parts)
