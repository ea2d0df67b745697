"""Whether a source is healthy: failing, stale (nothing new for too long), and what the status
pages show about it. Pure: `now_ms` is passed in.
"""

from __future__ import annotations

from dataclasses import dataclass

from newsmirror.config import Site
from newsmirror.records import SourceState


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


def all_failing(healths: list[SourceHealth]) -> bool:
    """Every enabled source is failing (and there is one): a scheduler should alert at once."""
    enabled = [h for h in healths if h.site.enabled]
    return bool(enabled) and all(h.failing for h in enabled)
