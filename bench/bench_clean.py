"""Body cleaning on pathological bodies, against an ordinary body of the same size.

Times the three steps of a body's cleaning as `clean_body` chains them, each on what the step
before gave it: `one_line_body` (the raw, multi-line content), `limit_body` (the joined line),
`sanitize` (the limited body), and the whole. The pathological bodies are 6-character lines of
`<pre>` and `<div>` left open (each took a minute or more at these sizes before: a quadratic
<pre> rule, and nh3's cost in nesting depth), the first flagged for the sanitizer by a <script>
in front so that nh3 does parse it; the baseline of the same run is a real article body from
the shared corpus (the largest of `duty-machine-news/articles`, one line per tag as feeds
print it), repeated to the same size, or a generated one without the corpus.

    .venv/bin/python bench/bench_clean.py [--runs N] [--shared PATH]

Prints a Markdown table (best of N runs) and writes it to bench/results/clean-<date>.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from newsmirror.clean.limits import limit_body  # noqa: E402
from newsmirror.clean.sanitize import needs_cleaning, sanitize  # noqa: E402
from newsmirror.clean.text import one_line_body  # noqa: E402
from newsmirror.store.article import parse  # noqa: E402

SIZES = {"240 KB": 240_000, "1 MB": 1_048_576}
GOAL_S = 0.5  # for the whole cleaning of a pathological body


def repeat_to(piece: str, size: int) -> str:
    return (piece * (size // len(piece) + 1))[:size]


def ordinary_piece(shared: Path) -> tuple[str, str]:
    """A real body, printed one tag a line, and where it comes from."""
    root = shared / "corpus" / "duty-machine-news" / "articles"
    files = sorted(root.rglob("*.md")) if root.is_dir() else []
    if not files:
        paragraph = "<p>The library says <b>twenty</b> thousand readers came, 据路透社报道。</p>"
        return "\n".join([paragraph] * 40) + "\n", "generated paragraphs"
    bodies = [(len(body), body, path) for path in files if (body := parse_body(path))]
    _, body, path = max(bodies)
    flagged = "flagged for nh3" if needs_cleaning(body) else "kept verbatim"
    return body.replace("><", ">\n<") + "\n", f"`{path.relative_to(root)}` ({flagged})"


def parse_body(path: Path) -> str:
    return parse(path.read_text(encoding="utf-8")).body


def best(runs: int, step: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return min(times)


def measure(body: str, runs: int) -> tuple[list[float], str, int]:
    """Seconds for each step and the whole, the cut's reason, the cleaned body's length."""
    joined = one_line_body(body)
    limited, reason = limit_body(joined)
    cleaned = sanitize(limited)
    steps = [
        best(runs, lambda: one_line_body(body)),
        best(runs, lambda: limit_body(joined)),
        best(runs, lambda: sanitize(limited)),
        best(runs, lambda: sanitize(limit_body(one_line_body(body))[0])),
    ]
    return steps, reason or "—", len(cleaned)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    args = parser.parse_args()
    piece, source = ordinary_piece(args.shared)
    kinds = {
        "ordinary": piece,
        "`<pre>` left open, flagged": "<script>x</script>\n" + "<pre>\n" * 200_000,
        "`<div>` left open": "<div>\n" * 200_000,
    }
    rows = []
    slow = []
    for label, size in SIZES.items():
        baseline = None
        for kind, text in kinds.items():
            body = repeat_to(text, size) if kind == "ordinary" else text[:size]
            steps, reason, out_len = measure(body, args.runs)
            baseline = baseline or steps[-1]
            ratio = steps[-1] / baseline
            if kind != "ordinary" and steps[-1] >= GOAL_S:
                slow.append(f"{kind} at {label}")
            times = " | ".join(f"{t:.3f} s" for t in steps)
            rows.append(f"| {kind} | {label} | {times} | {ratio:.2f} | {reason} | {out_len:,} |")
            print(rows[-1], flush=True)
    when = dt.datetime.now()
    table = "\n".join(
        [
            f"# Body cleaning, {when:%Y-%m-%d %H:%M}",
            "",
            f"Best of {args.runs} runs. Each step is timed on what the step before gave it; "
            "*ratio* is the whole cleaning's time over the ordinary body's of the same size. "
            f"Ordinary body: {source}, repeated.",
            "",
            "| body | size | one_line_body | limit_body | sanitize | whole | ratio "
            "| cut | chars left |",
            "|---|---|---|---|---|---|---|---|---|",
            *rows,
            "",
            f"Goal: a pathological body cleaned in under {GOAL_S} s: "
            + ("met." if not slow else "NOT met for " + ", ".join(slow) + "."),
            "",
        ]
    )
    print("\n" + table)
    out = REPO / "bench" / "results" / f"clean-{when:%Y-%m-%d}.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(table, encoding="utf-8")
    print(f"written to {out.relative_to(REPO)}")
    return 0 if not slow else 1


if __name__ == "__main__":
    raise SystemExit(main())
