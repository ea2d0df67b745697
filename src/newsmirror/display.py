"""What the command line shows while a pass runs, and after it.

On a terminal: a live line at the bottom (sources done of all, articles so far, the sources
that are slow right now) with a line per source printed above it as each one finishes.
Elsewhere (a log file, cron's mail): only the lines, one per source. `-q` keeps failures and the
summary, `-v` adds sources with nothing new and timings.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import IO

from newsmirror.config import Config
from newsmirror.events import Event, PassPlanned, SourceFinished, SourceStarted, Stage
from newsmirror.publish.status import format_time, zone_name
from newsmirror.records import SourceOutcome

SLOW_AFTER_S = 3.0  # a source in flight this long is named in the live line
_STAGES = {
    "index": "recording",
    "recheck": "checking links",
    "pages": "writing pages",
    "commit": "committing",
    "push": "pushing",
}


def plural(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


class SourceLines:
    """The words for one source's outcome (shared by the live display and plain output)."""

    def __init__(self, config: Config) -> None:
        self.names = {s.slug: s.name for s in config.sites}
        self.offset = config.offset_minutes

    def name(self, slug: str) -> str:
        return f"{self.names.get(slug, slug)} ({slug})"

    def clock(self, ms: int | None) -> str:
        if ms is None:
            return ""
        return f"{format_time(ms, self.offset)} {zone_name(self.offset)}"

    def lines(self, outcome: SourceOutcome, verbosity: int, dry: bool = False) -> list[str]:
        name = self.name(outcome.slug)
        took = f" in {outcome.fetched.elapsed_ms / 1000:.1f} s" if verbosity > 0 else ""
        found: list[str] = []
        if not outcome.ok:
            retry = self.clock(outcome.next_fetch_ms)
            found.append(
                f"  FAILED {name}: {outcome.error_kind}: {outcome.error}"
                + (f" (next attempt after {retry})" if retry else "")
            )
        elif outcome.skipped_until_ms is not None:
            if verbosity >= 0:
                found.append(
                    f"  waiting {name} until {self.clock(outcome.skipped_until_ms)}:"
                    f" {outcome.wait_reason}"
                )
        elif outcome.written and dry:
            found.append(f"  {name}: would archive {len(outcome.written)} of {outcome.seen}")
            found += [f"    {a.path}  {a.title}" for a in outcome.written]
        elif outcome.written and verbosity >= 0:
            found.append(f"  {name}: {len(outcome.written)} new of {outcome.seen}{took}")
        elif verbosity > 0:
            why = (
                "not modified (304)"
                if outcome.fetched.not_modified
                else "feed unchanged"
                if outcome.unchanged
                else f"0 new of {outcome.seen}"
            )
            found.append(f"  {name}: nothing new: {why}{took}")
        if found and outcome.notes and verbosity >= 0:
            found += [f"    {note}" for note in outcome.notes]
        elif outcome.notes and verbosity >= 0:
            found.append(f"  {name}: " + "; ".join(outcome.notes))
        if outcome.fetched.moved_to:
            found.append(
                f"  MOVED {name}: permanently redirected from {outcome.fetched.url} to"
                f" {outcome.fetched.moved_to}; now fetched there (update url in newsmirror.toml)"
            )
        return found


class PassDisplay:
    """The observer of a pass on the command line (thread-safe)."""

    def __init__(
        self,
        config: Config,
        verbosity: int = 0,
        live: bool | None = None,
        stream: IO[str] | None = None,
        dry: bool = False,
    ) -> None:
        self.words = SourceLines(config)
        self.verbosity = verbosity
        self.dry = dry
        self.stream = stream or sys.stdout
        self.live = wants_live(self.stream, verbosity) if live is None else live
        self._lock = threading.Lock()
        self._total = 0
        self._done = 0
        self._articles = 0
        self._failed = 0
        self._started: dict[str, float] = {}
        self._stage = "fetching"
        self._live = None
        self._printer: Callable[[str], None] = self._plain

    def __enter__(self) -> PassDisplay:
        if self.live:
            from rich.console import Console
            from rich.live import Live

            console = Console(file=self.stream, highlight=False)
            self._live = Live(
                get_renderable=self._render,
                console=console,
                refresh_per_second=4,
                transient=True,
                redirect_stdout=False,
                redirect_stderr=False,
            )
            self._live.start()
            self._printer = lambda line: console.print(line, markup=False, highlight=False)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None
            self._printer = self._plain

    def _plain(self, line: str) -> None:
        print(line, file=self.stream, flush=True)

    def __call__(self, event: Event) -> None:
        with self._lock:
            if isinstance(event, PassPlanned):
                self._total = len(event.slugs)
            elif isinstance(event, SourceStarted):
                self._started[event.slug] = time.monotonic()
            elif isinstance(event, SourceFinished):
                self._finished(event.outcome)
            elif isinstance(event, Stage):
                self._stage = _STAGES.get(event.name, event.name)

    def _finished(self, outcome: SourceOutcome) -> None:
        self._started.pop(outcome.slug, None)
        self._done += 1
        self._articles += len(outcome.written)
        self._failed += 0 if outcome.ok else 1
        for line in self.words.lines(outcome, self.verbosity, self.dry):
            self._printer(line)

    def _render(self):  # type: ignore[no-untyped-def]
        from rich.text import Text

        with self._lock:
            now = time.monotonic()
            slow = sorted(
                ((now - t, slug) for slug, t in self._started.items() if now - t >= SLOW_AFTER_S),
                reverse=True,
            )
            stage = self._stage if self._done >= self._total else "fetching"
            if not self._total and not self._done:
                stage = "starting"
            text = Text()
            text.append(f"{stage} ", style="bold")
            text.append(f"{self._done}/{self._total} sources", style="cyan")
            noun = "article to archive" if self.dry else "new article"
            text.append(f" · {plural(self._articles, noun)}")
            if self._failed:
                text.append(f" · {self._failed} failed", style="red")
            if slow:
                named = ", ".join(f"{slug} {int(age)} s" for age, slug in slow[:3])
                more = f" and {len(slow) - 3} more" if len(slow) > 3 else ""
                text.append(f" · slow: {named}{more}", style="yellow")
            return text


def wants_live(stream: IO[str], verbosity: int) -> bool:
    """A live display only on a terminal that can redraw, and not when asked to be quiet."""
    if verbosity < 0 or os.environ.get("TERM") == "dumb":
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


@contextlib.contextmanager
def progress_line(
    what: str, quiet: bool = False, stream: IO[str] | None = None
) -> Iterator[Callable[[int, int], None]]:
    """A progress bar for long work ("indexing for search: 12,000 of 100,000") on a terminal,
    nothing elsewhere or when `quiet`; yields the function to call with (done, total)."""
    stream = stream or sys.stderr
    if quiet or not wants_live(stream, 0):
        yield lambda done, total: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    columns = (f"{what}", BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=Console(file=stream), transient=True) as bar:
        task = bar.add_task(what, total=None)

        def show(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield show
