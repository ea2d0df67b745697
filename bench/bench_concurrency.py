"""Concurrency benchmark: one `newsmirror run` over 200 loopback sources that each answer after
200 ms, against the same pass one source at a time.

usage: .venv/bin/python bench/bench_concurrency.py [--runs N] [--quick] [--no-sequential]

Scenarios (each a fresh mirror, a git repository, `newsmirror -C DIR run`):

- spread: 200 sources on 100 loopback hosts (127.0.0.2 ... 127.0.0.101, two sources each), so
  the per-host limit (2) never holds a source back; default settings.
- spread, concurrency N: the same with `concurrency = N` for a few N.
- sequential baseline: the same sources with `concurrency = 1` (measured; 200 x 0.2 s = 40 s
  is the floor).
- one host: all 200 sources on 127.0.0.1:one port, where `per_host` rightly serialises them.
- big feed: the spread scenario with one source's feed replaced by a 50 MB feed of many items;
  peak RSS of the largest process (GNU time %M) and of the whole process tree (sampled).

Besides the CLI, the fetch stage alone (`fetch_all` in this process) is timed over the spread
sources for several concurrency values, to separate fetching from start-up and archiving.

Results: bench/results/concurrency-<date>.md and .json (scratch/ for --quick).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from runner import GNU_TIME, child_env

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
DELAY_S = 0.2
ITEMS = 5
TARGET_WALL_S = 2.0
TARGET_RSS_MB = 300
BIG_FEED_MB = 50
TIMEOUT_S = 600


# -- the slow loopback servers -----------------------------------------------------------------


class SlowServer(ThreadingHTTPServer):
    """Serves feeds from memory, each answer DELAY_S after the request; counts how many requests
    it was answering at once."""

    request_queue_size = 1024
    daemon_threads = True

    def __init__(self, host: str) -> None:
        super().__init__((host, 0), SlowHandler)
        self.feeds: dict[str, bytes] = {}
        self.lock = threading.Lock()
        self.current = self.peak = self.requests = 0

    @property
    def base(self) -> str:
        return f"http://{self.server_address[0]}:{self.server_address[1]}"

    def enter(self) -> None:
        with self.lock:
            self.current += 1
            self.requests += 1
            self.peak = max(self.peak, self.current)

    def leave(self) -> None:
        with self.lock:
            self.current -= 1

    def take_counts(self) -> tuple[int, int]:
        """(requests, most at once) since the last call."""
        with self.lock:
            counts = (self.requests, self.peak)
            self.requests = self.peak = 0
        return counts


class SlowHandler(BaseHTTPRequestHandler):
    server: SlowServer
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self.server.enter()
        try:
            time.sleep(DELAY_S)
            body = self.server.feeds.get(self.path)
            if body is None:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        finally:
            self.server.leave()

    def log_message(self, *args: object) -> None:
        pass


def start(server: SlowServer) -> SlowServer:
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    return server


# -- feeds and mirrors -------------------------------------------------------------------------


def feed(slug: str, items: int, body_bytes: int = 300) -> bytes:
    """An RSS feed of `items` items with about `body_bytes` of Chinese HTML each."""
    text = ("新闻正文，包括一些较长的句子。" * (body_bytes // 45 + 1))[: body_bytes // 3]
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
        f"<title>{slug}</title><link>https://example.org/{slug}/</link><description>d"
        "</description>\n"
    ]
    for n in range(items):
        date = formatdate(1_790_000_000 - n * 600, usegmt=True)
        parts.append(
            f"<item><title>{slug} 标题 {n}</title><link>https://example.org/{slug}/{n}.html</link>"
            f"<guid>{slug}-{n}</guid><pubDate>{date}</pubDate>"
            f"<content:encoded><![CDATA[<p>{text} {n}</p>]]></content:encoded></item>\n"
        )
    parts.append("</channel></rss>\n")
    return "".join(parts).encode()


def big_feed(slug: str, megabytes: int) -> bytes:
    """A feed of about `megabytes` MB: many items of about 5 KB each."""
    items = megabytes * 1_000_000 // 5_200
    return feed(slug, items, body_bytes=5_000)


@dataclass
class Layout:
    """Which server serves which source."""

    name: str
    sources: list[tuple[str, SlowServer]]

    def urls(self) -> list[tuple[str, str]]:
        return [(slug, f"{server.base}/{slug}.xml") for slug, server in self.sources]


def make_layout(name: str, servers: Sequence[SlowServer], count: int) -> Layout:
    sources = []
    for n in range(count):
        slug = f"s{n:03d}"
        server = servers[n % len(servers)]
        server.feeds[f"/{slug}.xml"] = feed(slug, ITEMS)
        sources.append((slug, server))
    return Layout(name, sources)


def write_mirror(root: Path, layout: Layout, **settings: object) -> Path:
    root.mkdir(parents=True)
    lines = [
        "[mirror]",
        "recheck_per_pass = 0",
        *(f"{k} = {json.dumps(v)}" for k, v in settings.items()),
    ]
    for slug, url in layout.urls():
        lines += [
            "",
            "[[site]]",
            f'name = "{slug}"',
            f'slug = "{slug}"',
            f'url = "{url}"',
            "fulltext = false",
        ]
    (root / "newsmirror.toml").write_text("\n".join(lines) + "\n", "utf-8")
    env = {**child_env(), "GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@b"}
    subprocess.run(["git", "init", "-q", str(root)], check=True, env=env)
    for key, value in (("user.name", "bench"), ("user.email", "bench@localhost")):
        subprocess.run(["git", "-C", str(root), "config", key, value], check=True)
    return root


# -- measuring one run -------------------------------------------------------------------------


@dataclass
class Sample:
    scenario: str
    wall_s: float
    rss_mb: float  # the largest single process (GNU time %M)
    tree_rss_mb: float  # the whole process tree, summed, sampled every 20 ms
    rc: int
    articles: int
    requests: int = 0
    most_per_host: int = 0
    output: str = ""
    settings: dict[str, object] = field(default_factory=dict)


def tree_rss_kb(pgid: int) -> int:
    """The summed RSS of every process in a process group, from /proc."""
    total = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as handle:
                fields = handle.read().rsplit(b")", 1)[1].split()
            if int(fields[2]) != pgid:
                continue
            with open(f"/proc/{entry.name}/status", "rb") as handle:
                for line in handle:
                    if line.startswith(b"VmRSS:"):
                        total += int(line.split()[1])
        except (OSError, IndexError, ValueError):
            continue
    return total


def cli(args: argparse.Namespace) -> tuple[list[str], dict[str, str]]:
    """The command that runs newsmirror, and its environment: the installed executable, or the
    package in a source tree given by --src (with this Python)."""
    env = child_env()
    if args.src is None:
        return [str(args.newsmirror)], env
    env["PYTHONPATH"] = str(args.src.resolve())
    code = "import sys; from newsmirror.cli import main; sys.exit(main())"
    return [sys.executable, "-c", code], env


def run_pass(
    command: tuple[list[str], dict[str, str]],
    mirror: Path,
    scenario: str,
    servers: Sequence[SlowServer],
) -> Sample:
    for server in servers:
        server.take_counts()
    program, env = command
    with tempfile.TemporaryDirectory() as scratch:
        rss_file = Path(scratch, "rss")
        cmd: list[str] = [*program, "-C", str(mirror), "run"]
        if GNU_TIME.exists():
            cmd = [str(GNU_TIME), "-q", "-f", "%M", "-o", str(rss_file), *cmd]
        os.sync()
        began = time.perf_counter()
        proc = subprocess.Popen(
            cmd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            start_new_session=True,
        )
        peak_tree, output = sample_tree(proc)
        wall = time.perf_counter() - began
        rss_kb = int(rss_file.read_text().split()[-1]) if GNU_TIME.exists() else 0
    counts = [server.take_counts() for server in servers]
    return Sample(
        scenario=scenario,
        wall_s=wall,
        rss_mb=rss_kb / 1024,
        tree_rss_mb=peak_tree / 1024,
        rc=proc.returncode,
        articles=count_articles(mirror),
        requests=sum(c[0] for c in counts),
        most_per_host=max((c[1] for c in counts), default=0),
        output=output[-600:],
    )


def sample_tree(proc: subprocess.Popen[bytes]) -> tuple[int, str]:
    """Wait for `proc`, sampling its process tree's RSS; (peak kB, output)."""
    chunks: list[bytes] = []
    reader = threading.Thread(target=lambda: chunks.append(proc.stdout.read()), daemon=True)  # type: ignore[union-attr]
    reader.start()
    peak = 0
    deadline = time.monotonic() + TIMEOUT_S
    while proc.poll() is None:
        peak = max(peak, tree_rss_kb(proc.pid))
        if time.monotonic() > deadline:
            os.killpg(proc.pid, signal.SIGKILL)
        time.sleep(0.02)
    reader.join(10)
    return peak, b"".join(chunks).decode("utf-8", "replace")


def count_articles(mirror: Path) -> int:
    return (
        sum(1 for _ in (mirror / "articles").rglob("*.md")) if (mirror / "articles").exists() else 0
    )


# -- the fetch stage alone ---------------------------------------------------------------------


def fetch_only(layout: Layout, concurrency: int) -> float:
    from newsmirror.fetch.http import FetchPolicy, Request, fetch_all

    requests = [Request(slug, url) for slug, url in layout.urls()]
    failures: list[str] = []
    began = time.perf_counter()
    fetch_all(
        requests,
        FetchPolicy(concurrency=concurrency),
        lambda r: None if r.ok else failures.append(f"{r.key}: {r.error}"),
    )
    took = time.perf_counter() - began
    if failures:
        raise RuntimeError(f"fetch failures: {failures[:3]}")
    return took


# -- the benchmark -----------------------------------------------------------------------------


class Bench:
    def __init__(self, args: argparse.Namespace, tmp: Path) -> None:
        self.args = args
        self.tmp = tmp
        self.samples: list[Sample] = []
        self.fetch_stage: dict[str, list[float]] = {}
        self.problems: list[str] = []
        self.count = 0

    def mirror(self, layout: Layout, **settings: object) -> Path:
        self.count += 1
        return write_mirror(self.tmp / f"m{self.count:03d}-{layout.name}", layout, **settings)

    def measure(
        self, scenario: str, layout: Layout, servers: Sequence[SlowServer], **settings: object
    ) -> Sample:
        mirror = self.mirror(layout, **settings)
        sample = run_pass(cli(self.args), mirror, scenario, servers)
        sample.settings = dict(settings)
        self.samples.append(sample)
        expected = len(layout.sources) * ITEMS
        if sample.rc != 0:
            self.problems.append(f"{scenario}: exit code {sample.rc}: {sample.output}")
        elif scenario != "big feed" and sample.articles != expected:
            self.problems.append(f"{scenario}: {sample.articles} articles, not {expected}")
        print(
            f"  {scenario}: {sample.wall_s:.3f} s, {sample.rss_mb:.0f} MB "
            f"(tree {sample.tree_rss_mb:.0f} MB), {sample.articles} articles, "
            f"{sample.requests} requests, at most {sample.most_per_host} at once per host",
            flush=True,
        )
        return sample


def run(args: argparse.Namespace, tmp: Path) -> tuple[Bench, dict[str, object]]:
    bench = Bench(args, tmp)
    sources = 20 if args.quick else 200
    hosts = [f"127.0.0.{n}" for n in range(2, 2 + sources // 2)]
    spread_servers = [start(SlowServer(h)) for h in hosts]
    one_server = start(SlowServer("127.0.0.1"))
    spread = make_layout("spread", spread_servers, sources)
    one_host = make_layout("one-host", [one_server], sources)
    big_servers = [start(SlowServer(h)) for h in hosts]
    big = make_layout("big", big_servers, sources)
    first_slug, first_server = big.sources[0]
    first_server.feeds[f"/{first_slug}.xml"] = big_feed(first_slug, BIG_FEED_MB)
    big_mb = len(first_server.feeds[f"/{first_slug}.xml"]) / 1e6

    levels = [16, 32, 64, 128]
    for run_no in range(args.runs):
        print(f"run {run_no + 1} of {args.runs}", flush=True)
        for level in levels:
            took = fetch_only(spread, level)
            bench.fetch_stage.setdefault(str(level), []).append(took)
            print(f"  fetch stage alone, concurrency {level}: {took:.3f} s", flush=True)
        bench.measure("spread, defaults", spread, spread_servers)
        for level in (16, 64):
            bench.measure(f"spread, concurrency {level}", spread, spread_servers, concurrency=level)
        bench.measure("spread, workers 1", spread, spread_servers, workers=1)
        bench.measure("big feed", big, big_servers)
    if not args.no_sequential:
        bench.measure("one host", one_host, [one_server])
        bench.measure("sequential baseline", spread, spread_servers, concurrency=1, workers=1)
    info: dict[str, object] = {
        "date": str(dt.date.today()),
        "sources": sources,
        "items_per_feed": ITEMS,
        "delay_s": DELAY_S,
        "hosts_spread": len(hosts),
        "big_feed_mb": round(big_mb, 1),
        "runs": args.runs,
        "machine": f"{os.cpu_count()} CPUs, Python {platform.python_version()}",
        "rss_method": "GNU time %M (largest process) and /proc sampled sum over the tree",
        "mirrors_under": str(args.tmp or tempfile.gettempdir()),
    }
    return bench, info


# -- report ------------------------------------------------------------------------------------


def medians(samples: list[Sample], scenario: str) -> Sample | None:
    chosen = [s for s in samples if s.scenario == scenario]
    if not chosen:
        return None
    middle = sorted(chosen, key=lambda s: s.wall_s)[len(chosen) // 2]
    return Sample(
        scenario=scenario,
        wall_s=statistics.median(s.wall_s for s in chosen),
        rss_mb=max(s.rss_mb for s in chosen),
        tree_rss_mb=max(s.tree_rss_mb for s in chosen),
        rc=max(s.rc for s in chosen),
        articles=middle.articles,
        requests=middle.requests,
        most_per_host=max(s.most_per_host for s in chosen),
        settings=middle.settings,
    )


def render(bench: Bench, info: dict[str, object]) -> str:
    samples = bench.samples
    sequential = medians(samples, "sequential baseline")
    baseline = sequential.wall_s if sequential else info["sources"] * DELAY_S  # type: ignore[operator]
    baseline_note = "measured" if sequential else "computed: sources x 0.2 s"
    lines = [
        f"# newsmirror concurrency benchmark, {info['date']}",
        "",
        f"{info['sources']} sources x {ITEMS} items, each answer {DELAY_S * 1000:.0f} ms after "
        f"its request, from loopback servers in the harness; one `newsmirror -C DIR run` on a "
        f"fresh mirror (a git repository) per figure, commit included; medians of "
        f"{info['runs']} runs (sequential and one-host: one run); {info['machine']}; mirrors "
        f"under {info['mirrors_under']}. Peak RSS: "
        "the largest process (GNU time %M) and the sum over the process tree (sampled every "
        "20 ms), the maximum over runs.",
        "",
        f"Sequential baseline: {baseline:.2f} s ({baseline_note}).",
        "",
        "| scenario | wall time | vs sequential | target | met | peak RSS (largest / tree) "
        "| requests | most at once on one host |",
        "|---|---|---|---|---|---|---|---|",
    ]
    order = [
        "spread, defaults",
        "spread, concurrency 16",
        "spread, concurrency 64",
        "spread, workers 1",
        "big feed",
        "one host",
        "sequential baseline",
    ]
    for scenario in order:
        m = medians(samples, scenario)
        if m is None:
            continue
        target, met = "", ""
        if scenario.startswith("spread"):
            target, met = f"< {TARGET_WALL_S:g} s", "yes" if m.wall_s < TARGET_WALL_S else "**NO**"
        if scenario == "big feed":
            target = f"< {TARGET_RSS_MB} MB RSS"
            met = "yes" if max(m.rss_mb, m.tree_rss_mb) < TARGET_RSS_MB else "**NO**"
        settings = ", ".join(f"{k} = {v}" for k, v in m.settings.items()) or "defaults"
        lines.append(
            f"| {scenario} ({settings}) | {m.wall_s:.3f} s | {m.wall_s / baseline:.3f} "
            f"| {target} | {met} | {m.rss_mb:.0f} / {m.tree_rss_mb:.0f} MB | {m.requests} "
            f"| {m.most_per_host} |"
        )
    lines += [
        "",
        f"The big-feed scenario serves one {info['big_feed_mb']} MB feed among the others.",
        "",
        "The fetch stage alone (`fetch_all` in the harness process, per_host 2, one process), "
        "over the spread sources:",
        "",
        "| concurrency | wall time (median) | floor: ceil(sources / concurrency) x 0.2 s |",
        "|---|---|---|",
    ]
    sources = int(info["sources"])  # type: ignore[call-overload]
    for level, times in bench.fetch_stage.items():
        floor = -(-sources // int(level)) * DELAY_S
        lines.append(f"| {level} | {statistics.median(times):.3f} s | {floor:.1f} s |")
    lines += ["", "## Checks", ""]
    lines += [f"- {p}" for p in bench.problems or ["no problems found"]]
    return "\n".join(lines) + "\n"


def save(bench: Bench, info: dict[str, object], text: str, scratch: bool, tmp: Path | None) -> Path:
    folder = BENCH / "results" / ("scratch" if scratch else "")
    folder.mkdir(parents=True, exist_ok=True)
    stem = folder / (f"concurrency-{info['date']}" + (f"-{tmp.name}" if tmp else ""))
    stem.with_suffix(".md").write_text(text, "utf-8")
    raw = {
        "info": info,
        "problems": bench.problems,
        "fetch_stage_s": bench.fetch_stage,
        "samples": [asdict(s) for s in bench.samples],
    }
    stem.with_suffix(".json").write_text(json.dumps(raw, ensure_ascii=False, indent=1), "utf-8")
    return stem


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="20 sources, 1 run, to scratch/")
    ap.add_argument("--no-sequential", action="store_true", help="skip the 40 s and 20 s runs")
    ap.add_argument("--newsmirror", type=Path, default=REPO / ".venv" / "bin" / "newsmirror")
    ap.add_argument("--src", type=Path, help="run newsmirror from this source tree's src/")
    ap.add_argument("--tmp", type=Path, help="where the temporary mirrors go")
    args = ap.parse_args()
    if args.quick:
        args.runs = 1
    return args


def main() -> int:
    args = parse_args()
    if args.src is not None:  # the fetch stage alone is measured from the same tree
        sys.path.insert(0, str(args.src.resolve()))
    with tempfile.TemporaryDirectory(prefix="newsmirror-conc-", dir=args.tmp) as tmp:
        bench, info = run(args, Path(tmp))
    text = render(bench, info)
    stem = save(bench, info, text, args.quick or args.no_sequential, args.tmp)
    print(text)
    print(f"results: {stem}.md, {stem}.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
