"""Archive pages at scale: a mirror of 100,000 articles over 20 sites and 3 years (`filler.py`),
indexed once; then `newsmirror build` (every list, month page and index, feed and digest, from
the index) timed from scratch, and the largest page and folder checked against GitHub's
comfortable sizes (500 KB, 1,000 entries).

    python bench/bench_build.py [--articles 100000] [--sites 20] [--runs 3] [--tmp /dev/shm]
"""

from __future__ import annotations

import argparse
import datetime
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from filler import write_filler  # noqa: E402
from report import save_markdown  # noqa: E402
from runner import run_checked  # noqa: E402

DERIVED = ("lists", "feeds", "digests", "README.md", "status.md", "sources.opml")
THREE_YEARS_MS = 3 * 365 * 86_400_000


def _newsmirror(exe: str, *args: str) -> tuple[float, str]:
    return run_checked([exe, *args])


def _clear(mirror: Path) -> None:
    for name in DERIVED:
        path = mirror / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()


def _largest(mirror: Path) -> tuple[int, str, int, str]:
    pages = [p for name in DERIVED for p in (mirror / name).rglob("*") if p.is_file()]
    pages += [mirror / "README.md"]
    biggest = max(pages, key=lambda p: p.stat().st_size)
    folders = [mirror / name for name in ("lists", "feeds", "digests")]
    folders += [f for top in folders for f in top.rglob("*") if f.is_dir()]
    fullest = max(folders, key=lambda f: sum(1 for _ in f.iterdir()))
    return (
        biggest.stat().st_size,
        str(biggest.relative_to(mirror)),
        sum(1 for _ in fullest.iterdir()),
        str(fullest.relative_to(mirror)),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--sites", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--tmp", type=Path, default=None)
    parser.add_argument("--newsmirror", default=str(HERE.parent / ".venv" / "bin" / "newsmirror"))
    args = parser.parse_args()
    temp = Path(tempfile.mkdtemp(dir=args.tmp, prefix="newsmirror-build-"))
    try:
        mirror = temp / "m"
        mirror.mkdir()
        slugs = [f"s{n:02d}" for n in range(args.sites)]
        sites = "".join(
            f'\n[[site]]\nname = "站点{n:02d}"\nslug = "{slug}"\nenabled = false\n'
            for n, slug in enumerate(slugs)
        )
        (mirror / "newsmirror.toml").write_text(
            f"[mirror]\nlist_size = 300\nrecheck_per_pass = 0\n{sites}", "utf-8"
        )
        now_ms = int(time.time() * 1000)
        step = THREE_YEARS_MS // args.articles
        write_filler(mirror, slugs, args.articles, now_ms, step_ms=step)
        reindex, _ = _newsmirror(args.newsmirror, "-q", "-C", str(mirror), "reindex")
        times, said = [], ""
        for _ in range(args.runs):
            _clear(mirror)
            elapsed, said = _newsmirror(args.newsmirror, "-q", "-C", str(mirror), "build")
            times.append(elapsed)
        again, _ = _newsmirror(args.newsmirror, "-q", "-C", str(mirror), "build")  # nothing changed
        size, biggest, entries, fullest = _largest(mirror)
        pages = sum(1 for name in DERIVED for p in (mirror / name).rglob("*") if p.is_file())
    finally:
        shutil.rmtree(temp, ignore_errors=True)
    median = statistics.median(times)
    lines = [
        f"# newsmirror archive-pages benchmark, {datetime.date.today()}",
        "",
        f"{args.articles:,} articles over {args.sites} sites and 3 years; medians of {args.runs}"
        f" runs{f' (under {args.tmp})' if args.tmp else ''}.",
        "",
        "| measurement | result | target | met |",
        "|---|---|---|---|",
        f"| `newsmirror build` from scratch ({pages:,} pages) | {median:.2f} s | < 20 s |"
        f" {'yes' if median < 20 else '**NO**'} |",
        f"| `newsmirror build` again, nothing changed | {again:.2f} s | | |",
        f"| largest page | {size / 1000:.0f} KB ({biggest}) | ≤ 500 KB |"
        f" {'yes' if size <= 500_000 else '**NO**'} |",
        f"| most entries in a folder | {entries} ({fullest}) | ≤ 1,000 |"
        f" {'yes' if entries <= 1000 else '**NO**'} |",
        f"| `newsmirror reindex` (once, to build the index) | {reindex:.2f} s | | |",
        "",
        f"`build` said: `{said}`",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    standard = args.articles == 100_000 and args.sites == 20 and args.runs >= 3
    save_markdown("build", text, standard, args.tmp)


if __name__ == "__main__":
    main()
