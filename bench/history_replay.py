"""Replay a generated feed history (`history_gen.py`) through `newsmirror run` against a
loopback server, hour by hour, and score what the mirror recorded against the truth:
duplicates created, false merges, edits captured (and noise taken for edits), deletions
detected (and stories marked removed that were not).

    python bench/history_replay.py --days 30 [--seed 7] [--tmp /dev/shm]

The server answers each site's feed as it stands at the current hour and each story's link
with 200 while it lives, then 404 or 410; passes run `run --force --no-commit` (every feed read
in full each hour, as an hourly schedule would when feeds change).
"""

from __future__ import annotations

import argparse
import datetime
import re
import shutil
import sqlite3
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import history_gen  # noqa: E402

_STORY = re.compile(r"/(?P<site>[a-z]+)/(?P<sid>[a-z]+\d{4})(?P<suffix>-hant|-r1)?\.html")


class _Replay(ThreadingHTTPServer):
    daemon_threads = True
    feeds: dict[str, bytes]
    links: dict[str, int]


class _Handler(BaseHTTPRequestHandler):
    def _answer(self, body: bool) -> None:
        server: _Replay = self.server  # type: ignore[assignment]
        path = self.path.split("?")[0]
        if path.startswith("/feeds/"):
            data = server.feeds.get(path[len("/feeds/") :].removesuffix(".xml"))
            status, kind = (200, "application/rss+xml") if data else (404, "text/plain")
        else:
            status, kind = server.links.get(path, 404), "text/html; charset=utf-8"
            data = b"<html><body><p>story</p></body></html>" if status == 200 else b""
        data = data or b""
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if body:
            self.wfile.write(data)

    def do_GET(self) -> None:
        self._answer(True)

    def do_HEAD(self) -> None:
        self._answer(False)

    def log_message(self, *args: object) -> None:
        pass


@dataclass(frozen=True)
class Score:
    stories: int
    articles: int
    duplicates: int
    false_merges: int
    edits_expected: int
    edits_captured: int
    noise_taken_for_edits: int
    deletions: int
    deletions_detected: int
    false_removals: int
    twins: int
    twins_as_variants: int
    passes: int
    seconds: float

    def lines(self) -> list[str]:
        def share(part: int, whole: int) -> str:
            return f"{part / whole:.1%}" if whole else "—"

        return [
            f"| stories in the feeds | {self.stories} |",
            f"| articles archived | {self.articles} |",
            f"| duplicates created | {self.duplicates} ({share(self.duplicates, self.stories)}) |",
            f"| false merges | {self.false_merges} |",
            f"| edits captured | {self.edits_captured} of {self.edits_expected}"
            f" ({share(self.edits_captured, self.edits_expected)}) |",
            f"| noise recorded as an edit | {self.noise_taken_for_edits} |",
            f"| deletions detected | {self.deletions_detected} of {self.deletions}"
            f" ({share(self.deletions_detected, self.deletions)}) |",
            f"| live stories marked removed | {self.false_removals} |",
            f"| Traditional copies linked as variants | {self.twins_as_variants} of {self.twins} |",
            f"| passes | {self.passes} in {self.seconds:.0f} s"
            f" ({self.seconds / max(1, self.passes):.2f} s a pass) |",
        ]


def replay(
    root: Path, days: int, seed: int, run: callable, sites: tuple[str, ...] = ("a", "b", "dw")
) -> Score:
    """Generate, serve and replay a history into the mirror at `root` (created), calling
    `run(root)` for each pass; the score."""
    server = _Replay(("127.0.0.1", 0), _Handler)
    server.feeds, server.links = {}, {}
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        stories, hours, _ = history_gen.generate(base, days, seed, sites)
        root.mkdir(parents=True)
        config = ["[mirror]", "recheck_per_pass = 25", "recheck_hours = 0"]
        for site in sites:
            config += [
                "[[site]]",
                f'name = "站点{site}"',
                f'slug = "{site}"',
                f'url = "{base}/feeds/{site}.xml"',
                "fulltext = false",
            ]
        (root / "newsmirror.toml").write_text("\n".join(config) + "\n", "utf-8")
        started = time.monotonic()
        for hour in range(hours):
            server.feeds = {s: history_gen.snapshot(stories, s, hour) for s in sites}
            server.links = history_gen.link_status(stories, hour)
            run(root)
        seconds = time.monotonic() - started
    finally:
        server.shutdown()
        server.server_close()
    return score(root, stories, hours, seconds)


def score(root: Path, stories: list, passes: int, seconds: float) -> Score:
    db = sqlite3.connect(root / ".newsmirror" / "index.sqlite")
    rows = db.execute(
        "SELECT a.path, a.url, a.variant_of, s.removed_ms FROM articles a"
        " LEFT JOIN story_state s ON s.path = a.path"
    ).fetchall()
    versions: dict[str, list[str]] = {}
    for path, url in db.execute("SELECT path, url FROM versions"):
        versions.setdefault(path, []).append(url)
    edits: dict[str, int] = {}
    for (path,) in db.execute("SELECT path FROM versions"):
        edits[path] = edits.get(path, 0) + 1
    db.close()
    by_sid = {s.sid: s for s in stories}
    seen_sids = {s.sid for s in stories if s.at(s.versions[0].hour) is not None}
    primaries: dict[str, list[str]] = {}
    false_merges = 0
    twins_as_variants = 0
    removed_sids: set[str] = set()
    edited: dict[str, int] = {}
    for path, url, variant_of, removed_ms in rows:
        sids = {_sid(u) for u in [url, *versions.get(path, [])]} - {None}
        if len(sids) > 1:
            false_merges += 1
        sid = _sid(url)
        if sid is None:
            continue
        story = by_sid.get(sid)
        if story is not None and story.kind == "twin" and variant_of:
            twins_as_variants += 1
            if _sid_of_path(rows, variant_of) != story.twin_of:
                false_merges += 1
            continue
        primaries.setdefault(sid, []).append(path)
        if removed_ms is not None:
            removed_sids.add(sid)
        edited[sid] = edited.get(sid, 0) + edits.get(path, 0)
    duplicates = sum(len(paths) - 1 for paths in primaries.values())
    duplicates += sum(  # a copy archived as a story of its own
        1 for s in stories if s.kind == "twin" and s.sid in primaries
    )
    expected = sum(s.edits for s in stories)
    captured = sum(min(edited.get(s.sid, 0), s.edits) for s in stories)
    noise = sum(max(0, edited.get(s.sid, 0) - s.edits) for s in stories)
    deleted = {s.sid for s in stories if s.deleted is not None}
    twins = sum(1 for s in stories if s.kind == "twin")
    return Score(
        stories=len(seen_sids),
        articles=len(rows),
        duplicates=duplicates,
        false_merges=false_merges,
        edits_expected=expected,
        edits_captured=captured,
        noise_taken_for_edits=noise,
        deletions=len(deleted),
        deletions_detected=len(deleted & removed_sids),
        false_removals=len(removed_sids - deleted),
        twins=twins,
        twins_as_variants=twins_as_variants,
        passes=passes,
        seconds=seconds,
    )


def _sid(url: str) -> str | None:
    match = _STORY.search(url or "")
    if not match:
        return None
    return match["sid"] + ("-hant" if match["suffix"] == "-hant" else "")


def _sid_of_path(rows: list, path: str) -> str | None:
    return next((_sid(url) for p, url, _, _ in rows if p == path), None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--tmp", type=Path, default=None)
    parser.add_argument("--exe", default=str(HERE.parent / ".venv" / "bin" / "newsmirror"))
    args = parser.parse_args()
    from report import save_markdown
    from runner import run_checked

    temp = Path(tempfile.mkdtemp(dir=args.tmp, prefix="newsmirror-replay-"))
    try:
        result = replay(
            temp / "m",
            args.days,
            args.seed,
            lambda root: run_checked(
                [args.exe, "-q", "-C", str(root), "run", "--force", "--no-commit"]
            ),
        )
    finally:
        shutil.rmtree(temp, ignore_errors=True)
    text = "\n".join(
        [
            f"# newsmirror: edit and deletion replay, {datetime.date.today()}",
            "",
            f"{args.days} days of hourly snapshots of 3 sites (seed {args.seed}), replayed"
            " through `newsmirror run` against a loopback server"
            f"{f' (under {args.tmp})' if args.tmp else ''}.",
            "",
            "| measure | result |",
            "|---|---|",
            *result.lines(),
            "",
            "Goals: 0 false merges, at most 1% duplicates, at least 99% of edits and 95% of"
            " deletions recorded.",
        ]
    )
    print(text)
    save_markdown("history-replay", text + "\n", args.days >= 30, args.tmp)


if __name__ == "__main__":
    main()
