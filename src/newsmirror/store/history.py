"""The durable record of edits, removals and copies: `history/<slug>/<YYYY-MM>.jsonl` in the
mirror, one JSON object a line, appended as they happen (month of the event, UTC) and committed
with the articles. The index keeps the same (versions, changes, marks) for fast answers; an index
rebuilt from a fresh clone reads them back from here (`replay`), so that no earlier text and no
removal is lost with the index.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, replace
from pathlib import Path

from newsmirror.records import Change, StoryUpdate, Version
from newsmirror.store.base import Store
from newsmirror.store.files import AtomicWriter

HISTORY = "history"


def log_path(site: str, ms: int) -> str:
    return f"{HISTORY}/{site}/{time.strftime('%Y-%m', time.gmtime(ms / 1000))}.jsonl"


def events_of(update: StoryUpdate) -> list[dict]:
    """The log lines an update makes (none for a story only seen again)."""
    found: list[dict] = []
    state = update.state
    if update.change is not None:
        event: dict = {"event": update.change.kind, **asdict(update.change)}
        if update.version is not None:
            event["version"] = asdict(update.version)
        if update.aliases:
            event["aliases"] = [list(alias) for alias in update.aliases]
        found.append(event)
    written_now = update.article is None and state.archived_ms == state.seen_ms
    if state.variant_of is not None and written_now and not found:  # a copy, new this pass
        found.append(
            {"event": "variant", "path": state.path, "of": state.variant_of, "ms": state.seen_ms}
        )
    return found


def append(
    root: Path, writer: AtomicWriter, site: str, updates: Sequence[StoryUpdate]
) -> list[str]:
    """Add the updates' events to the site's log; the paths written."""
    by_path: dict[str, list[str]] = {}
    for update in updates:
        for event in events_of(update):
            line = json.dumps({"site": site, **event}, ensure_ascii=False, sort_keys=True)
            by_path.setdefault(log_path(site, int(event["ms"] or 0)), []).append(line)
    for path, lines in by_path.items():
        target = root / path
        old = target.read_text(encoding="utf-8") if target.exists() else ""
        writer.write(path, old + "".join(line + "\n" for line in lines))
    return sorted(by_path)


def read_all(root: Path) -> Iterator[dict]:
    """Every event of every log, each site's in the order they happened."""
    folder = root / HISTORY
    if not folder.is_dir():
        return
    for path in sorted(folder.glob("*/*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                try:
                    yield json.loads(line)
                except json.JSONDecodeError:
                    continue  # a line cut short by a crash: the rest still counts


def replay(store: Store, root: Path, everything: bool = True) -> int:
    """Restore versions, changes, aliases and marks from the logs into an index that has
    none (rebuilt from a clone); without `everything`, only which articles are copies (what
    an index that kept its history tables lost with its articles). The events read."""
    count = 0
    for event in read_all(root):
        if not everything and event.get("event") != "variant":
            continue
        count += 1
        path = event.get("path", "")
        known = store.known_paths([path])
        if not known:
            continue
        article, state = known[0].article, known[0].state
        kind = event.get("event")
        if kind == "variant":
            store.add_articles([replace(article, variant_of=event["of"])])
            store.put_states([replace(state, variant_of=event["of"])])
            continue
        change = Change(**{k: event[k] for k in _CHANGE_KEYS if k in event})
        change = replace(change, changed=tuple(change.changed))
        store.add_change(change)
        if kind == "edited":
            if "version" in event:
                v = dict(event["version"])
                v["changed"] = tuple(v["changed"])
                store.add_version(Version(**v))
            for kind, value in event.get("aliases", []):
                store.add_alias(article.site, kind, value, path)
            state = replace(state, edited_ms=change.ms)
        elif kind == "removed":
            state = replace(
                state,
                removed_ms=change.ms,
                removed_signal=change.signal,
                removed_status=change.status,
            )
        elif kind == "restored":
            state = replace(state, removed_ms=None, removed_signal=None, removed_status=None)
        store.put_states([state])
    return count


_CHANGE_KEYS = tuple(Change.__dataclass_fields__)
