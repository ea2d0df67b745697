"""`status.md`: every source's health, for readers of the mirror and for its operator."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import astuple
from datetime import UTC, datetime, timedelta, timezone

from newsmirror.decide.health import SourceHealth
from newsmirror.records import RemoteState

STATUS_PATH = "status.md"


def render_status(
    healths: list[SourceHealth],
    now_ms: int,
    offset_minutes: int,
    title: str,
    enrichment: dict[str, int] | None = None,
    remotes: Sequence[RemoteState] = (),
) -> str:
    zone = timezone(timedelta(minutes=offset_minutes))
    fetched = [h for h in healths if h.site.enabled]
    failing = [h for h in fetched if h.failing]
    stale = [h for h in fetched if h.stale]
    lines = [
        f"# {title}: source health",
        "",
        f"Updated {_time(now_ms, zone)} ({_zone_name(offset_minutes)}).",
        "",
        f"{len(fetched)} sources fetched: {len(fetched) - len(failing)} ok, "
        f"{len(failing)} failing, {len(stale)} stale (nothing new for too long).",
        "",
        "| Source | Health | Last success | Last error | Failures in a row |"
        " Newest article | Articles |",
        "|---|---|---|---|---|---|---|",
    ]
    lines += [_row(h, now_ms, zone) for h in healths]
    lines += _section("Stale", [_stale_line(h, now_ms) for h in stale])
    lines += _section("Failing", [_failing_line(h, zone) for h in failing])
    moved = [h for h in healths if h.state and h.state.moved_from]
    lines += _section("Moved", [_moved_line(h, zone) for h in moved])
    lines += _section("Pages and pictures", _enrichment_lines(enrichment or {}))
    lines += _section("Other homes", [_remote_line(r, zone) for r in remotes])
    return "\n".join(lines) + "\n"


def _enrichment_lines(counts: dict[str, int]) -> list[str]:
    """The work owed on articles (`enrich`): said only when there is any."""
    found = []
    if counts.get("page"):
        found.append(f"- {counts['page']} articles have their full text from their page.")
    if counts.get("owed"):
        found.append(
            f"- {counts['owed']} articles still wait for their page or pictures"
            " (tried again in later passes)."
        )
    if counts.get("failed"):
        found.append(
            f"- {counts['failed']} articles keep their feed's body or their pictures' own URLs:"
            " their page or pictures failed every attempt."
        )
    return found


def _section(heading: str, items: list[str]) -> list[str]:
    return ["", f"## {heading}", "", *items] if items else []


def _name(h: SourceHealth) -> str:
    return f"{_cell(h.site.name)} ({h.site.slug})"


def _stale_line(h: SourceHealth, now_ms: int) -> str:
    since = _age(now_ms - h.last_produced_ms) if h.last_produced_ms else "ever"
    return f"- {_name(h)}: nothing new for {since}."


def _failing_line(h: SourceHealth, zone: timezone) -> str:
    state = h.state
    assert state is not None  # failing means a recorded failure
    upcoming = f"; next attempt {_time(state.next_fetch_ms, zone)}" if state.next_fetch_ms else ""
    return (
        f"- {_name(h)}: {state.last_error_kind}: {_cell(state.last_error or '')}"
        f" ({state.failures} in a row{upcoming})."
    )


def _moved_line(h: SourceHealth, zone: timezone) -> str:
    state = h.state
    assert state is not None  # moved means a recorded move
    return (
        f"- {_name(h)}: permanently redirected from {_cell(state.moved_from or '')} to"
        f" {_cell(state.url)} on {_time(state.moved_ms, zone)}; update `url` in newsmirror.toml."
    )


def _row(h: SourceHealth, now_ms: int, zone: timezone) -> str:
    state = h.state
    success = _time(state.last_success_ms, zone) if state else "-"
    error = "-"
    if state and state.last_error_ms:
        error = f"{_time(state.last_error_ms, zone)} {state.last_error_kind}"
    failures = str(state.failures) if state else "-"
    newest = "-"
    if h.newest_published_ms is not None:
        newest = _time(h.newest_published_ms, zone)
        if h.newest_published_ms <= now_ms:
            newest += f" ({_age(now_ms - h.newest_published_ms)} old)"
    name = _name(h)
    health = f"**{h.word}**" if h.word not in ("ok", "archive only") else h.word
    return f"| {name} | {health} | {success} | {error} | {failures} | {newest} | {h.articles} |"


def format_time(ms: int | None, offset_minutes: int) -> str:
    """A time as status.md and the command line show it: in the mirror's zone, to the minute."""
    return _time(ms, timezone(timedelta(minutes=offset_minutes)))


def _time(ms: int | None, zone: timezone) -> str:
    if ms is None:
        return "-"
    return datetime.fromtimestamp(ms / 1000, UTC).astimezone(zone).strftime("%Y-%m-%d %H:%M")


def zone_name(offset_minutes: int) -> str:
    return _zone_name(offset_minutes)


def _zone_name(offset_minutes: int) -> str:
    sign = "+" if offset_minutes >= 0 else "-"
    hours, minutes = divmod(abs(offset_minutes), 60)
    return f"UTC{sign}{hours:02d}:{minutes:02d}"


def _age(ms: int) -> str:
    seconds = max(0, ms // 1000)
    for unit, size in (("days", 86400), ("hours", 3600), ("minutes", 60)):
        if seconds >= size * (2 if unit == "days" else 1):
            return f"{seconds // size} {unit}"
    return f"{seconds} seconds"


def _cell(text: str) -> str:
    """Text that cannot break a table row or carry markup: error messages come from servers."""
    return (
        text.replace("\\", "\\\\")
        .replace("|", "\\|")
        .replace("[", "\\[")
        .replace("]", "\\]")
        .replace("<", "&lt;")
        .replace("\n", " ")
        .replace("\r", " ")
    )


def _remote_line(state: RemoteState, zone: timezone) -> str:
    success = _time(state.last_success_ms, zone) if state.last_success_ms else "never"
    if not state.failures:
        return f"- {_cell(state.name)} ({_cell(state.url)}): ok, last pushed {success}."
    return (
        f"- {_cell(state.name)} ({_cell(state.url)}): **failing** ({state.failures} in a row,"
        f" last success {success}): {_cell(state.last_error)}; next attempt after"
        f" {_time(state.next_ms, zone)}."
    )


def remote_state_text(state: RemoteState) -> str:
    return json.dumps(astuple(state), ensure_ascii=False)


def remote_state_from(text: str | None) -> RemoteState | None:
    """A home's state as the store keeps it (meta `remote:<name>`); None when unknown."""
    if not text:
        return None
    try:
        return RemoteState(*json.loads(text))
    except (ValueError, TypeError):
        return None
