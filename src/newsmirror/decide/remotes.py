"""Pure decisions about the mirror's other homes (`[[remote]]`): whether one is tried in this
pass, and its state after a push. A failing home backs off like a failing source, and never
stops the others."""

from __future__ import annotations

from dataclasses import replace

from newsmirror.decide.enrich import backoff_ms
from newsmirror.records import RemoteState


def push_due(state: RemoteState | None, now_ms: int) -> bool:
    return state is None or state.next_ms <= now_ms


def after_push(
    state: RemoteState | None, name: str, url: str, ok: bool, error: str, now_ms: int
) -> RemoteState:
    old = state if state is not None and state.url == url else RemoteState(name, url)
    if ok:
        return replace(old, last_success_ms=now_ms, failures=0, next_ms=0, last_error="")
    failures = old.failures + 1
    return replace(
        old,
        last_error_ms=now_ms,
        last_error=error[:300],
        failures=failures,
        next_ms=now_ms + backoff_ms(failures),
    )
