"""The Markdown table of medians and ratios, and the results files (Markdown + raw JSON)."""

from __future__ import annotations

import datetime as dt
import json
import statistics
from dataclasses import asdict
from pathlib import Path
from typing import Any

from runner import Sample

Samples = dict[str, list[Sample]]
Info = dict[str, Any]

# label, measurement key, attribute, target ratio newsmirror / baseline (None: none)
CORE_ROWS = [
    ("cold pass, wall time", "cold", "wall_s", 0.5),
    ("cold pass, peak RSS", "cold", "rss_mb", None),
    ("nothing new, server without 304 (headline)", "nothing new", "wall_s", 0.5),
    ("nothing new, server answering 304", "nothing new, 304", "wall_s", None),
]
RSS_LIMIT_MB = 300
SCALE_LIMIT = 1.2


def median(samples: Samples, key: str, attr: str = "wall_s") -> float | None:
    values = [getattr(s, attr) for s in samples.get(key, [])]
    return statistics.median(values) if values else None


def ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def show(value: float | None, attr: str = "wall_s") -> str:
    if value is None:
        return "—"
    return f"{value:.0f} MB" if attr == "rss_mb" else f"{value:.3f} s"


def show_ratio(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def met(ok: bool | None) -> str:
    return "—" if ok is None else ("yes" if ok else "**NO**")


def core_table(s: Samples) -> list[str]:
    lines = [
        "| measurement | baseline | newsmirror | newsmirror / baseline | target | met |",
        "|---|---|---|---|---|---|",
    ]
    for label, key, attr, limit in CORE_ROWS:
        old, new = median(s, f"{key}/baseline", attr), median(s, f"{key}/newsmirror", attr)
        r = ratio(new, old)
        target, ok = "", ""
        if limit is not None:
            target, ok = f"≤ {limit}", met(None if r is None else r <= limit)
        elif attr == "rss_mb":
            target, ok = f"< {RSS_LIMIT_MB} MB", met(None if new is None else new < RSS_LIMIT_MB)
        lines.append(
            f"| {label} | {show(old, attr)} | {show(new, attr)} | {show_ratio(r)} "
            f"| {target} | {ok} |"
        )
    node, py = median(s, "startup/node"), median(s, "startup/python")
    lines.append(
        f"| start-up: `node -e 0` vs `python -c pass` | {show(node)} | {show(py)} "
        f"| {show_ratio(ratio(py, node))} | | |"
    )
    lines.append(f"| start-up: `newsmirror --help` | | {show(median(s, 'startup/help'))} | | | |")
    return lines


def scale_table(s: Samples, info: Info) -> list[str]:
    small_n, big_n = info["scale_small_articles"], info["scale_big_articles"]
    lines = [
        f"| newsmirror | mirror of {small_n:,} articles | mirror of {big_n:,} articles "
        "| big / small | target | met |",
        "|---|---|---|---|---|---|",
    ]
    for label, key, limit in (
        ("nothing new, server without 304 (headline)", "scale nothing new", SCALE_LIMIT),
        ("nothing new, server answering 304", "scale nothing new, 304", None),
        ("reindex (once, while building)", "scale reindex", None),
    ):
        small, big = median(s, f"{key}/small"), median(s, f"{key}/big")
        r = ratio(big, small)
        target, ok = (
            ("", "") if limit is None else (f"≤ {limit}", met(None if r is None else r <= limit))
        )
        lines.append(
            f"| {label} | {show(small)} | {show(big)} | {show_ratio(r)} | {target} | {ok} |"
        )
    return lines


def render(s: Samples, info: Info, problems: list[str]) -> str:
    lines = [
        f"# newsmirror core benchmark, {dt.date.today()}",
        "",
        f"{info['feeds']} feeds x 50 items ({info['feeds'] * 50:,} items; "
        f"{info['corpus_mb']:.0f} MB of feeds), medians of {info['runs']} runs; {info['machine']}; "
        f"peak RSS by {info['rss_method']}; archives under {info['tmp']}.",
        "",
        *core_table(s),
    ]
    if "scale_big_articles" in info:
        lines += [
            "",
            f"Scale: the same {info['feeds']} feeds with {info['scale_items']} items "
            "each; the big mirror holds synthetic older articles besides.",
            "",
            *scale_table(s, info),
        ]
    lines += ["", "## Checks", "", *[f"- {p}" for p in problems or ["no problems found"]]]
    if "identical_articles" in info:
        lines.append(
            f"- {info['identical_articles']:,} of newsmirror's articles are "
            "byte-identical to the baseline's (cold pass of run 1)"
        )
    lines += ["", "Requests the server saw in the first run of each measurement:", ""]
    lines += [f"- {k}: {v[0].server}" for k, v in s.items() if v and v[0].server]
    return "\n".join(lines) + "\n"


def save(stem: Path, text: str, s: Samples, info: Info, problems: list[str]) -> Path:
    stem.parent.mkdir(parents=True, exist_ok=True)
    stem.with_suffix(".md").write_text(text, "utf-8")
    raw = {
        "info": info,
        "problems": problems,
        "samples": {k: [asdict(x) for x in v] for k, v in s.items()},
    }
    stem.with_suffix(".json").write_text(json.dumps(raw, ensure_ascii=False, indent=1), "utf-8")
    return stem


def save_markdown(kind: str, text: str, standard: bool, tmp: Path | None) -> Path:
    """bench/results/<kind>-<date>[-<tmp folder>].md, or scratch/ for a run that is not the
    standard measurement (as `bench_core` names its results)."""
    name = f"{kind}-{dt.date.today()}" + (f"-{tmp.name}" if tmp else "")
    path = Path(__file__).resolve().parent / "results" / ("" if standard else "scratch") / name
    path = path.with_suffix(".md")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, "utf-8")
    return path
