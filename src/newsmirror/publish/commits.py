"""The message of a pass's commit: what the commit holds, counted from what is staged."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence

from newsmirror.config import Config
from newsmirror.records import SourceOutcome


def commit_message(
    config: Config,
    site_of: Callable[[str], str],
    staged: Sequence[tuple[str, str]],
    outcomes: Sequence[SourceOutcome],
    heartbeat: bool = False,
) -> str:
    """The commit's message, counting the article files the commit adds (what it really
    holds: a recovery's articles too), by site, and naming the sources that failed."""
    names = {s.slug: s.name for s in config.sites}
    added = Counter(
        site_of(path)
        for status, path in staged
        if status.startswith("A") and path.startswith("articles/") and path.endswith(".md")
    )
    total = sum(added.values())
    completed = sum(
        1 for status, path in staged if status.startswith("M") and path.startswith("articles/")
    )
    pictures = sum(
        1 for status, path in staged if status.startswith("A") and path.startswith("assets/")
    )
    failed = [o for o in outcomes if not o.ok]
    if total:
        subject = f"Archive {count(total, 'new article')}"
        ranked = sorted(added.items(), key=lambda item: (-item[1], item[0]))
        subject += " from " + ", ".join(f"{names.get(s, s)} {n}" for s, n in ranked[:5])
        if len(ranked) > 5:
            subject += f" and {count(len(ranked) - 5, 'more site')}"
    elif completed or pictures:
        subject = f"Complete {count(completed, 'article')} (full text from pages, pictures)"
    elif heartbeat:
        days = config.heartbeat_days
        subject = f"Heartbeat: nothing new to commit for {days:g} days (keeps the schedule alive)"
    elif failed:
        subject = "Update source status"
    else:
        subject = "Update mirror pages"
    lines = [subject]
    done = [f"{count(completed, 'article')} completed"] if completed and total else []
    done += [f"{count(pictures, 'picture')} stored"] if pictures else []
    if done:
        lines += ["", ", ".join(done) + "."]
    if failed:
        lines += ["", f"{count(len(failed), 'source')} failed:"]
        lines += [
            f"- {names.get(o.slug, o.slug)} ({o.slug}): {o.error_kind}: {o.error}" for o in failed
        ]
    return "\n".join(lines) + "\n"


def count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
