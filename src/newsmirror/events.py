"""What a pass tells whoever watches it (the command line's progress display), as it happens.

Events are frozen records handed to an observer: a callable that must be thread-safe, since
fetch threads report starts and worker processes report through a queue drained by a thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from newsmirror.records import SourceOutcome


@dataclass(frozen=True, slots=True)
class PassPlanned:
    """The pass is about to ask these sources (`waiting` others are not due)."""

    slugs: tuple[str, ...]
    waiting: int


@dataclass(frozen=True, slots=True)
class SourceStarted:
    slug: str
    url: str


@dataclass(frozen=True, slots=True)
class SourceFinished:
    outcome: SourceOutcome


@dataclass(frozen=True, slots=True)
class Stage:
    """A step of the pass after fetching: indexing, pages, committing, pushing."""

    name: str


Event = PassPlanned | SourceStarted | SourceFinished | Stage
Observer = Callable[[Event], None]


def ignore(event: Event) -> None:
    """The observer of a pass nobody watches."""


class Relay:
    """Carries events from worker processes to the observer in this one: workers put them on
    a multiprocessing queue, a thread here hands them on until `close()`."""

    _STOP = "stop"

    def __init__(self, queue: Any, observer: Observer) -> None:
        self.queue = queue
        self._observer = observer
        self._thread = threading.Thread(target=self._drain, name="events", daemon=True)

    def start(self) -> None:
        """Start handing events on (after worker processes are forked: no thread of ours should
        be running while they are)."""
        self._thread.start()

    def _drain(self) -> None:
        while (event := self.queue.get()) != self._STOP:
            try:
                self._observer(event)
            except Exception:  # a display problem must never stop the pass
                continue

    def close(self) -> None:
        if self._thread.is_alive():
            self.queue.put(self._STOP)
            self._thread.join(timeout=5)
