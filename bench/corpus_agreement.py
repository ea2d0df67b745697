"""Run every corpus document through parse_feed and compare the real feeds with feedparser.

    python bench/corpus_agreement.py [CORPUS_FEEDS_DIR]   (default ../shared/corpus/feeds)

Prints a Markdown report: documents parsed, refused, crashed or slow; then, for the real feeds,
the share of files on which we and feedparser 6 (sanitize_html=False,
resolve_relative_uris=False) agree on the number of items and on every item's title and link,
and each disagreement with its reason.

What counts as the same (representation differences, not disagreements):
- whitespace is collapsed and trimmed in titles and links;
- titles are compared as text: feedparser hands on an HTML title (Atom type="html") as markup,
  we hand on its text, so both sides are unescaped and stripped of tags;
- feedparser 6 does not read JSON Feed: a JSON document is compared with its own items array;
- when feedparser finds no item at all because it could not decode the bytes (a declaration
  that lies), it is asked again with the text as we decoded it, so that the items are still
  compared; such files are listed below the figure all the same.
"""

from __future__ import annotations

import contextlib
import csv
import gzip
import html
import json
import os
import re
import signal
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from newsmirror.errors import ParseError
from newsmirror.parse import parse_feed
from newsmirror.parse.decode import decide, to_utf8

SLOW_SECONDS = 5.0
HANG_SECONDS = 30
_SPACE = re.compile(r"\s+")
_TAG = re.compile(r"<[^>]*>")

# Why the remaining disagreements exist, from reading the documents (path → explanation).
KNOWN = {
    "real/zh/oschina-industry_rss2_unescaped-ampersand_TRICKY.xml": (
        "a link holds a bare `&lang=zh_CN`; feedparser's loose parser decodes `&lang` as the "
        "HTML entity 〈 and corrupts the URL. We keep `&lang=`: we are right (HTML5 does not "
        "decode a reference without `;` followed by `=`)."
    ),
    "real/zh/eksumic_declares-utf16-but-utf8_TRICKY.xml": (
        "declares utf-16 but is UTF-8; feedparser refuses it and finds no item, we read all "
        "of them as UTF-8: we are right."
    ),
}


@dataclass
class Report:
    parsed: int = 0
    refused: int = 0
    crashed: list[str] = field(default_factory=list)
    slow: list[str] = field(default_factory=list)
    real: int = 0
    agree: int = 0
    disagreements: list[tuple[str, str]] = field(default_factory=list)
    rescued: list[tuple[str, str]] = field(default_factory=list)

    @property
    def figure(self) -> float:
        return self.agree / self.real if self.real else 1.0


def read_document(path: Path) -> bytes:
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        # A deliberately truncated gzip body stays raw: the parser then gets those bytes.
        with contextlib.suppress(OSError, EOFError):
            data = gzip.decompress(data)
    return data


def corpus_documents(root: Path) -> Iterator[Path]:
    for folder, _, names in sorted(os.walk(root)):
        for name in sorted(names):
            if not name.endswith((".tsv", ".md")):
                yield Path(folder) / name


class _Hang(Exception):
    pass


def _alarm(signum: int, frame: object) -> None:
    raise _Hang


def run_all(root: Path, report: Report, hang_seconds: int = HANG_SECONDS) -> None:
    """Parse every document; only ParseError may escape parse_feed, and none may hang."""
    use_alarm = hasattr(signal, "SIGALRM")
    if use_alarm:
        signal.signal(signal.SIGALRM, _alarm)
    for path in corpus_documents(root):
        data = read_document(path)
        started = time.perf_counter()
        try:
            if use_alarm:
                signal.alarm(hang_seconds)
            parse_feed(data)
            report.parsed += 1
        except ParseError:
            report.refused += 1
        except _Hang:
            report.crashed.append(f"{path}: still parsing after {hang_seconds} s")
        except Exception as exc:  # the point is to list every crash
            report.crashed.append(f"{path}: {type(exc).__name__}: {exc}")
        finally:
            if use_alarm:
                signal.alarm(0)
        elapsed = time.perf_counter() - started
        if elapsed > SLOW_SECONDS:
            report.slow.append(f"{path}: {elapsed:.1f} s")


def _title(text: str) -> str:
    return _SPACE.sub(" ", html.unescape(_TAG.sub("", text or ""))).strip()


def _link(text: str) -> str:
    return _SPACE.sub(" ", text or "").strip()


def ours(data: bytes) -> list[tuple[str, str]]:
    try:
        return [(_title(e.title), _link(e.link)) for e in parse_feed(data).entries]
    except ParseError:
        return []


def reference(data: bytes, kind: str) -> tuple[list[tuple[str, str]], str]:
    """feedparser's items (or the JSON items array), and a note when it needed help."""
    if kind == "json":
        doc = json.loads(data)
        items = [i for i in doc.get("items", []) if isinstance(i, dict)]
        return [
            (_title(str(i.get("title") or "")), _link(i.get("url") or i.get("external_url") or ""))
            for i in items
        ], ""
    import feedparser

    options = {"sanitize_html": False, "resolve_relative_uris": False}
    result = feedparser.parse(data, **options)
    note = ""
    if not result.entries and result.get("bozo"):
        decoded = to_utf8(data.lstrip(), decide(data.lstrip()))
        retry = feedparser.parse(decoded, **options)
        if retry.entries:
            note = f"feedparser found no item ({result.get('bozo_exception')!s:.80})"
            result = retry
    return [(_title(e.get("title", "")), _link(e.get("link", ""))) for e in result.entries], note


def compare_real(root: Path, report: Report) -> None:
    with open(root / "INDEX_real.tsv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    for row in rows:
        report.real += 1
        data = read_document(root / row["path"])
        kind = "json" if row["kind"] == "json" else "xml"
        mine = ours(data)
        theirs, note = reference(data, kind)
        reason = _difference(mine, theirs)
        if reason is None:
            report.agree += 1
            if note:
                report.rescued.append((row["path"], note))
        else:
            known = KNOWN.get(row["path"], "not explained yet")
            report.disagreements.append((row["path"], f"{reason}. {known}"))


def _difference(mine: list[tuple[str, str]], theirs: list[tuple[str, str]]) -> str | None:
    if len(mine) != len(theirs):
        return f"items: ours {len(mine)}, feedparser {len(theirs)}"
    for n, ((t1, l1), (t2, l2)) in enumerate(zip(mine, theirs, strict=True)):
        if t1 != t2:
            return f"item {n} title: ours {t1[:60]!r}, feedparser {t2[:60]!r}"
        if l1 != l2:
            at = max(0, _common_prefix(l1, l2) - 20)
            return f"item {n} link: ours …{l1[at : at + 60]!r}, feedparser …{l2[at : at + 60]!r}"
    return None


def _common_prefix(a: str, b: str) -> int:
    return next(
        (i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b))
    )


def markdown(report: Report) -> str:
    lines = [
        "# Corpus agreement",
        "",
        f"- documents: {report.parsed} parsed, {report.refused} refused (ParseError), "
        f"{len(report.crashed)} crashed or hung, {len(report.slow)} slower than {SLOW_SECONDS} s",
        f"- real feeds agreeing with feedparser on item count, titles and links: "
        f"{report.agree} of {report.real} = **{report.figure:.1%}**",
        "",
    ]
    sections = (
        ("Disagreements", report.disagreements),
        ("Agreeing once feedparser was given our decoding", report.rescued),
        ("Crashes", [(c, "") for c in report.crashed]),
        ("Slow", [(s, "") for s in report.slow]),
    )
    for heading, rows in sections:
        if rows:
            lines += [f"## {heading}", ""] + [f"- `{p}`: {why}".rstrip(": ") for p, why in rows]
            lines.append("")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    default = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "feeds"
    root = Path(argv[0]) if argv else default
    report = Report()
    run_all(root, report)
    compare_real(root, report)
    print(markdown(report))
    return 1 if report.crashed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
