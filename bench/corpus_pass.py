"""Time a whole cold pass over the real corpus feeds (../shared/corpus/feeds/real, read as file
URLs), for two source trees in the same run, alternating, so that a change in parsing and
cleaning is measured against what came before it on the same machine at the same time:

    python bench/corpus_pass.py --before /path/to/old/src --after src --rounds 5
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SHARED = Path(os.environ.get("NEWSMIRROR_SHARED", HERE.parent.parent / "shared"))
FEEDS = SHARED / "corpus" / "feeds" / "real"


def _config(root: Path) -> None:
    # One process: the cost of the code, not of forking; no link checks (real links).
    lines = ["[mirror]", "workers = 1", "recheck_per_pass = 0"]
    for i, path in enumerate(sorted(p for p in FEEDS.rglob("*") if p.is_file())):
        lines += ["[[site]]", f'name = "f{i}"', f'slug = "f{i}"', f'url = "{path.as_uri()}"']
        lines.append("fulltext = false")  # real links: nothing leaves this machine
    root.mkdir(parents=True)
    (root / "newsmirror.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _pass(src: str, work: Path) -> tuple[float, int]:
    root = work / "mirror"
    shutil.rmtree(root, ignore_errors=True)
    _config(root)
    env = {**os.environ, "PYTHONPATH": str(Path(src).resolve())}
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "newsmirror", "-q", "-C", str(root), "run", "--no-commit"],
        env=env,
        check=False,
        capture_output=True,
    )
    seconds = time.perf_counter() - started
    return seconds, len(list((root / "articles").rglob("*.md")))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", metavar="SRC", required=True)
    parser.add_argument("--after", metavar="SRC", default=str(HERE.parent / "src"))
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    if not FEEDS.is_dir():
        sys.exit(f"no corpus at {FEEDS}")
    times: dict[str, list[float]] = {"before": [], "after": []}
    written: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="newsmirror-corpus-pass-") as temp:
        for _ in range(args.rounds):
            for name, src in (("before", args.before), ("after", args.after)):
                seconds, count = _pass(src, Path(temp))
                times[name].append(seconds)
                written[name] = count
    for name, samples in times.items():
        print(
            f"{name}: median {statistics.median(samples):.2f} s"
            f" (min {min(samples):.2f}, max {max(samples):.2f}) over {len(samples)} passes,"
            f" {written[name]} articles written"
        )
    ratio = statistics.median(times["after"]) / statistics.median(times["before"])
    print(f"after / before: {ratio:.2f}")


if __name__ == "__main__":
    main()
