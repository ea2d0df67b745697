"""When to ask a source again: backoff after failures, the publisher's Retry-After and
freshness, and whether a source is due in a pass. Pure: `now_ms` and the jitter are passed in.
"""

from __future__ import annotations

from dataclasses import dataclass

from newsmirror.records import Fetched, SourceState

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


DAY_MS = 24 * HOUR_MS


def heartbeat_due(last_commit_ms: int | None, now_ms: int, heartbeat_days: float) -> bool:
    """Whether a pass with nothing to commit should commit anyway: GitHub disables the
    schedule of a repository without activity for 60 days, which would stop a quiet mirror for
    good. Never when `heartbeat_days` is 0, or before the first commit."""
    if heartbeat_days <= 0 or last_commit_ms is None:
        return False
    return now_ms - last_commit_ms >= heartbeat_days * DAY_MS
