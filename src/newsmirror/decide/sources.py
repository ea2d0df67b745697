"""What a source's state becomes: which recorded state still belongs to it, and the state after
one pass's outcome. One rule each, in one place; the store only keeps what they return.
"""

from __future__ import annotations

from dataclasses import replace

from newsmirror.config import Site
from newsmirror.decide.schedule import is_due
from newsmirror.records import Request, SourceOutcome, SourceState


def current_state(site: Site, state: SourceState | None) -> SourceState | None:
    """A source's recorded state, unless it belongs to another URL than the configured one: a
    new `url` starts afresh (no validators, no failures, no schedule, no move). A state from
    before configured URLs were recorded knows only `url`, which was then the configured one."""
    if state is None or (state.config_url or state.url) != site.url:
        return None
    return state


def fresh_state(site: Site) -> SourceState:
    """The state of a source never asked (or whose configured URL changed)."""
    return SourceState(slug=site.slug, url=site.url, config_url=site.url)


def next_state(
    current: SourceState | None, site: Site, outcome: SourceOutcome, now_ms: int
) -> SourceState:
    """The state after this pass's outcome. `current` is `current_state(...)`: None starts
    afresh. A permanent redirect moves the source; a success resets the failures and keeps the
    answer's validators (a 304 keeps the ones it confirmed); a failure counts one more. The
    outcome carries when to ask next (`decide.schedule`)."""
    state = current or fresh_state(site)
    fetched = outcome.fetched
    moved = fetched.moved_to is not None
    state = replace(
        state,
        url=fetched.moved_to or fetched.url,
        config_url=site.url,
        last_attempt_ms=now_ms,
        first_attempt_ms=state.first_attempt_ms or now_ms,
        next_fetch_ms=outcome.next_fetch_ms,
        wait_reason=outcome.wait_reason,
        moved_from=fetched.url if moved else state.moved_from,
        moved_ms=now_ms if moved else state.moved_ms,
    )
    if not outcome.ok:
        return replace(
            state,
            last_error_ms=now_ms,
            last_error_kind=outcome.error_kind,
            last_error=outcome.error,
            failures=state.failures + 1,
        )
    if fetched.not_modified:  # the validators sent were confirmed; the server may not repeat them
        etag = fetched.etag or state.etag
        last_modified = fetched.last_modified or state.last_modified
    else:
        etag, last_modified = fetched.etag, fetched.last_modified
    return replace(
        state,
        last_success_ms=now_ms,
        failures=0,
        etag=etag,
        last_modified=last_modified,
        body_hash=outcome.body_hash or state.body_hash,
        last_new_ms=now_ms if outcome.written else state.last_new_ms,
    )


def unchanged(state: SourceState | None, body_hash: str, force: bool) -> bool:
    """Whether a feed's body is the very one the last good pass read in full (same bytes,
    same site settings): then it need not be parsed again. Never after a failure (the last
    pass may not have finished with it) or when asked to read everything (`run --force`)."""
    return not force and state is not None and state.failures == 0 and state.body_hash == body_hash


def asked_now(state: SourceState | None, now_ms: int, force: bool) -> bool:
    """Whether a pass starting at `now_ms` asks this source (`force`: every source)."""
    return force or state is None or is_due(state, now_ms)


def request_for(site: Site, state: SourceState | None, force: bool) -> Request:
    """The request for a source's feed: where it now lives (a permanent redirect may have
    moved it), with its validators unless the pass asks everything in full (`force`)."""
    if state is None:
        return Request(site.slug, site.url)
    url = state.url or site.url
    if force:
        return Request(site.slug, url)
    return Request(site.slug, url, state.etag, state.last_modified)
