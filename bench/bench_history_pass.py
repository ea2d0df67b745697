"""What recording edits costs an ordinary pass: sources (1, as the goal says, or 20) whose feeds
each hold 50 known items, 2 of which changed since the last pass (a title fix, a body edit),
run by two newsmirror
builds alternating, each on its own copy of the mirror: one that records edits (history) and
one from before it. Medians and their ratio; and the same for a pass over feeds that did not
change at all (which must cost no parsing).

    python bench/bench_history_pass.py --before OLD/bin/newsmirror --after .venv/bin/newsmirror
"""

from __future__ import annotations

import argparse
import datetime
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from filler import file_sites  # noqa: E402
from report import save_markdown  # noqa: E402
from runner import run_checked  # noqa: E402

BODY = (
    "<p>" + "这是一篇用于测量的新闻正文，讲述政府官员在记者会上回应国际社会的关注。" * 12 + "</p>"
)


def _feeds(folder: Path, slugs: list[str], per_feed: int, generation: int, changed: int) -> None:
    """Every feed: `per_feed` items; in `generation` g > 0, items 2g and 2g+1 (mod per_feed)
    carry an edit of g: one a title fix, one a body edit."""
    base = datetime.datetime(2026, 11, 1, tzinfo=datetime.UTC)
    edited = {(2 * generation + k) % per_feed for k in range(changed)} if generation else set()
    for slug in slugs:
        items = []
        for n in range(per_feed):
            date = (base + datetime.timedelta(hours=n)).strftime("%a, %d %b %Y %H:%M:%S GMT")
            title, body = f"新闻 {slug} {n}", BODY
            if n in edited and n % 2 == 0:
                title += f"（更正 {generation}）"
            elif n in edited:
                body += f"<p>（更新 {generation}）当局尚未回应。</p>"
            items.append(
                f"<item><title>{title}</title>"
                f"<link>https://news.example.org/{slug}/{n}.html</link>"
                f"<guid>{slug}-{n}</guid><pubDate>{date}</pubDate>"
                f"<description><![CDATA[{body}]]></description></item>"
            )
        (folder / f"{slug}.xml").write_text(
            '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>t</title>'
            "<link>https://news.example.org/</link><description>d</description>"
            + "".join(reversed(items))
            + "</channel></rss>",
            "utf-8",
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", required=True)
    parser.add_argument("--after", default=str(HERE.parent / ".venv" / "bin" / "newsmirror"))
    parser.add_argument("--sites", type=int, default=20)
    parser.add_argument("--per-feed", type=int, default=50)
    parser.add_argument("--changed", type=int, default=2)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--tmp", type=Path, default=None)
    args = parser.parse_args()
    temp = Path(tempfile.mkdtemp(dir=args.tmp, prefix="newsmirror-history-pass-"))
    try:
        feeds = temp / "feeds"
        feeds.mkdir()
        slugs = [f"s{n:02d}" for n in range(args.sites)]
        sites = file_sites(feeds, slugs)
        _feeds(feeds, slugs, args.per_feed, 0, args.changed)
        mirrors = {}
        for label, exe in (("before", args.before), ("after", args.after)):
            mirrors[label] = temp / label
            mirrors[label].mkdir()
            (mirrors[label] / "newsmirror.toml").write_text(
                f"[mirror]\nrecheck_per_pass = 0\n{sites}"
                if label == "after"
                else f"[mirror]\n{sites}",
                "utf-8",
            )
            subprocess.run(
                [exe, "-q", "-C", str(mirrors[label]), "run", "--no-commit"],
                check=True,
                capture_output=True,
            )
        samples: dict[str, list[float]] = {"before": [], "after": []}
        same: dict[str, list[float]] = {"before": [], "after": []}
        said: dict[str, str] = {}
        for run in range(1, args.runs + 1):
            _feeds(feeds, slugs, args.per_feed, run, args.changed)
            order = ["before", "after"] if run % 2 else ["after", "before"]
            for label in order:
                exe = args.before if label == "before" else args.after
                command = [exe, "-q", "-C", str(mirrors[label]), "run", "--no-commit"]
                elapsed, said[label] = run_checked(command)
                samples[label].append(elapsed)
                elapsed, _ = run_checked(command)  # the same feeds again: nothing to parse
                same[label].append(elapsed)
        versions = sum(1 for _ in (mirrors["after"] / "history").rglob("*.jsonl"))
    finally:
        shutil.rmtree(temp, ignore_errors=True)
    before, after = (statistics.median(samples[k]) for k in ("before", "after"))
    still_before, still_after = (statistics.median(same[k]) for k in ("before", "after"))
    text = "\n".join(
        [
            f"# newsmirror: what recording edits costs a pass, {datetime.date.today()}",
            "",
            f"{args.sites} sources, each feed {args.per_feed} known items of which"
            f" {args.changed} changed since the last pass (a title fix, a body edit); medians"
            f" of {args.runs} alternating runs{f' (under {args.tmp})' if args.tmp else ''}.",
            "",
            "| build | pass with edits | pass over unchanged feeds | last line |",
            "|---|---|---|---|",
            f"| without history | {before:.3f} s | {still_before:.3f} s | `{said['before']}` |",
            f"| with history | {after:.3f} s | {still_after:.3f} s | `{said['after']}` |",
            "",
            f"Ratio, pass with edits: **{after / before:.2f}** (target ≤ 1.2); unchanged"
            f" feeds: {still_after / still_before:.2f}. History logs written: {versions}.",
        ]
    )
    print(text)
    standard = args.sites in (1, 20) and args.runs >= 5
    save_markdown(f"history-pass-{args.sites}-sites", text + "\n", standard, args.tmp)


if __name__ == "__main__":
    main()
