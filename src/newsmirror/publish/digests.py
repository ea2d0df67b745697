"""Daily digests: `digests/YYYY/MM/YYYY-MM-DD.md`, every article of one day (in the mirror's
zone), grouped by site in the order of the configuration, newest first within a site; and
`digests/index.md`, every day with its count, newest first, linked from the README."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta

from newsmirror.config import Site
from newsmirror.publish.pages import RULE, grouped_links, list_title, marks, page_link
from newsmirror.records import ArchivedArticle, ListEntry
from newsmirror.store.layout import local_time

DIGESTS = "digests"
DIGEST_INDEX = f"{DIGESTS}/index.md"
DAY_TODO = "day"  # work owed: a digest to rewrite, as a time in that day (ms)


def day_of(published_ms: int, offset_minutes: int) -> str:
    return f"{local_time(published_ms, offset_minutes):%Y-%m-%d}"


def day_bounds(day: str, offset_minutes: int) -> tuple[int, int]:
    start = datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=UTC) - timedelta(
        minutes=offset_minutes
    )
    first = int(start.timestamp() * 1000)
    return first, first + 86_400_000


def digest_path(day: str) -> str:
    return f"{DIGESTS}/{day[:4]}/{day[5:7]}/{day}.md"


def days_owed(articles: Iterable[ArchivedArticle], offset_minutes: int) -> set[str]:
    """The digests new articles touch, as `DAY_TODO` items (one per day)."""
    by_day = {day_of(a.published_ms, offset_minutes): a.published_ms for a in articles}
    return {str(ms) for ms in by_day.values()}


def owed_days(items: Iterable[str], offset_minutes: int) -> set[str]:
    return {day_of(int(i), offset_minutes) for i in items if i.lstrip("-").isdigit()}


def render_digest(
    title: str, day: str, by_site: Sequence[tuple[Site, Sequence[ListEntry]]], offset: int
) -> str:
    page = digest_path(day)
    total = sum(len(entries) for _, entries in by_site)
    lines = [
        f"{title}：{day}\n{RULE}\n",
        f"共 {total} 篇。 [所有日期]({page_link(DIGEST_INDEX, page)})",
    ]
    for site, entries in by_site:
        if not entries:
            continue
        lines.append(f"\n## {site.name}（{len(entries)}）\n")
        for entry in entries:
            when = local_time(entry.published_ms, offset)
            link = page_link(entry.path, page)
            more = marks(entry, lambda path: page_link(path, page))
            lines.append(f"- {when:%H:%M} [{list_title(entry.title)}]({link}){more}")
    return "\n".join(lines) + "\n"


def render_digest_index(title: str, days: Sequence[tuple[str, int]]) -> str:
    lines = [f"{title}：每日摘要\n{RULE}\n"]
    # (the index sits above every digest: each link is the digest's path below digests/)
    lines += grouped_links(days, lambda d: d[:7], lambda d: digest_path(d)[len(DIGESTS) + 1 :])
    return "\n".join(lines) + "\n"
