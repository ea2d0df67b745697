"""Core benchmark: newsmirror against the old system's design, on a loopback feed server.

usage: python bench/bench_core.py [--runs N] [--quick] [--shared PATH] [--newsmirror EXE]

See bench/README.md for what is measured and how to read the table.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from datetime import date
from functools import partial
from pathlib import Path

import report
from feedserver import FeedFarm
from filler import write_filler
from runner import RSS_METHOD, Sample, measure

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
ITEMS = 50  # items per feed of the main corpus: 200 feeds x 50 = 10,000 items
SCALE_ITEMS = 5  # items per feed of the scale corpus: 200 feeds x 5 = the 1k-article mirror
FEED_HOSTS = 100  # loopback addresses the feeds are spread over: two feeds per publisher
START_MS = 1625525942000  # genfeeds.py's default --start-ms: its newest item
LAYOUT = re.compile(r"articles/[^/]+/\d{4}/\d{2}/\d{2}/\d{6}-[0-9a-f]{12}\.md")
Run = Callable[[], Sample]


class Bench:
    def __init__(self, args: argparse.Namespace, tmp: Path) -> None:
        self.args = args
        self.tmp = tmp
        self.exe: Path = args.newsmirror
        self.samples: report.Samples = {}
        self.problems: list[str] = []
        self.info: report.Info = {
            "feeds": args.feeds,
            "runs": args.runs,
            "scale_items": SCALE_ITEMS,
        }
        self.server: FeedFarm | None = None

    # -- setup ---------------------------------------------------------------------------------
    def make_corpus(self) -> FeedFarm:
        """Feeds under tmp/corpus/{main,scale}, served; sites files and configs for both."""
        genfeeds = self.args.shared / "bench" / "genfeeds.py"
        for name, items in (("main", ITEMS), ("scale", SCALE_ITEMS)):
            out = self.tmp / "corpus" / name
            cmd = [sys.executable, genfeeds, out, "--feeds", self.args.feeds, "--items", items]
            subprocess.run([str(c) for c in cmd], check=True)
        main_bytes = sum(p.stat().st_size for p in (self.tmp / "corpus" / "main").glob("*.xml"))
        self.info["corpus_mb"] = main_bytes / 1e6
        # 200 publishers: the feeds are spread over loopback hosts, as they would be spread over
        # publishers' servers (newsmirror limits its requests per host; the baseline does not).
        self.server = FeedFarm(self.tmp / "corpus", hosts=FEED_HOSTS, conditional=False)
        self.server.start()
        farm = self.server
        for name in ("main", "scale"):
            lines = (self.tmp / "corpus" / name / "sites.txt").read_text("utf-8").split()
            sites = [
                (n, s, f"{farm.base_url(i)}/{name}/{f}")
                for i, (n, s, f) in enumerate(line.split("|") for line in lines)
            ]
            (self.tmp / f"sites-{name}.txt").write_text(
                "".join(f"{n}|{s}|{u}\n" for n, s, u in sites), "utf-8"
            )
            toml = "".join(
                f'\n[[site]]\nname = "{n}"\nslug = "{s}"\nurl = "{u}"\n' for n, s, u in sites
            )
            (self.tmp / f"{name}.toml").write_text(
                "[mirror]\nlist_size = 300\nrecheck_per_pass = 0\n" + toml, "utf-8"
            )
        return self.server

    def setup_baseline(self) -> None:
        """oldsystem.js copied next to a symlink to bench/node_modules (rss-parser 3)."""
        if not (BENCH / "node_modules" / "rss-parser").is_dir():
            subprocess.run(["npm", "install", "--no-audit", "--no-fund"], cwd=BENCH, check=True)
        old = self.tmp / "old"
        old.mkdir()
        shutil.copy(self.args.shared / "bench" / "oldsystem.js", old / "oldsystem.js")
        (old / "node_modules").symlink_to(BENCH / "node_modules")
        node = subprocess.run(["node", "--version"], capture_output=True, text=True)
        self.info["rss_method"] = RSS_METHOD
        self.info["tmp"] = str(self.tmp)
        self.info["machine"] = (
            f"{os.cpu_count()} CPUs, Node.js {node.stdout.strip()}, "
            f"Python {platform.python_version()}"
        )

    def newsmirror_works(self) -> bool:
        if self.args.baseline_only:
            print("newsmirror not measured (--baseline-only)")
            return False
        probe = measure([self.exe, "--help"]) if self.exe.exists() else None
        if probe is None or probe.rc != 0:
            why = "does not exist" if probe is None else f"--help exited {probe.rc}"
            print(f"newsmirror not measured: {self.exe} {why}\n{probe.output if probe else ''}")
            return False
        return True

    # -- commands ------------------------------------------------------------------------------
    def old_pass(self, out: Path) -> Sample:
        cmd = ["node", self.tmp / "old" / "oldsystem.js", self.tmp / "sites-main.txt", out]
        return measure(cmd)

    def new_pass(self, mirror: Path) -> Sample:
        return measure([self.exe, "-C", mirror, "run", "--no-commit"])

    def new_mirror(self, path: Path, corpus: str = "main") -> Path:
        path.mkdir(parents=True)
        shutil.copy(self.tmp / f"{corpus}.toml", path / "newsmirror.toml")
        return path

    def record(self, key: str, run: Run, conditional: bool = False) -> Sample:
        """Measure, keeping what the server saw; a failed command is a problem."""
        assert self.server is not None
        self.server.conditional = conditional
        self.server.take_stats()
        sample = run()
        sample.server = self.server.take_stats()
        self.samples.setdefault(key, []).append(sample)
        if sample.rc != 0:
            self.problem(f"{key}: exit {sample.rc}: {sample.output[-600:]}")
        if sample.server.get("404"):
            self.problem(f"{key}: {sample.server['404']} requests for unknown paths")
        return sample

    def problem(self, text: str) -> None:
        if text not in self.problems:
            self.problems.append(text)
            print("PROBLEM:", text, file=sys.stderr)

    # -- measurements --------------------------------------------------------------------------
    def startup(self, with_new: bool) -> None:
        venv_python = REPO / ".venv" / "bin" / "python"
        python = venv_python if venv_python.exists() else Path(sys.executable)
        self.record("startup/python", lambda: measure([python, "-c", "pass"]))
        self.record("startup/node", lambda: measure(["node", "-e", "0"]))
        if with_new:
            self.record("startup/help", lambda: measure([self.exe, "--help"]))

    def core_run(self, i: int, with_new: bool) -> None:
        """Cold pass, then nothing-new passes without and with 304s; systems alternate."""
        base = self.tmp / "runs" / str(i)
        old_out, mirror = base / "old", base / "new"
        base.mkdir(parents=True)
        systems: list[tuple[str, Run]] = [("baseline", lambda: self.old_pass(old_out))]
        if with_new:
            self.new_mirror(mirror)
            systems.append(("newsmirror", lambda: self.new_pass(mirror)))
        if i % 2:
            systems.reverse()
        for phase, conditional in (
            ("cold", False),
            ("nothing new", False),
            ("nothing new, 304", True),
        ):
            for name, run in systems:
                self.record(f"{phase}/{name}", run, conditional)
            self.check_count(f"{phase}/baseline", old_out)
            if with_new:
                self.check_count(f"{phase}/newsmirror", mirror)
        if i == 0 and with_new:
            self.check_output(old_out, mirror)
        # No rmtree here: on this ext4 (mounted with `discard`), deleting 20k files makes file
        # creation several times slower for a while after. Everything goes at the very end.

    def check_count(self, key: str, root: Path) -> None:
        expected = self.args.feeds * ITEMS
        if (n := count_articles(root)) != expected:
            self.problem(f"{key}: {n} article files after the pass, expected {expected}")

    def check_output(self, old_out: Path, mirror: Path) -> None:
        """The same articles byte for byte as the baseline's; newsmirror's layout and lists."""
        old, new = by_link(old_out), by_link(mirror)
        same = sum(1 for k, v in new.items() if old.get(k) == v)
        self.info["identical_articles"] = same
        if same != len(old) or len(new) != len(old):
            k = next((k for k, v in new.items() if old.get(k) != v), "")
            self.problem(
                f"cold: {same} of {len(old)} baseline articles are byte-identical in "
                f"newsmirror's archive ({len(new)} articles there); e.g. {k}:\n"
                f"  baseline:   {old.get(k, '')[:300]!r}\n"
                f"  newsmirror: {new.get(k, '')[:300]!r}"
            )
        paths = [p.relative_to(mirror).as_posix() for p in (mirror / "articles").rglob("*.md")]
        if odd := [p for p in paths if not LAYOUT.fullmatch(p)]:
            self.problem(
                f"cold: {len(odd)} newsmirror article paths outside the layout "
                f"articles/<slug>/YYYY/MM/DD/HHMMSS-<12 hex>.md, e.g. {odd[0]}"
            )
        lists = len(list(mirror.glob("lists/*.md")))
        if lists != self.args.feeds:
            self.problem(f"cold: newsmirror wrote {lists} list files for {self.args.feeds} sites")

    def build_scale_mirrors(self) -> dict[str, Path]:
        """Two mirrors of the scale feeds; the big one with synthetic older articles, then
        both reindexed, so that they differ only in size."""
        mirrors = {}
        small = self.args.feeds * SCALE_ITEMS
        slugs = [f"s{i:04d}" for i in range(self.args.feeds)]
        oldest = START_MS - (small + 1) * 61_000
        for label, size in (("small", small), ("big", self.args.big)):
            mirror = self.new_mirror(self.tmp / "scale" / label, "scale")
            self.record(f"scale cold/{label}", partial(self.new_pass, mirror))
            write_filler(mirror, slugs, size - small, oldest)
            self.record(
                f"scale reindex/{label}", partial(measure, [self.exe, "-C", mirror, "reindex"])
            )
            self.info[f"scale_{label}_articles"] = count_articles(mirror)
            mirrors[label] = mirror
        return mirrors

    def scale_run(self, i: int, mirrors: dict[str, Path]) -> None:
        order = ["small", "big"] if i % 2 == 0 else ["big", "small"]
        for phase, conditional in (("scale nothing new", False), ("scale nothing new, 304", True)):
            for label in order:
                self.record(f"{phase}/{label}", partial(self.new_pass, mirrors[label]), conditional)
        for label, mirror in mirrors.items():
            if count_articles(mirror) != self.info[f"scale_{label}_articles"]:
                self.problem(f"scale/{label}: a nothing-new pass changed the article count")


def count_articles(root: Path) -> int:
    return sum(1 for _ in root.glob("articles/**/*.md"))


def by_link(root: Path) -> dict[str, str]:
    """Article texts keyed by their `[title](url)` line."""
    texts = (p.read_text("utf-8") for p in root.glob("articles/**/*.md"))
    return {t.split("\n", 2)[1]: t for t in texts}


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument(
        "--quick", action="store_true", help="smoke test: 1 run, 20 feeds, 5,000-article big mirror"
    )
    ap.add_argument(
        "--shared",
        type=Path,
        default=REPO.parent / "shared",
        help="the shared folder holding bench/genfeeds.py and bench/oldsystem.js",
    )
    ap.add_argument("--newsmirror", type=Path, default=REPO / ".venv" / "bin" / "newsmirror")
    ap.add_argument("--baseline-only", action="store_true")
    ap.add_argument("--feeds", type=int, default=200)
    ap.add_argument("--big", type=int, default=100_000, help="articles in the big scale mirror")
    ap.add_argument("--tmp", type=Path, help="where the temporary directory goes (e.g. /dev/shm)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = ap.parse_args()
    if args.quick:
        args.runs, args.feeds, args.big = 1, 20, 5_000
    args.shared = args.shared.resolve()
    return args


def main() -> int:
    args = parse_args()
    if not (args.shared / "bench" / "genfeeds.py").is_file():
        print(f"SKIP: no {args.shared}/bench/genfeeds.py (pass --shared PATH)")
        return 0
    tmp = Path(tempfile.mkdtemp(prefix="newsmirror-bench-", dir=args.tmp))
    bench = Bench(args, tmp)
    try:
        bench.make_corpus()
        bench.setup_baseline()
        with_new = bench.newsmirror_works()
        mirrors = bench.build_scale_mirrors() if with_new else {}
        for i in range(args.runs):
            print(f"run {i + 1}/{args.runs}", flush=True)
            bench.startup(with_new)
            bench.core_run(i, with_new)
            if mirrors:
                bench.scale_run(i, mirrors)
    finally:
        if bench.server is not None:
            bench.server.shutdown()
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    text = report.render(bench.samples, bench.info, bench.problems)
    print(text)
    scratch = args.quick or not with_new or args.feeds != 200 or args.big != 100_000
    name = f"core-{date.today()}" + (f"-{args.tmp.name}" if args.tmp else "")
    stem = BENCH / "results" / ("scratch" if scratch else "") / name
    report.save(stem, text, bench.samples, bench.info, bench.problems)
    print(f"wrote {stem}.md and {stem}.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
