"""Does GitHub show readers what the publisher wrote? A corpus-wide check of article bodies.

For every item of the real feeds in ../shared/corpus/feeds/real, the article body newsmirror
writes is rendered with cmarkgfm (GitHub's Markdown engine) and its visible text compared with
the visible text of the item's fullest source body, as the newer tree chooses it (html5lib, as
a browser builds it), white space ignored, content no browser shows (script, style, embedded
documents) left out on both sides, an embed counted as the link that stands for it. Run
against two source trees, it reports before and after:

    python bench/visible_text.py --before /path/to/old/src --after src

Each tree is imported in its own process (`--dump` mode), so that both versions can be
compared in one run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))  # visible.py: the test suite's definition
SHARED = Path(os.environ.get("NEWSMIRROR_SHARED", HERE.parent.parent / "shared"))
FEEDS = SHARED / "corpus" / "feeds" / "real"


def dump() -> None:
    """Print one JSON line per feed item: what the imported newsmirror archives for it."""
    from newsmirror.clean import entry as entry_module
    from newsmirror.clean.entry import to_candidate
    from newsmirror.config import Site
    from visible import corpus_feeds

    now = 1_796_083_200_000  # 2026-12-01: the same "first seen" time for undated items in both
    for path, feed in corpus_feeds(FEEDS):
        site = Site(path.stem, "x", path.as_uri())
        zone = getattr(entry_module, "feed_zone_minutes", None)
        extra = (zone(site, feed.language),) if zone else ()  # as the pass reads the feed
        for i, entry in enumerate(feed.entries):
            candidate = to_candidate(entry, site, "https://publisher.example/feed", now, *extra)
            # The body the newer rules call the item's fullest (older versions have no rule).
            fullest = getattr(entry_module, "fullest_body", lambda e: e.content)(entry)
            record = {
                "feed": path.name,
                "item": i,
                "fullest": fullest,
                "archived": candidate is not None,
                "title": candidate.article.title if candidate else None,
                "body": candidate.article.body if candidate else None,
                "url": candidate.article.url if candidate else None,
                "published_ms": candidate.article.published_ms if candidate else None,
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


def compare(before_src: str, after_src: str) -> None:
    from visible import visible_on_github, visible_text

    versions = {"before": _run(before_src), "after": _run(after_src)}
    reference = {key: r["fullest"] for key, r in versions["after"].items()}
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


def changes(before_src: str, after_src: str) -> None:
    """How many items each version writes differently, by what changed, with an example."""
    from visible import visible_text

    old, new = _run(before_src), _run(after_src)
    kinds: dict[str, list[tuple[str, int]]] = {}

    def note(kind: str, key: tuple[str, int]) -> None:
        kinds.setdefault(kind, []).append(key)

    for key, after in new.items():
        before = old.get(key)
        if before is None:
            continue
        if before["archived"] and not after["archived"]:
            note("skipped now (empty items)", key)
            continue
        if not after["archived"]:
            continue
        if before["published_ms"] != after["published_ms"]:
            note("date", key)
        if before["url"] != after["url"]:
            note("link", key)
        if before["title"] != after["title"]:
            note("title", key)
        if before["body"] != after["body"]:
            old_text = visible_text(before["body"])
            new_text = visible_text(after["body"])
            if after["body"] == f"<div>{before['body']}</div>":
                note("body wrapped in <div> only", key)
            elif (
                len(new_text) > len(old_text)
                and "<a href" in after["body"]
                and (after["body"].count("<a ") > before["body"].count("<a "))
            ):
                note("body: embed links added", key)
            elif len(new_text) > len(old_text):
                note("body: more visible text", key)
            else:
                note("body: other", key)
    for kind, keys in sorted(kinds.items()):
        feed, item = keys[0]
        print(f"{kind}: {len(keys)} items; e.g. {feed} item {item}")
        for name, record in (("before", old[keys[0]]), ("after", new[keys[0]])):
            shown = {k: record[k] for k in ("published_ms", "url", "title") if record.get(k)}
            body = (record.get("body") or "")[:160]
            print(f"    {name}: {json.dumps(shown, ensure_ascii=False)} body: {body!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dump", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--before", metavar="SRC", help="the older source tree (its src/)")
    parser.add_argument("--after", metavar="SRC", default=str(HERE.parent / "src"))
    parser.add_argument(
        "--changes", action="store_true", help="count what changed between the two, by kind"
    )
    args = parser.parse_args()
    if not FEEDS.is_dir():
        sys.exit(f"no corpus at {FEEDS}")
    if args.dump:
        dump()
    elif args.changes:
        changes(args.before or args.after, args.after)
    else:
        compare(args.before or args.after, args.after)


if __name__ == "__main__":
    main()
