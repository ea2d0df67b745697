"""Where a cold pass spends its time: the core benchmark's corpus (genfeeds.py, 200 feeds of 50
items) served by its feed farm, one cold pass of newsmirror run in this process under cProfile,
with one worker process so that every call is seen. Prints the functions by own time and by
cumulative time.

    python bench/profile_pass.py [--feeds 200] [--top 30] [--tmp /dev/shm]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from feedserver import FeedFarm  # noqa: E402
from filler import write_filler  # noqa: E402

START_MS = 1625525942000  # genfeeds.py's default --start-ms: its newest item
SHARED = Path(os.environ.get("NEWSMIRROR_SHARED", HERE.parent.parent / "shared"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feeds", type=int, default=200)
    parser.add_argument("--items", type=int, default=50)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--tmp", type=Path, default=None)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument(
        "--big",
        type=int,
        default=0,
        help="profile a nothing-new pass instead: a first pass, then this many synthetic older"
        " articles and a reindex, then the profiled pass",
    )
    args = parser.parse_args()
    genfeeds = SHARED / "bench" / "genfeeds.py"
    if not genfeeds.exists():
        sys.exit(f"SKIP: no {genfeeds}")
    with tempfile.TemporaryDirectory(dir=args.tmp) as temp:
        tmp = Path(temp)
        corpus = tmp / "corpus" / "main"
        subprocess.run(
            [
                sys.executable,
                str(genfeeds),
                str(corpus),
                "--feeds",
                str(args.feeds),
                "--items",
                str(args.items),
            ],
            check=True,
        )
        farm = FeedFarm(tmp / "corpus", hosts=100, conditional=False)
        farm.start()
        lines = (corpus / "sites.txt").read_text("utf-8").split()
        sites = "".join(
            f'\n[[site]]\nname = "{n}"\nslug = "{s}"\nurl = "{farm.base_url(i)}/main/{f}"\n'
            for i, (n, s, f) in enumerate(line.split("|") for line in lines)
        )
        mirror = tmp / "mirror"
        mirror.mkdir()
        config = (
            f"[mirror]\nlist_size = 300\nrecheck_per_pass = 0\nworkers = {args.workers}\n{sites}"
        )
        (mirror / "newsmirror.toml").write_text(config, "utf-8")
        from newsmirror.cli import main as newsmirror

        if args.big:
            newsmirror(["-q", "-C", str(mirror), "run", "--no-commit"])
            slugs = [line.split("|")[1] for line in lines]
            write_filler(mirror, slugs, args.big, START_MS - (args.feeds * args.items + 1) * 61_000)
            newsmirror(["-q", "-C", str(mirror), "reindex"])
        profile = cProfile.Profile()
        started = time.perf_counter()
        profile.enable()
        newsmirror(["-q", "-C", str(mirror), "run", "--no-commit"])
        profile.disable()
        what = "nothing-new pass" if args.big else "cold pass"
        print(f"{what}: {time.perf_counter() - started:.2f} s under the profiler")
        farm.shutdown()
        for order in ("tottime", "cumulative"):
            out = io.StringIO()
            pstats.Stats(profile, stream=out).sort_stats(order).print_stats(args.top)
            print(out.getvalue())


if __name__ == "__main__":
    main()
