"""The `newsmirror` command: a thin layer over the mirror, pipeline and scaffold modules.

Exit codes: 0 done (even when some sources failed: they are reported and recorded),
1 the command could not run (mirror unusable, git failed), 2 bad usage or configuration,
3 another run holds the mirror's lock, 4 (with --check-stale) a source is stale,
5 every source failed (run) or a source failed (check --fetch), 6 the pass committed but could
not push, 130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import argparse
import sys
import time
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from newsmirror import __version__
from newsmirror.errors import ConfigError, LockedError, NewsmirrorError

if TYPE_CHECKING:  # the command modules are imported by the commands that need them
    from newsmirror.config import Config
    from newsmirror.decide.health import SourceHealth
    from newsmirror.enrich.stage import EnrichReport
    from newsmirror.mirror import Mirror
    from newsmirror.pipeline import PassReport
    from newsmirror.records import Article, KnownArticle, Version
    from newsmirror.search.base import Query, Results
    from newsmirror.search.sqlite import ShardedSearch

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_LOCKED, EXIT_STALE = 0, 1, 2, 3, 4
EXIT_SOURCES_FAILED, EXIT_NOT_PUSHED, EXIT_INTERRUPTED = 5, 6, 130
EXIT_NOTHING_FOUND = 1  # search: no article matches (as grep says it)


def _common_options(defaults: bool) -> argparse.ArgumentParser:
    """-C, -q and -v, accepted before the command and after it (`newsmirror -C m run` and
    `newsmirror run -C m`); after it they override, and only when given."""
    common = argparse.ArgumentParser(add_help=False)
    keep = {} if defaults else {"default": argparse.SUPPRESS}
    common.add_argument(
        "-C",
        dest="directory",
        metavar="DIR",
        help="the mirror directory (default .)",
        **({"default": "."} if defaults else keep),
    )
    loud = common.add_mutually_exclusive_group()
    loud.add_argument(
        "-q",
        "--quiet",
        dest="verbosity",
        action="store_const",
        const=-1,
        help="only failures and the summary",
        **({"default": 0} if defaults else keep),
    )
    loud.add_argument(
        "-v",
        "--verbose",
        dest="verbosity",
        action="store_const",
        const=1,
        help="also sources with nothing new, and timings",
        **keep,
    )
    return common


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="newsmirror",
        description="Mirror news feeds into a git repository of Markdown articles.",
        parents=[_common_options(defaults=True)],
        epilog="Run `newsmirror COMMAND --help` for a command's options.",
    )
    parser.add_argument("--version", action="version", version=f"newsmirror {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    common = [_common_options(defaults=False)]

    def command(name: str, summary: str) -> argparse.ArgumentParser:
        return commands.add_parser(name, help=summary, description=summary, parents=common)

    init = command("init", "create a mirror (or adopt an old archive) and commit it")
    init.add_argument("target", nargs="?", metavar="DIR", help="directory (default: -C DIR)")
    init.add_argument(
        "--adopt",
        action="store_true",
        help="turn an existing archive of the old system into a mirror",
    )
    init.add_argument(
        "--package",
        metavar="SPEC",
        help="what the workflow pip-installs (default: where this newsmirror was installed from)",
    )
    init.add_argument(
        "--force",
        action="store_true",
        help="replace a README.md or workflow that newsmirror did not write",
    )

    run = command("run", "one pass: fetch, archive, publish, commit (and push)")
    run.add_argument("--no-commit", action="store_true", help="do not commit the changes")
    run.add_argument(
        "--push", action="store_true", help="push after committing (replaying on newer commits)"
    )
    run.add_argument(
        "--force",
        action="store_true",
        help="ask every source now and in full, even those backing off, fresh or unchanged",
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
    run.add_argument(
        "--dry-run",
        action="store_true",
        help="fetch and say what would be archived, writing nothing",
    )

    check = command("check", "validate the configuration without writing anything")
    check.add_argument(
        "--fetch",
        action="store_true",
        help=f"also ask each enabled source for its feed (exit {EXIT_SOURCES_FAILED} on a failure)",
    )

    command("build", "regenerate lists, README and status.md from the index")
    command("reindex", "rebuild the index from the archive files alone")
    status = command("status", "show every source's health")
    status.add_argument(
        "--check-stale",
        action="store_true",
        help=f"exit with {EXIT_STALE} when a source has produced nothing for too long",
    )
    flow = command("workflow", "(re)write the GitHub Actions workflow and commit it")
    flow.add_argument("--package", metavar="SPEC", help="what the workflow pip-installs")
    flow.add_argument(
        "--force", action="store_true", help="replace a workflow that newsmirror did not write"
    )
    flow.add_argument(
        "--pages",
        action="store_true",
        help="also build the static site after each pass and publish it to GitHub Pages",
    )

    add = command("add", "add a source to newsmirror.toml")
    add.add_argument("url", metavar="URL", help="the feed's URL (http or https)")
    add.add_argument("--name", help="display name (default: from the URL's host)")
    add.add_argument("--slug", help="folder under articles/ (default: from the name or host)")
    remove = command("remove", "remove a source from newsmirror.toml (its archive stays)")
    remove.add_argument("slug", metavar="SLUG", help="the source's slug")
    imports = command("import-opml", "add the feeds of a feed reader's OPML export as sources")
    imports.add_argument("file", metavar="FILE", type=Path, help="the OPML file")
    imports.add_argument(
        "--dry-run", action="store_true", help="say what would be added, change nothing"
    )
    exports = command("export-opml", "write the mirror's sources as OPML")
    exports.add_argument(
        "file", metavar="FILE", nargs="?", type=Path, help="where to write (default: stdout)"
    )

    history = command("history", "list an article's versions (edits) and removal")
    history.add_argument(
        "article", metavar="ARTICLE", help="the article file (relative to the mirror) or its link"
    )
    history.add_argument("--json", action="store_true", help="print JSON, texts included")
    diff = command("diff", "show what changed between two versions of an article")
    diff.add_argument(
        "article", metavar="ARTICLE", help="the article file (relative to the mirror) or its link"
    )
    diff.add_argument(
        "versions",
        metavar="V",
        nargs="*",
        type=int,
        help="two version numbers (default: the one before the current, and the current)",
    )

    search = command("search", "find articles by words of their title or text")
    search.add_argument("query", metavar="QUERY", help='words (美国, WHO 报告), a "phrase"')
    search.add_argument("--site", metavar="SLUG", help="only this source's articles")
    search.add_argument("--since", metavar="DATE", help="published on or after (YYYY-MM-DD)")
    search.add_argument("--until", metavar="DATE", help="published before (YYYY-MM-DD)")
    search.add_argument("--limit", type=int, default=20, metavar="N", help="at most N (20)")
    search.add_argument("--json", action="store_true", help="print JSON")

    serve = command("serve", "a local web reader of the mirror (sites, months, articles, search)")
    serve.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (127.0.0.1: this machine only)"
    )
    serve.add_argument("--port", type=int, default=8080, help="port (8080; 0: any free one)")
    site = command("site", "write the mirror as a static HTML site with search")
    site.add_argument("target", metavar="DIR", type=Path, help="where to write the site")

    demo = command("demo", "build a mirror of bundled sample feeds (offline)")
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
    except KeyboardInterrupt:
        print(
            "newsmirror: interrupted; what was written is kept, and the next run finishes it",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED


def _say(args: argparse.Namespace, line: str) -> None:
    """A line of ordinary output (not shown with -q)."""
    if args.verbosity >= 0:
        print(line)


def _warn(config: Config) -> None:
    for warning in config.warnings:
        print(f"newsmirror: warning: {warning}", file=sys.stderr)


def cmd_init(root: Path, args: argparse.Namespace) -> int:
    from newsmirror import scaffold

    target = root / args.target if args.target else root
    report = scaffold.init(target, adopt=args.adopt, package=args.package, force=args.force)
    print(
        f"Created a mirror in {report.root}"
        + (" (new git repository)" if report.created_repo else "")
    )
    for note in report.notes:
        print(f"  note: {note}")
    if report.reindexed and report.reindexed.articles:
        print(f"Indexed {plural(report.reindexed.articles, 'archived article')}.")
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
    _print_workflow(report.workflow)
    if report.committed:
        print(f"Committed {', '.join(report.committed)}.")
    elif report.repository is not None:
        print("Nothing new to commit.")
    print(
        f"Edit {report.root / 'newsmirror.toml'} to choose sources, then run `newsmirror run`;"
        " to publish on GitHub, add a remote and run `newsmirror run --push`."
    )
    return EXIT_OK


def _print_workflow(source) -> None:  # type: ignore[no-untyped-def]
    from newsmirror.workflow import WORKFLOW_PATH

    if source is None:
        return
    if source.spec is not None:
        print(f"{WORKFLOW_PATH} installs: {source.spec}")
    else:
        print(f"newsmirror: warning: {source.warning}", file=sys.stderr)


def cmd_workflow(root: Path, args: argparse.Namespace) -> int:
    from newsmirror import scaffold
    from newsmirror.mirror import Mirror
    from newsmirror.repo import git
    from newsmirror.workflow import WORKFLOW_PATH

    mirror = Mirror.open(root)
    source = scaffold.write_workflow(mirror.root, args.package, args.force, args.pages)
    _print_workflow(source)
    if git.is_repo(mirror.root) and git.commit(
        mirror.root, [WORKFLOW_PATH], "Update the workflow's install line\n"
    ):
        print(f"Committed {WORKFLOW_PATH}.")
    return EXIT_OK


def cmd_run(root: Path, args: argparse.Namespace) -> int:
    from newsmirror.display import PassDisplay
    from newsmirror.mirror import Mirror
    from newsmirror.pipeline import dry_run, run_pass

    if args.wait < 0:
        print("newsmirror: --wait must be 0 or more seconds", file=sys.stderr)
        return EXIT_USAGE
    mirror = Mirror.open(root)
    _warn(mirror.config)
    with PassDisplay(mirror.config, args.verbosity, dry=args.dry_run) as display:
        if args.dry_run:
            report = dry_run(mirror, force=args.force, observer=display)
        else:
            report = run_pass(
                mirror,
                commit=not args.no_commit,
                push=args.push,
                force=args.force,
                wait=args.wait,
                observer=display,
            )
    print_pass(report, mirror.config, args.verbosity)
    if report.push is not None and not report.push.ok:
        return EXIT_NOT_PUSHED
    if report.all_failing and not report.dry_run:
        print(
            f"newsmirror: every source failed (exit {EXIT_SOURCES_FAILED}); see status.md",
            file=sys.stderr,
        )
        return EXIT_SOURCES_FAILED
    if args.check_stale and report.stale:
        print(f"Stale: {', '.join(report.stale)}", file=sys.stderr)
        return EXIT_STALE
    return EXIT_OK


def print_pass(report: PassReport, config: Config, verbosity: int = 0) -> None:
    from newsmirror.display import SourceLines, plural

    words = SourceLines(config)
    if report.reindexed and report.reindexed.articles:
        print(f"Rebuilt the index from {plural(report.reindexed.articles, 'archive file')} first.")
    if report.recovered:
        print(f"Recovered {plural(report.recovered, 'article')} written by an interrupted run.")
    for outcome in sorted(report.waiting, key=lambda o: o.slug):
        for line in words.lines(outcome, verbosity):
            print(line)
    for note in report.notes:
        print(f"  note: {note}")
    asked = len(report.outcomes) - len(report.waiting)
    ok = asked - len(report.failures)
    waiting = f", {len(report.waiting)} waiting" if report.waiting else ""
    if report.dry_run:
        print(
            f"Dry run: {plural(report.new_articles, 'new article')} would be archived from"
            f" {plural(asked, 'source')} ({ok} ok, {len(report.failures)} failed{waiting})"
            f" in {report.seconds:.2f} s; nothing was written."
        )
        return
    done = "committed." if report.committed else "nothing committed."
    if report.heartbeat:
        done = "committed a heartbeat (nothing new for a long time)."
    print(
        f"{plural(report.new_articles, 'new article')} from {plural(asked, 'source')}"
        f" ({ok} ok, {len(report.failures)} failed{waiting}) in {report.seconds:.2f} s; {done}"
    )
    if report.enriched is not None and report.enriched.anything:
        print(f"Enriched: {enrich_summary(report.enriched)}.")
    if report.push is not None:
        if report.push.ok:
            print(f"{report.push.summary[0].upper()}{report.push.summary[1:]}.")
        else:
            print(
                f"newsmirror: {report.push.summary}; the commit is kept and the next"
                " `run --push` pushes it",
                file=sys.stderr,
            )
    for name, home in report.homes:
        if home is None:
            print(f"Not pushed to {name}: it failed recently and waits (see status.md).")
        elif home.ok:
            print(f"Pushed to {name}.")
        else:
            print(
                f"newsmirror: push to {name} failed ({home.kind}): {home.error}; tried again"
                " later (see status.md)",
                file=sys.stderr,
            )
    if report.stale:
        print(f"Stale (nothing new for too long): {', '.join(report.stale)}")


def plural(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def enrich_summary(report: EnrichReport) -> str:
    """What the pass did for whole stories, in one line."""
    parts = []
    if report.pages or report.kept:
        bodies = "body" if report.pages == 1 else "bodies"
        parts.append(f"{report.pages} {bodies} from article pages")
    if report.kept:
        parts.append(f"{report.kept} pages held no fuller text")
    if report.pictures:
        before, after = _megabytes(report.bytes_downloaded), _megabytes(report.bytes_stored)
        parts.append(f"{plural(report.pictures, 'picture')} stored ({before} → {after})")
    if report.refused:
        parts.append(f"{report.refused} not pictures (refused, their URLs kept)")
    if report.failed:
        parts.append(f"{report.failed} failed (tried again later)")
    if report.gave_up:
        parts.append(f"{report.gave_up} given up")
    if report.deferred:
        parts.append(f"{report.deferred} over this pass's budget (next pass)")
    parts.append(f"{plural(len(report.rewritten), 'article')} rewritten")
    return ", ".join(parts)


def _megabytes(n: int) -> str:
    return f"{n / 1_000_000:.1f} MB" if n >= 100_000 else f"{n / 1000:.0f} KB"


def cmd_check(root: Path, args: argparse.Namespace) -> int:
    """Validate the configuration (loading it reports every problem), show what a pass would
    do with it and, with --fetch, ask each source; nothing is written."""
    from newsmirror import config as config_module
    from newsmirror.repo import git, remote
    from newsmirror.workflow import MARKER, NOT_CONFIGURED, WORKFLOW_PATH

    config = config_module.load(root / config_module.CONFIG_NAME)
    _warn(config)
    enabled = [s for s in config.sites if s.enabled]
    print(
        f"{config.path}: valid; {plural(len(config.sites), 'site')},"
        f" {len(enabled)} fetched, {len(config.sites) - len(enabled)} archive only."
    )
    rows = [("site", "slug", "fetched", "url")]
    rows += [(s.name, s.slug, "yes" if s.enabled else "no", s.url or "-") for s in config.sites]
    if config.sites:
        print(format_table(rows))
    for host, limit in config.hosts:
        print(f"  {host}: up to {limit} requests at a time")
    mirror_root = config.path.parent
    where = git.placement(mirror_root)
    target = remote.upstream(mirror_root) if where.kind != "none" else None
    if where.kind == "none":
        print("git: not a repository; `run` archives without committing.")
    else:
        print(
            f"git: {where.kind} repository"
            + (f" {where.enclosing}" if where.enclosing else "")
            + (
                f"; pushes to {target.remote}/{target.branch}"
                if target
                else "; no remote to push to"
            )
        )
    flow = mirror_root / WORKFLOW_PATH
    text = flow.read_text(encoding="utf-8") if flow.exists() else ""
    if text.startswith(MARKER) and NOT_CONFIGURED in text:
        print(
            f"newsmirror: warning: {WORKFLOW_PATH} does not know where to install newsmirror"
            " from: run `newsmirror workflow --package SPEC`",
            file=sys.stderr,
        )
    if not args.fetch:
        return EXIT_OK
    return _check_sources(config, enabled)


def _check_sources(config: Config, sites: list) -> int:  # type: ignore[type-arg]
    from newsmirror.errors import ParseError
    from newsmirror.fetch.http import Request, fetch_all
    from newsmirror.parse import parse_feed
    from newsmirror.pipeline import fetch_policy

    failed = []

    def on_result(fetched) -> None:  # type: ignore[no-untyped-def]
        took = f"{fetched.elapsed_ms / 1000:.1f} s"
        if not fetched.ok:
            failed.append(fetched.key)
            print(f"  FAILED {fetched.key}: {fetched.error_kind}: {fetched.error} ({took})")
            return
        try:
            feed = parse_feed(fetched.body or b"", fetched.content_type)
        except ParseError as exc:
            failed.append(fetched.key)
            print(f"  FAILED {fetched.key}: not a feed we can read: {exc} ({took})")
            return
        print(f"  ok {fetched.key}: {feed.format}, {plural(len(feed.entries), 'item')} ({took})")

    fetch_all([Request(s.slug, s.url) for s in sites], fetch_policy(config), on_result)
    print(f"{len(sites) - len(failed)} of {plural(len(sites), 'source')} answered with a feed.")
    return EXIT_SOURCES_FAILED if failed else EXIT_OK


def cmd_build(root: Path, args: argparse.Namespace) -> int:
    from newsmirror.mirror import Mirror

    mirror = Mirror.open(root)
    with mirror.lock():
        index, reindexed = mirror.fresh_index()
        with index:
            changed = mirror.pages.build(index, int(time.time() * 1000))
    if reindexed:
        print(f"Rebuilt the index from {plural(reindexed.articles, 'archive file')} first.")
    print(f"Rewrote {plural(len(changed), 'page')}{_named(changed)}")
    return EXIT_OK


def _named(paths: list[str], most: int = 12) -> str:
    """The paths a command wrote, for its last line: all of a few; of many (a build of a big
    mirror rewrites thousands) how many in each top folder ("lists/ 1540, README.md")."""
    if not paths:
        return "."
    if len(paths) <= most:
        return ": " + ", ".join(paths) + "."
    folders: dict[str, int] = {}
    for path in paths:
        top = path.split("/", 1)[0] + "/" if "/" in path else path
        folders[top] = folders.get(top, 0) + 1
    named = [f"{top} {n}" if top.endswith("/") else top for top, n in sorted(folders.items())]
    return ": " + ", ".join(named) + "."


def cmd_reindex(root: Path, args: argparse.Namespace) -> int:
    from newsmirror.mirror import Mirror
    from newsmirror.store import rebuild

    mirror = Mirror.open(root)
    with mirror.lock(), mirror.open_index() as index:
        report = rebuild.reindex(index, mirror.archive)
    for bad in report.unreadable:
        print(f"  not an article file, skipped: {bad.path} ({bad.reason})")
    print(f"Indexed {plural(report.articles, 'article')} in {report.seconds:.2f} s.")
    _say(args, "Every feed will be read in full by the next run.")
    return EXIT_OK


def cmd_status(root: Path, args: argparse.Namespace) -> int:
    from newsmirror.mirror import Mirror
    from newsmirror.publish.site import healths as site_healths

    mirror = Mirror.open(root)
    _warn(mirror.config)
    running = False
    try:
        with mirror.lock():
            index, _ = mirror.fresh_index()
            with index:
                healths = site_healths(mirror.config, index, int(time.time() * 1000))
    except LockedError:
        # A run is going on: show the state its last pass left (the index is readable while
        # it is written), rather than nothing.
        running = True
        with mirror.open_index() as index:
            if not index.is_current():
                print("A run is in progress, and no pass has completed before it.")
                return EXIT_OK
            healths = site_healths(mirror.config, index, int(time.time() * 1000))
    if running:
        print("A run is in progress: this is the state after the last completed pass.")
    offset = mirror.config.offset_minutes
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
    print(format_table([header, *(status_row(h, offset) for h in healths)]))
    stale = [h.site.slug for h in healths if h.stale]
    failing = [h.site.slug for h in healths if h.failing]
    from newsmirror.publish.status import zone_name

    print(
        f"{plural(len(healths), 'source')}: {len(failing)} failing"
        + (f" ({', '.join(failing)})" if failing else "")
        + f", {len(stale)} stale"
        + (f" ({', '.join(stale)})" if stale else "")
        + f". Times in {zone_name(offset)}, as in status.md."
    )
    if args.check_stale and stale:
        return EXIT_STALE
    return EXIT_OK


def status_row(health: SourceHealth, offset_minutes: int) -> tuple[str, ...]:
    site, state = health.site, health.state
    error = "-"
    if state and state.failures:
        error = f"{_when(state.last_error_ms, offset_minutes)} {state.last_error_kind}:"
        error += f" {state.last_error} ({state.failures}x in a row)"
    success = _when(state.last_success_ms, offset_minutes) if state else "never fetched"
    upcoming = "-"
    if state and state.next_fetch_ms and site.enabled:
        upcoming = f"{_when(state.next_fetch_ms, offset_minutes, age=False)} ({state.wait_reason})"
    return (
        site.name,
        site.slug,
        health.word,
        success,
        error,
        str(health.articles),
        _when(health.newest_published_ms, offset_minutes),
        upcoming,
    )


def _when(ms: int | None, offset_minutes: int, age: bool = True) -> str:
    from newsmirror.publish.status import format_time

    if ms is None:
        return "-"
    text = format_time(ms, offset_minutes)
    seconds = time.time() - ms / 1000
    return text + (f" ({_age(seconds)} ago)" if age and seconds >= 0 else "")


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
    from newsmirror.display import PassDisplay
    from newsmirror.mirror import Mirror
    from newsmirror.pipeline import run_pass

    report = scaffold.demo(root / args.target)
    for note in report.notes:
        print(f"  note: {note}")
    mirror = Mirror.open(report.root)
    with PassDisplay(mirror.config, args.verbosity) as display:
        result = run_pass(mirror, commit=True, observer=display)
    print_pass(result, mirror.config, args.verbosity)
    print(f"The demo mirror is in {report.root}: open README.md, lists/ and articles/.")
    return EXIT_OK


def cmd_add(root: Path, args: argparse.Namespace) -> int:
    from newsmirror import config as config_module
    from newsmirror import config_edit
    from newsmirror.opml import Subscription

    path = root / config_module.CONFIG_NAME
    config = config_module.load(path)
    if not args.url.startswith(("http://", "https://")):
        raise ConfigError(str(path), "url", f"{args.url!r} is not an http or https feed URL")
    change = config_edit.plan_additions(config, [Subscription(args.name or "", args.url)])
    if change.skipped:
        print(f"newsmirror: not added: {change.skipped[0][1]}", file=sys.stderr)
        return EXIT_FAILED
    site = change.added[0]
    site = config_module.Site(args.name or site.name, args.slug or site.slug, site.url)
    config_edit.append_sites(path, [site])
    print(f"Added {site.name} ({site.slug}): {site.url}; the next `newsmirror run` fetches it.")
    return EXIT_OK


def cmd_remove(root: Path, args: argparse.Namespace) -> int:
    from newsmirror import config as config_module
    from newsmirror import config_edit

    path = root / config_module.CONFIG_NAME
    config = config_module.load(path)
    site = config.site(args.slug)
    if site is None:
        raise ConfigError(str(path), "site", f"no source has slug {args.slug!r}")
    has_archive = any((root / "articles" / folder).is_dir() for folder in site.all_folders)
    config_edit.remove_site(path, args.slug, keep_archive=has_archive)
    if has_archive:
        print(
            f"Removed {site.name} ({site.slug}) from the sources: its archive stays, listed as an"
            " archive-only site (enabled = false)."
        )
    else:
        print(f"Removed {site.name} ({site.slug}).")
    return EXIT_OK


def cmd_import_opml(root: Path, args: argparse.Namespace) -> int:
    from newsmirror import config as config_module
    from newsmirror import config_edit, opml

    path = root / config_module.CONFIG_NAME
    config = config_module.load(path)
    try:
        data = args.file.read_bytes()
    except OSError as exc:
        print(f"newsmirror: cannot read {args.file}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_USAGE
    subscriptions = opml.read(data, str(args.file))
    change = config_edit.plan_additions(config, subscriptions)
    for site in change.added:
        print(f"  add  {site.name} ({site.slug}): {site.url}")
    for what, why in change.skipped:
        print(f"  skip {what}: {why}")
    if change.added and not args.dry_run:
        config_edit.append_sites(path, change.added)
    verb = "would add" if args.dry_run else "added"
    print(
        f"{args.file}: {len(subscriptions)} feeds; {verb} {plural(len(change.added), 'source')},"
        f" skipped {len(change.skipped)}."
    )
    return EXIT_OK


def cmd_export_opml(root: Path, args: argparse.Namespace) -> int:
    from newsmirror import config as config_module
    from newsmirror import opml

    config = config_module.load(root / config_module.CONFIG_NAME)
    text = opml.render(config.sites, config.title)
    if args.file is None:
        sys.stdout.write(text)
    else:
        args.file.write_text(text, encoding="utf-8")
        print(f"Wrote {args.file} ({plural(text.count('<outline'), 'source')}).")
    return EXIT_OK


def _article_versions(root: Path, name: str) -> tuple[Mirror, KnownArticle, list[Version], Article]:
    """The article `name` names (a path in the mirror, or a link) with its versions and its
    file's text; a NewsmirrorError naming it when there is no such article."""
    from newsmirror.clean.urls import link_key, normalize_url
    from newsmirror.mirror import Mirror
    from newsmirror.store import article as article_format

    mirror = Mirror.open(root)
    index = mirror.open_index()
    if not index.is_current():
        index.close()
        with mirror.lock():
            index, _ = mirror.fresh_index()
    with index:
        path = name.removeprefix("./")
        found = index.known_paths([path])
        if not found and name.startswith(("http://", "https://")):
            href = normalize_url(name)
            paths = index.paths_for_link(link_key(href)) if href else []
            if len(paths) > 1:
                raise NewsmirrorError(f"{name} names {len(paths)} articles: {', '.join(paths)}")
            found = index.known_paths(paths)
        if not found:
            raise NewsmirrorError(f"no archived article is {name} (a path in the mirror or a link)")
        known = found[0]
        versions = index.versions(known.article.path)
    try:
        text = (root / known.article.path).read_text(encoding="utf-8")
        current = article_format.parse(text)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise NewsmirrorError(f"cannot read {known.article.path}: {exc}") from exc
    return mirror, known, versions, current


def cmd_history(root: Path, args: argparse.Namespace) -> int:
    import dataclasses
    import json

    from newsmirror.publish.versions import render_history, texts

    mirror, known, versions, current = _article_versions(root, args.article)
    if args.json:
        every = texts(known, versions, current)
        record = {
            "path": known.article.path,
            "state": dataclasses.asdict(known.state),
            "versions": [dataclasses.asdict(v) for v in every],
            "edits": [
                {
                    "n": v.n,
                    "replaced_ms": v.replaced_ms,
                    "changed": list(v.changed),
                    "old_hash": v.old_hash,
                    "new_hash": v.new_hash,
                }
                for v in versions
            ],
        }
        print(json.dumps(record, ensure_ascii=False, indent=1))
        return EXIT_OK
    sys.stdout.write(render_history(known, versions, current, mirror.config.offset_minutes))
    return EXIT_OK


def cmd_diff(root: Path, args: argparse.Namespace) -> int:
    from newsmirror.publish.versions import render_diff, texts

    _, known, versions, current = _article_versions(root, args.article)
    every = texts(known, versions, current)
    if args.versions and len(args.versions) != 2:
        raise NewsmirrorError("give two version numbers (V1 V2), or none")
    first, second = args.versions or [max(1, len(every) - 1), len(every)]
    for n in (first, second):
        if not 1 <= n <= len(every):
            raise NewsmirrorError(f"{known.article.path} has versions 1 to {len(every)}, not {n}")
    sys.stdout.write(render_diff(every[first - 1], every[second - 1]))
    return EXIT_OK


def _day_ms(value: str | None, offset_minutes: int, flag: str) -> int | None:
    """Midnight of a YYYY-MM-DD day in the mirror's zone, as epoch ms."""
    import datetime

    if value is None:
        return None
    try:
        day = datetime.date.fromisoformat(value)
    except ValueError:
        raise NewsmirrorError(f"{flag} must be a date as YYYY-MM-DD, not {value!r}") from None
    zone = datetime.timezone(datetime.timedelta(minutes=offset_minutes))
    return int(datetime.datetime(day.year, day.month, day.day, tzinfo=zone).timestamp() * 1000)


def open_search_index(mirror: Mirror, quiet: bool = False) -> ShardedSearch:
    """The mirror's search index, built first (with progress) when it has none, and brought
    up to the archive."""
    from newsmirror.display import progress_line
    from newsmirror.search.sync import sync

    index, _ = mirror.fresh_index()
    search = mirror.open_search()
    first = search.count() == 0 or search.needs_rebuild()
    with index, progress_line("indexing for search", quiet or not first) as show:
        done = sync(mirror.root, index, search, show)
    if first and done and not quiet:
        print(f"Indexed {plural(done, 'article')} for search.", file=sys.stderr)
    return search


def _searched(mirror: Mirror, query: Query, quiet: bool) -> Results:
    """Search, the index first brought up to the archive; while a run holds the mirror (it
    brings the index up itself), the index as that run's last pass left it."""
    try:
        with mirror.lock(), open_search_index(mirror, quiet) as search:
            return search.search(query)
    except LockedError:
        if not mirror.search_path.exists():
            raise
        with mirror.open_search() as search:
            return search.search(query)


def cmd_search(root: Path, args: argparse.Namespace) -> int:
    import json

    from newsmirror.mirror import Mirror
    from newsmirror.search.base import Query
    from newsmirror.search.sync import snippet
    from newsmirror.store.layout import local_time

    mirror = Mirror.open(root)
    offset = mirror.config.offset_minutes
    if args.limit < 1:
        raise NewsmirrorError("--limit must be 1 or more")
    if args.site and mirror.config.site(args.site) is None:
        raise NewsmirrorError(f"--site: no source has the slug {args.site!r}")
    query = Query(
        args.query,
        site=args.site,
        since_ms=_day_ms(args.since, offset, "--since"),
        until_ms=_day_ms(args.until, offset, "--until"),
        limit=args.limit,
    )
    results = _searched(mirror, query, quiet=args.json or args.verbosity < 0)
    names = {site.slug: site.name for site in mirror.config.sites}
    found = [
        {
            "path": hit.path,
            "site": hit.site,
            "site_name": names.get(hit.site, hit.site),
            "published": local_time(hit.published_ms, offset).isoformat(timespec="minutes"),
            "title": hit.title,
            "mark": hit.mark,
            "in_title": hit.in_title,
            "snippet": snippet(root, hit.path, results.terms),
        }
        for hit in results.hits
    ]
    if args.json:
        print(
            json.dumps(
                {"query": args.query, "results": found, "more": results.more},
                ensure_ascii=False,
                indent=1,
            )
        )
    else:
        for item in found:
            mark = f" {item['mark']}" if item["mark"] else ""
            print(
                f"{item['published'].replace('T', ' ')}  {item['site_name']}  {item['title']}{mark}"
            )
            print(f"  {item['path']}")
            if item["snippet"]:
                print(f"  {item['snippet']}")
        more = "; more with a higher --limit" if results.more else ""
        print(f"{plural(len(found), 'result')} for {args.query}{more}.")
    return EXIT_OK if found else EXIT_NOTHING_FOUND


def cmd_serve(root: Path, args: argparse.Namespace) -> int:
    from newsmirror.mirror import Mirror
    from newsmirror.reader.server import ReaderServer

    mirror = Mirror.open(root)
    if not 0 <= args.port <= 65535:
        raise NewsmirrorError(f"--port must be from 0 to 65535, not {args.port}")
    with mirror.lock():
        open_search_index(mirror, quiet=args.verbosity < 0).close()
    try:
        server = ReaderServer(
            mirror.root,
            mirror.config,
            mirror.index_path,
            mirror.search_path,
            (args.host, args.port),
        )
    except OSError as exc:
        raise NewsmirrorError(f"cannot listen on {args.host}:{args.port}: {exc.strerror}") from exc
    print(f"Reading {mirror.config.title} at {server.url} (Ctrl-C to stop).", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("Stopped.")
    finally:
        server.server_close()
    return EXIT_OK


def cmd_site(root: Path, args: argparse.Namespace) -> int:
    from newsmirror.display import progress_line
    from newsmirror.mirror import Mirror
    from newsmirror.reader.site import build_site

    mirror = Mirror.open(root)
    target = args.target.resolve()
    if target == mirror.root.resolve() or (
        mirror.root.resolve() in target.parents
        and (target.relative_to(mirror.root.resolve()).parts[0] in ("articles", "lists", "assets"))
    ):
        raise NewsmirrorError(f"{args.target}: the site must not be written over the archive")
    with mirror.lock():
        store, _ = mirror.fresh_index()
        with store, progress_line("writing pages", args.verbosity < 0) as show:
            report = build_site(
                mirror.root, mirror.config, store, target, mirror.pages.public_url, show
            )
    print(
        f"Wrote {plural(report.written, 'page')} of {report.pages} (the others were as they"
        f" were) and {plural(report.assets, 'picture')} to {args.target}; search index of"
        f" {plural(report.search.docs, 'article')} in search/ ({report.search.written} of"
        f" {report.search.files} files written)."
    )
    return EXIT_OK


COMMANDS = {
    "serve": cmd_serve,
    "site": cmd_site,
    "search": cmd_search,
    "history": cmd_history,
    "diff": cmd_diff,
    "init": cmd_init,
    "run": cmd_run,
    "check": cmd_check,
    "build": cmd_build,
    "reindex": cmd_reindex,
    "status": cmd_status,
    "workflow": cmd_workflow,
    "demo": cmd_demo,
    "add": cmd_add,
    "remove": cmd_remove,
    "import-opml": cmd_import_opml,
    "export-opml": cmd_export_opml,
}
