"""What archive pages cost an ordinary pass: a mirror of 100,000 articles over 20 sites and 3
years (`filler.py`) gets passes that each add 50 new articles (file URL feeds), run by two
newsmirror builds alternating, each on its own copy of the mirror: one with archive pages
(month pages, index, feeds, digests) and one from before them. Medians and their ratio, and
the files each pass wrote besides the articles.

    python bench/bench_archive_pass.py --before OLD/bin/newsmirror --after .venv/bin/newsmirror
"""

from __future__ import annotations

import argparse
import datetime
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from filler import file_sites, write_filler  # noqa: E402
from report import save_markdown  # noqa: E402
from runner import run_checked  # noqa: E402

THREE_YEARS_MS = 3 * 365 * 86_400_000


def _feeds(folder: Path, slugs: list[str], generation: int, per_pass: int) -> None:
    now = datetime.datetime.now(datetime.UTC)
    for n, slug in enumerate(slugs):
        items = []
        for k in range(n, per_pass, len(slugs)):
            date = (now - datetime.timedelta(minutes=k)).strftime("%a, %d %b %Y %H:%M:%S GMT")
            items.append(
                f"<item><title>新文章 {generation}-{k}</title>"
                f"<link>https://new.example.org/{slug}/{generation}/{k}.html</link>"
                f"<guid>g-{generation}-{k}</guid><pubDate>{date}</pubDate>"
                f"<description><![CDATA[<p>{'正文内容。' * 200}</p>]]></description></item>"
            )
        (folder / f"{slug}.xml").write_text(
            '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>t</title>'
            "<link>https://new.example.org/</link><description>d</description>"
            + "".join(items)
            + "</channel></rss>",
            "utf-8",
        )


def _derived_changes(mirror: Path, since: float) -> int:
    found = 0
    for name in ("lists", "feeds", "digests", "README.md", "status.md", "sources.opml"):
        path = mirror / name
        files = path.rglob("*") if path.is_dir() else [path]
        found += sum(1 for f in files if f.is_file() and f.stat().st_mtime > since)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", required=True)
    parser.add_argument("--after", default=str(HERE.parent / ".venv" / "bin" / "newsmirror"))
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--sites", type=int, default=20)
    parser.add_argument("--per-pass", type=int, default=50)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--tmp", type=Path, default=None)
    args = parser.parse_args()
    temp = Path(tempfile.mkdtemp(dir=args.tmp, prefix="newsmirror-archive-pass-"))
    try:
        feeds = temp / "feeds"
        feeds.mkdir()
        slugs = [f"s{n:02d}" for n in range(args.sites)]
        sites = file_sites(feeds, slugs)
        base = temp / "base"
        base.mkdir()
        (base / "newsmirror.toml").write_text(
            f"[mirror]\nlist_size = 300\nrecheck_per_pass = 0\n{sites}", "utf-8"
        )
        write_filler(
            base,
            slugs,
            args.articles,
            int(time.time() * 1000),
            step_ms=THREE_YEARS_MS // args.articles,
        )
        mirrors = {}
        for label, exe in (("before", args.before), ("after", args.after)):
            mirrors[label] = temp / label
            shutil.copytree(base, mirrors[label])
            subprocess.run(
                [exe, "-q", "-C", str(mirrors[label]), "reindex"], check=True, capture_output=True
            )
            subprocess.run(
                [exe, "-q", "-C", str(mirrors[label]), "build"], check=True, capture_output=True
            )
        samples: dict[str, list[float]] = {"before": [], "after": []}
        changed: dict[str, int] = {}
        said: dict[str, str] = {}
        for run in range(args.runs):
            _feeds(feeds, slugs, run, args.per_pass)
            order = ["before", "after"] if run % 2 == 0 else ["after", "before"]
            for label in order:
                exe = args.before if label == "before" else args.after
                since = time.time()
                elapsed, said[label] = run_checked(
                    [exe, "-q", "-C", str(mirrors[label]), "run", "--no-commit"]
                )
                samples[label].append(elapsed)
                changed[label] = _derived_changes(mirrors[label], since)
    finally:
        shutil.rmtree(temp, ignore_errors=True)
    before, after = (statistics.median(samples[k]) for k in ("before", "after"))
    text = "\n".join(
        [
            f"# newsmirror: what archive pages cost a pass, {datetime.date.today()}",
            "",
            f"A mirror of {args.articles:,} articles over {args.sites} sites and 3 years; each"
            f" pass adds {args.per_pass} articles; medians of {args.runs} alternating runs"
            f"{f' (under {args.tmp})' if args.tmp else ''}.",
            "",
            "| build | pass | pages written besides articles | last line |",
            "|---|---|---|---|",
            f"| without archive pages | {before:.3f} s | {changed['before']} |"
            f" `{said['before']}` |",
            f"| with archive pages, feeds and digests | {after:.3f} s | {changed['after']} |"
            f" `{said['after']}` |",
            "",
            f"Ratio: **{after / before:.2f}** (target ≤ 1.2).",
        ]
    )
    print(text)
    standard = args.articles == 100_000 and args.runs >= 5
    save_markdown("archive-pass", text + "\n", standard, args.tmp)


if __name__ == "__main__":
    main()
