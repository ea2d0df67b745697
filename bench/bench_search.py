"""Search at scale: an index of N synthetic articles of Chinese news text (written directly,
the way a mirror's first search builds it: two processes each reading, tokenizing and
inserting into a file of its own), its build rate and size on disk, the p50/p95 time of
2-character, 4-character, phrase and mixed Chinese/Latin queries (each in Simplified and
Traditional), and an incremental update of 100 new articles.

    python bench/bench_search.py [--articles 1000000] [--tmp /dev/shm]
"""

from __future__ import annotations

import argparse
import datetime
import pickle
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from history_gen import _CITIES, _WORDS  # noqa: E402
from newsmirror.search.base import Query, SearchDoc  # noqa: E402
from newsmirror.search.sqlite import ShardedSearch, Tokenized, tokenized  # noqa: E402
from newsmirror.search.sync import build  # noqa: E402
from report import save_markdown  # noqa: E402

LATIN = ("WHO", "COVID", "iPhone", "NASA", "G20", "AI", "TikTok", "Reuters", "report")
QUERIES = {
    "2 characters": ["美国", "香港", "疫苗", "選舉", "臺灣", "北京", "法院", "股市"],
    "4 characters": ["经济增长", "外交部长", "新闻自由", "國際社會", "人权组织", "疫情防控"],
    "phrase": ['"政府官员表示"', '"投资者担忧"', '"言論自由"', '"军队演习"'],
    "mixed": ["WHO 报告", "iPhone 芯片", "AI 审查", "COVID 疫苗", "G20 峰会", "repo 美国"],
}


def article(rng: random.Random, n: int, start_ms: int) -> SearchDoc:
    words = [rng.choice(_WORDS) for _ in range(rng.randint(120, 220))]
    for _ in range(rng.randint(0, 3)):
        words.insert(rng.randrange(len(words)), f" {rng.choice(LATIN)} ")
    words.insert(rng.randrange(len(words)), rng.choice(_CITIES))
    text = "".join(w + ("。" if rng.random() < 0.08 else "") for w in words)
    title = "".join(rng.choice(_WORDS) for _ in range(rng.randint(3, 6)))
    site = f"s{n % 20:02d}"
    return SearchDoc(f"articles/{site}/{n:07d}.md", site, start_ms + n * 60_000, title, text)


def generate(folder: Path, first: int, last: int, start_ms: int) -> Path:
    """Articles first..last into a file (made before the clock starts: the build is timed,
    not the making of its text)."""
    rng = random.Random(first)
    path = folder / f"{first:08d}.pickle"
    path.write_bytes(pickle.dumps([article(rng, n, start_ms) for n in range(first, last)]))
    return path


def load_and_tokenize(path: Path) -> list[Tokenized]:
    """A batch of articles read and tokenized in a build's process (as a mirror's build reads
    and tokenizes its files there, before inserting them into its file)."""
    return [tokenized(doc) for doc in pickle.loads(path.read_bytes())]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=5, help="times each query is asked")
    parser.add_argument("--tmp", type=Path, default=None)
    parser.add_argument("--optimize", action="store_true", help="merge the index at the end")
    args = parser.parse_args()
    rng = random.Random(3)
    start_ms = int(time.time() * 1000) - args.articles * 60_000
    temp = Path(tempfile.mkdtemp(dir=args.tmp, prefix="newsmirror-search-"))
    try:
        docs = temp / "docs"
        docs.mkdir()
        with ProcessPoolExecutor(max_workers=2) as pool:
            made = [
                pool.submit(generate, docs, first, min(args.articles, first + 2_000), start_ms)
                for first in range(0, args.articles, 2_000)
            ]
            files = [future.result() for future in made]
        index = ShardedSearch(temp / "search.sqlite")
        started = time.perf_counter()

        def batches() -> Iterator[Path]:
            yield from files

        def progress(done: int, total: int) -> None:
            if done % 100_000 < 2_000:
                rate = done / (time.perf_counter() - started)
                print(f"  {done:,} indexed, {rate:,.0f}/s", file=sys.stderr)

        build(index, batches(), load_and_tokenize, args.articles, progress)
        if args.optimize:
            index.optimize()
        build_s = time.perf_counter() - started
        for shard in index.shards:
            shard.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        size = sum(f.stat().st_size for f in temp.iterdir() if f.is_file())
        timings: dict[str, list[float]] = {kind: [] for kind in QUERIES}
        counts: dict[str, list[int]] = {kind: [] for kind in QUERIES}
        for _ in range(args.rounds):
            for kind, queries in QUERIES.items():
                for text in queries:
                    began = time.perf_counter()
                    results = index.search(Query(text, limit=20))
                    timings[kind].append((time.perf_counter() - began) * 1000)
                    counts[kind].append(len(results.hits))
        fresh = [article(rng, args.articles + k, start_ms) for k in range(100)]
        began = time.perf_counter()
        index.put(fresh)
        update_s = time.perf_counter() - began
        index.close()
    finally:
        shutil.rmtree(temp, ignore_errors=True)

    def pct(values: list[float], q: float) -> float:
        return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else values[0]

    lines = [
        f"# newsmirror search benchmark, {datetime.date.today()}",
        "",
        f"{args.articles:,} synthetic articles of Chinese news text (about 400 characters each,"
        " some Latin words), 20 sites; each query asked"
        f" {args.rounds} times, first page of 20{f' (under {args.tmp})' if args.tmp else ''}.",
        "",
        "| measurement | result | goal |",
        "|---|---|---|",
        f"| build | {args.articles / build_s:,.0f} articles/s ({build_s:.0f} s) | ≥ 5,000/s |",
        f"| index size on disk | {size / 2**20:,.0f} MiB ({size / args.articles:,.0f} B an"
        " article) | |",
        f"| 100 new articles indexed | {update_s * 1000:.0f} ms | < 1 s |",
    ]
    for kind in QUERIES:
        p50, p95 = pct(timings[kind], 50), pct(timings[kind], 95)
        hits = statistics.mean(counts[kind])
        lines.append(
            f"| {kind} queries ({', '.join(QUERIES[kind][:3])}…) | p50 {p50:.1f} ms,"
            f" p95 {p95:.1f} ms (mean {hits:.0f} hits) | p95 < 50 ms |"
        )
    text = "\n".join(lines)
    print(text)
    save_markdown("search", text + "\n", args.articles >= 1_000_000, args.tmp)


if __name__ == "__main__":
    main()
