"""Does GitHub show readers what the publisher wrote? A corpus-wide check of article bodies.

For every item of the real feeds in ../shared/corpus/feeds/real, the article body newsmirror
writes is rendered with cmarkgfm (GitHub's Markdown engine) and its visible text compared with
the visible text of the item's fullest source body (html5lib, as a browser builds it), white
space ignored, content no browser shows (script, style, embedded documents) left out on both
sides. Run against two source trees, it reports before and after:

    python bench/visible_text.py --before /path/to/old/src --after src

Each tree is imported in its own process (`--dump` mode), so that both versions can be
compared in one run.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))  # visible.py: the test suite's definition
SHARED = Path(os.environ.get("NEWSMIRROR_SHARED", HERE.parent.parent / "shared"))
FEEDS = SHARED / "corpus" / "feeds" / "real"


def dump() -> None:
    """Print one JSON line per feed item: what the imported newsmirror archives for it."""
    from newsmirror.clean.entry import to_candidate
    from newsmirror.config import Site
    from newsmirror.errors import ParseError
    from newsmirror.parse import parse_feed

    now = int(time.time() * 1000)
    for path in sorted(p for p in FEEDS.rglob("*") if p.is_file()):
        data = path.read_bytes()
        if data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
        try:
            feed = parse_feed(data)
        except ParseError:
            continue
        site = Site(path.stem, "x", path.as_uri())
        for i, entry in enumerate(feed.entries):
            candidate = to_candidate(entry, site, "https://publisher.example/feed", now)
            bodies = [entry.content, *getattr(entry, "other_bodies", ())]
            record = {
                "feed": path.name,
                "item": i,
                "bodies": bodies,
                "archived": candidate is not None,
                "title": candidate.article.title if candidate else None,
                "body": candidate.article.body if candidate else None,
            }
            print(json.dumps(record, ensure_ascii=False))


def _run(src: str) -> dict[tuple[str, int], dict]:
    env = {**os.environ, "PYTHONPATH": str(Path(src).resolve())}
    done = subprocess.run(
        [sys.executable, __file__, "--dump"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    records = (json.loads(line) for line in done.stdout.splitlines())
    return {(r["feed"], r["item"]): r for r in records}


def _fullest(bodies: list[str]) -> str:
    from visible import visible_text

    texts = [(len(visible_text(b)), -i, b) for i, b in enumerate(bodies) if b]
    return max(texts)[2] if texts else ""


def compare(before_src: str, after_src: str) -> None:
    from visible import visible_on_github, visible_text

    versions = {"before": _run(before_src), "after": _run(after_src)}
    reference = {key: _fullest(r["bodies"]) for key, r in versions["after"].items()}
    expected = {key: visible_text(body, embeds_as_links=True) for key, body in reference.items()}
    print(f"{len(expected)} items in {len({k[0] for k in expected})} feeds")
    for name, records in versions.items():
        archived = [k for k, r in records.items() if r["archived"]]
        differ = [
            k
            for k in archived
            if k in expected and visible_on_github(records[k]["body"]) != expected[k]
        ]
        print(f"{name}: {len(archived)} articles, {len(differ)} whose visible text differs")
        by_feed: dict[str, int] = {}
        for feed, _ in differ:
            by_feed[feed] = by_feed.get(feed, 0) + 1
        for feed, count in sorted(by_feed.items(), key=lambda x: -x[1])[:15]:
            print(f"    {count:4d}  {feed}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dump", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--before", metavar="SRC", help="the older source tree (its src/)")
    parser.add_argument("--after", metavar="SRC", default=str(HERE.parent / "src"))
    args = parser.parse_args()
    if not FEEDS.is_dir():
        sys.exit(f"no corpus at {FEEDS}")
    if args.dump:
        dump()
    else:
        compare(args.before or args.after, args.after)


if __name__ == "__main__":
    main()
