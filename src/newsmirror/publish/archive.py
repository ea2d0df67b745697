"""Archive pages: every article of a site reachable from a page GitHub shows.

`lists/<name>/<YYYY>-<MM>.md` holds every article of one month, newest first, with its full
date and time in the mirror's zone (split into `<YYYY>-<MM>-2.md`... when a month would exceed
`PAGE_LIMIT`); `lists/<name>/index.md` lists the years and months with their counts, and is
linked from the bottom of the site's list page. Months are in the mirror's zone (`utc_offset`),
as the date folders are. Links are relative, so a fork or a copy elsewhere works unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta

from newsmirror.config import Site
from newsmirror.publish.pages import LISTS, RULE, grouped_links, list_title, marks, page_link
from newsmirror.records import ArchivedArticle, ListEntry
from newsmirror.store.layout import local_time

PAGE_LIMIT = 500_000  # bytes: GitHub renders larger Markdown files slowly, or not at all


def archive_folder(site: Site) -> str:
    return f"{LISTS}/{site.name}"


def index_path(site: Site) -> str:
    return f"{archive_folder(site)}/index.md"


def month_of(published_ms: int, offset_minutes: int) -> str:
    """The "YYYY-MM" an article belongs to, in the mirror's zone."""
    when = local_time(published_ms, offset_minutes)
    return f"{when.year:04d}-{when.month:02d}"


def month_bounds(month: str, offset_minutes: int) -> tuple[int, int]:
    """[start, end) of a "YYYY-MM" in epoch milliseconds, in the mirror's zone."""
    year, number = int(month[:4]), int(month[5:7])
    zone = timedelta(minutes=offset_minutes)
    start = datetime(year, number, 1, tzinfo=UTC) - zone
    after = datetime(year + number // 12, number % 12 + 1, 1, tzinfo=UTC) - zone
    return int(start.timestamp() * 1000), int(after.timestamp() * 1000)


MONTH_TODO = "month"  # work owed: a month page to rewrite, as "slug<TAB>a time in the month (ms)"


def months_owed(articles: Iterable[ArchivedArticle], offset_minutes: int) -> set[str]:
    """The month pages new articles touch, as `MONTH_TODO` items (one per month)."""
    by_month = {(a.site, month_of(a.published_ms, offset_minutes)): a for a in articles}
    return {f"{site}\t{a.published_ms}" for (site, _), a in by_month.items()}


def owed_months(items: Iterable[str], offset_minutes: int) -> set[tuple[str, str]]:
    """(slug, "YYYY-MM") of `MONTH_TODO` items."""
    found = set()
    for item in items:
        slug, _, ms = item.partition("\t")
        if ms.lstrip("-").isdigit():
            found.add((slug, month_of(int(ms), offset_minutes)))
    return found


def month_path(site: Site, month: str, part: int = 1) -> str:
    suffix = "" if part == 1 else f"-{part}"
    return f"{archive_folder(site)}/{month}{suffix}.md"


def _zone(offset_minutes: int) -> str:
    sign = "+" if offset_minutes >= 0 else "-"
    hours, minutes = divmod(abs(offset_minutes), 60)
    return f"UTC{sign}{hours:02d}:{minutes:02d}"


def render_month(
    site: Site, month: str, entries: Sequence[ListEntry], offset_minutes: int
) -> list[tuple[str, str]]:
    """The month's pages, [(path, text)], newest first, each under `PAGE_LIMIT` bytes."""
    head_room = 2_000  # the heading and the links between parts
    parts: list[list[str]] = [[]]
    size = 0
    folder_page = month_path(site, month)  # every part is in the same folder: same links
    for entry in entries:
        when = local_time(entry.published_ms, offset_minutes)
        line = (
            f"- {when:%Y-%m-%d %H:%M} [{list_title(entry.title)}]"
            f"({page_link(entry.path, folder_page)})"
            f"{marks(entry, lambda path: page_link(path, folder_page))}\n"
        )
        encoded = len(line.encode("utf-8"))
        if parts[-1] and size + encoded > PAGE_LIMIT - head_room:
            parts.append([])
            size = 0
        parts[-1].append(line)
        size += encoded
    pages = []
    for n, lines in enumerate(parts, 1):
        path = month_path(site, month, n)
        nav = [f"[{site.name}：按月归档]({page_link(index_path(site), path)})"]
        if n > 1:
            nav.append(f"[上一页]({page_link(month_path(site, month, n - 1), path)})")
        if n < len(parts):
            nav.append(f"[下一页]({page_link(month_path(site, month, n + 1), path)})")
        part = f"（第 {n}/{len(parts)} 页）" if len(parts) > 1 else ""
        heading = f"{site.name} {month}{part}\n{RULE}\n\n"
        count = f"{len(entries)} 篇，时间为 {_zone(offset_minutes)}。\n\n"
        text = heading + count + "".join(lines) + "\n" + " · ".join(nav) + "\n"
        pages.append((path, text))
    return pages


def render_index(site: Site, months: Sequence[tuple[str, int]]) -> str:
    """The site's years and months, newest first, each month linked with its count (a month
    split into parts links its next part from each page)."""
    page = index_path(site)
    total = sum(count for _, count in months)
    newest = page_link(f"{LISTS}/{site.name}.md", page)
    lines = [f"{site.name}：按月归档\n{RULE}\n", f"共 {total} 篇。 [最新文章]({newest})"]
    lines += grouped_links(months, lambda m: m[:4], lambda m: page_link(month_path(site, m), page))
    return "\n".join(lines) + "\n"
