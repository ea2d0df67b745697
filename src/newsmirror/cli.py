"""The `newsmirror` command: a thin layer over the mirror, pipeline and scaffold modules.

Exit codes: 0 done (even when some sources failed: they are reported and recorded),
1 the command could not run (mirror unusable, git failed), 2 bad usage or configuration,
3 another run holds the mirror's lock, 4 (with --check-stale) a source is stale.
"""

from __future__ import annotations

import argparse
import sys
import time
import unicodedata
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from newsmirror import __version__
from newsmirror.errors import ConfigError, LockedError, NewsmirrorError

if TYPE_CHECKING:  # the command modules are imported by the commands that need them
    from newsmirror.health import SourceHealth
    from newsmirror.pipeline import PassReport

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_LOCKED, EXIT_STALE = 0, 1, 2, 3, 4


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="newsmirror",
        description="Mirror news feeds into a git repository of Markdown articles.",
    )
    parser.add_argument("--version", action="version", version=f"newsmirror {__version__}")
    parser.add_argument(
        "-C", dest="directory", default=".", metavar="DIR", help="the mirror directory (default .)"
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    init = commands.add_parser("init", help="create a mirror (or adopt an old archive)")
    init.add_argument("target", nargs="?", metavar="DIR", help="directory (default: -C DIR)")
    init.add_argument(
        "--adopt",
        action="store_true",
        help="turn an existing archive of the old system into a mirror",
    )
    init.add_argument(
        "--package", metavar="SPEC", help="what the workflow pip-installs (default: this version)"
    )

    run = commands.add_parser("run", help="one pass: fetch, archive, publish, commit")
    run.add_argument("--no-commit", action="store_true", help="do not commit the changes")
    run.add_argument("--push", action="store_true", help="push after committing")
    run.add_argument(
        "--force",
        action="store_true",
        help="ask every source now, even those backing off or still fresh",
    )
    run.add_argument(
        "--wait",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="wait this long for another run's lock (default: give up at once)",
    )
    run.add_argument(
        "--check-stale",
        action="store_true",
        help=f"exit with {EXIT_STALE} when a source has produced nothing for too long",
    )

    commands.add_parser("build", help="regenerate lists, README and status.md from the index")
    commands.add_parser("reindex", help="rebuild the index from the archive files alone")
    status = commands.add_parser("status", help="show every source's health")
    status.add_argument(
        "--check-stale",
        action="store_true",
        help=f"exit with {EXIT_STALE} when a source has produced nothing for too long",
    )

    demo = commands.add_parser("demo", help="build a mirror of bundled sample feeds (offline)")
    demo.add_argument("target", metavar="DIR", help="a new directory for the demo mirror")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    root = Path(args.directory)
    try:
        return COMMANDS[args.command](root, args)
    except ConfigError as exc:
        print(f"newsmirror: configuration error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except LockedError as exc:
        print(f"newsmirror: {exc}", file=sys.stderr)
        return EXIT_LOCKED
    except NewsmirrorError as exc:
        print(f"newsmirror: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except OSError as exc:
        print(f"newsmirror: {exc}", file=sys.stderr)
        return EXIT_FAILED


def cmd_init(root: Path, args: argparse.Namespace) -> int:
    from newsmirror import scaffold

    target = root / args.target if args.target else root
    report = scaffold.init(target, adopt=args.adopt, package=args.package)
    print(
        f"Created a mirror in {report.root}"
        + (" (new git repository)" if report.created_repo else "")
    )
    if report.reindexed and report.reindexed.articles:
        print(f"Indexed {report.reindexed.articles} archived articles.")
        for bad in report.reindexed.unreadable:
            print(f"  not an article file, left as it is: {bad.path} ({bad.reason})")
    if args.adopt:
        for site in report.sites:
            if site.folders or site.layout == "flat":
                print(
                    f"  {site.name}: articles/{site.slug}"
                    + "".join(f" + articles/{f}" for f in site.folders)
                )
        for folder in report.unclaimed_folders:
            print(f"  articles/{folder}: no known site; kept as an archive-only site")
    print(f"Edit {report.root / 'newsmirror.toml'} to choose sources, then run `newsmirror run`.")
    return EXIT_OK


def cmd_run(root: Path, args: argparse.Namespace) -> int:
    from newsmirror.mirror import Mirror
    from newsmirror.pipeline import run_pass

    if args.wait < 0:
        print("newsmirror: --wait must be 0 or more seconds", file=sys.stderr)
        return EXIT_USAGE
    report = run_pass(
        Mirror.open(root),
        commit=not args.no_commit,
        push=args.push,
        force=args.force,
        wait=args.wait,
    )
    print_pass(report)
    if args.check_stale and report.stale:
        print(f"Stale: {', '.join(report.stale)}", file=sys.stderr)
        return EXIT_STALE
    return EXIT_OK


def print_pass(report: PassReport) -> None:
    if report.reindexed and report.reindexed.articles:
        print(f"Rebuilt the index from {report.reindexed.articles} archive files first.")
    if report.recovered:
        print(f"Recovered {report.recovered} articles written by an interrupted run.")
    for outcome in sorted(report.outcomes, key=lambda o: o.slug):
        name = report.sites[outcome.slug].name if outcome.slug in report.sites else outcome.slug
        if not outcome.ok:
            retry = _clock(outcome.next_fetch_ms)
            print(
                f"  FAILED {name} ({outcome.slug}): {outcome.error_kind}: {outcome.error}"
                + (f" (next attempt after {retry})" if retry else "")
            )
        elif outcome.skipped_until_ms is not None:
            print(
                f"  waiting {name} ({outcome.slug}) until {_clock(outcome.skipped_until_ms)}:"
                f" {outcome.wait_reason}"
            )
        elif outcome.written:
            print(f"  {name} ({outcome.slug}): {len(outcome.written)} new of {outcome.seen}")
        if outcome.fetched.moved_to:
            print(
                f"  MOVED {name} ({outcome.slug}): permanently redirected from"
                f" {outcome.fetched.url} to {outcome.fetched.moved_to}; now fetched there"
                " (update url in newsmirror.toml)"
            )
    asked = len(report.outcomes) - len(report.waiting)
    ok = asked - len(report.failures)
    waiting = f", {len(report.waiting)} waiting" if report.waiting else ""
    print(
        f"{report.new_articles} new articles from {asked} sources"
        f" ({ok} ok, {len(report.failures)} failed{waiting}) in {report.seconds:.2f} s;"
        + (" committed." if report.committed else " nothing committed.")
    )
    if report.stale:
        print(f"Stale (nothing new for too long): {', '.join(report.stale)}")


def _clock(ms: int | None) -> str:
    if ms is None:
        return ""
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M UTC")


def cmd_build(root: Path, args: argparse.Namespace) -> int:
    from newsmirror.mirror import Mirror

    mirror = Mirror.open(root)
    with mirror.lock():
        index, reindexed = mirror.fresh_index()
        with index:
            changed = mirror.build(index)
    if reindexed:
        print(f"Rebuilt the index from {reindexed.articles} archive files first.")
    print(f"Rewrote {len(changed)} pages" + (": " + ", ".join(changed) if changed else "."))
    return EXIT_OK


def cmd_reindex(root: Path, args: argparse.Namespace) -> int:
    from newsmirror.mirror import Mirror

    mirror = Mirror.open(root)
    with mirror.lock(), mirror.open_index() as index:
        report = mirror.reindex(index)
    for bad in report.unreadable:
        print(f"  not an article file, skipped: {bad.path} ({bad.reason})")
    print(f"Indexed {report.articles} articles in {report.seconds:.2f} s.")
    return EXIT_OK


def cmd_status(root: Path, args: argparse.Namespace) -> int:
    from newsmirror.mirror import Mirror

    mirror = Mirror.open(root)
    running = False
    try:
        with mirror.lock():
            index, _ = mirror.fresh_index()
            with index:
                healths = mirror.healths(index)
    except LockedError:
        # A run is going on: show the state its last pass left (the index is readable while
        # it is written), rather than nothing.
        running = True
        with mirror.open_index() as index:
            if not index.is_current():
                print("A run is in progress, and no pass has completed before it.")
                return EXIT_OK
            healths = mirror.healths(index)
    if running:
        print("A run is in progress: this is the state after the last completed pass.")
    header = (
        "source",
        "slug",
        "health",
        "last success",
        "last error",
        "articles",
        "newest article",
        "next attempt",
    )
    print(format_table([header, *(status_row(h) for h in healths)]))
    stale = [h.site.slug for h in healths if h.stale]
    failing = [h.site.slug for h in healths if h.failing]
    print(
        f"{len(healths)} sources: {len(failing)} failing"
        + (f" ({', '.join(failing)})" if failing else "")
        + f", {len(stale)} stale"
        + (f" ({', '.join(stale)})" if stale else "")
        + "."
    )
    if args.check_stale and stale:
        return EXIT_STALE
    return EXIT_OK


def status_row(health: SourceHealth) -> tuple[str, ...]:
    site, state = health.site, health.state
    error = "-"
    if state and state.failures:
        error = f"{_when(state.last_error_ms)} {state.last_error_kind}: {state.last_error}"
        error += f" ({state.failures}x in a row)"
    success = _when(state.last_success_ms) if state else "never fetched"
    upcoming = "-"
    if state and state.next_fetch_ms and site.enabled:
        upcoming = f"{_clock(state.next_fetch_ms)} ({state.wait_reason})"
    return (
        site.name,
        site.slug,
        health.word,
        success,
        error,
        str(health.articles),
        _when(health.newest_published_ms),
        upcoming,
    )


def _when(ms: int | None) -> str:
    if ms is None:
        return "-"
    when = datetime.fromtimestamp(ms / 1000, UTC)
    age = time.time() - ms / 1000
    return when.strftime("%Y-%m-%d %H:%M UTC") + f" ({_age(age)} ago)"


def _age(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{int(seconds // size)} {unit}"
    return f"{max(0, int(seconds))} s"


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def format_table(rows: Sequence[Sequence[str]]) -> str:
    widths = [max(_width(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = [cell + " " * (widths[i] - _width(cell)) for i, cell in enumerate(row)]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def cmd_demo(root: Path, args: argparse.Namespace) -> int:
    from newsmirror import scaffold
    from newsmirror.mirror import Mirror
    from newsmirror.pipeline import run_pass

    report = scaffold.demo(root / args.target)
    result = run_pass(Mirror.open(report.root), commit=True)
    print_pass(result)
    print(f"The demo mirror is in {report.root}: open README.md, lists/ and articles/.")
    return EXIT_OK


COMMANDS = {
    "init": cmd_init,
    "run": cmd_run,
    "build": cmd_build,
    "reindex": cmd_reindex,
    "status": cmd_status,
    "demo": cmd_demo,
}
