"""List pages (`lists/<name>.md`, the old system's late format) and the mirror's README."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping, Sequence

from newsmirror.config import Config, Site
from newsmirror.records import ListEntry
from newsmirror.store.layout import local_time, relative_path

LISTS = "lists"
README_MARK = "本镜像由 newsmirror 生成"  # in the footer of every README newsmirror writes
RULE = "------"
# Characters that would end or break a Markdown link target; everything else stays readable.
_UNSAFE_IN_LINK = re.compile(
    "[\u0000-\u0020\u007f-\u00a0%?#()<>\\[\\]\\\\\"'`{}|^\u1680\u2000-\u200f\u2028-\u202f"
    "\u205f-\u206f\u3000\ufeff]"
)
_LINE_BREAK = re.compile(r"[\r\n\u2028\u2029]+")
_BARE_BRACKET = re.compile(r"(?<!\\)([\[\]])")  # titles of old files have them unescaped


def link_target(path: str) -> str:
    """A path as a link target: percent-encode what Markdown or URLs would misread."""
    return _UNSAFE_IN_LINK.sub(
        lambda m: "".join(f"%{b:02X}" for b in m.group().encode("utf-8")), path
    )


def page_link(target: str, page: str) -> str:
    """A link from the page `page` to `target`, both relative to the mirror's root: relative,
    so that a fork or a copy on another host works unchanged."""
    return link_target(relative_path(target, page.rpartition("/")[0]))


def grouped_links(
    items: Sequence[tuple[str, int]], group: Callable[[str], str], link: Callable[[str], str]
) -> list[str]:
    """Index lines: a link to each of `items` ((name, count)), newest first, under a
    heading per group (a year of months, a month of days)."""
    lines, current = [], None
    for name, count in sorted(items, reverse=True):
        if group(name) != current:
            current = group(name)
            lines.append(f"\n## {current}\n")
        lines.append(f"- [{name}]({link(name)}) {count} 篇")
    return lines


def list_path(site: Site) -> str:
    return f"{LISTS}/{site.name}.md"


def render_list(
    site: Site, entries: Sequence[ListEntry], config: Config, archive: bool = False
) -> str:
    """The old system's list page; with `archive`, a link to the site's month pages after
    the entries (the entries stay as the old readers expect them)."""
    offset, full = config.offset_minutes, config.list_dates == "full"
    lines = [_entry_line(entry, offset, full) for entry in entries]
    text = f"{site.name}\n{RULE}\n\n" + "\n".join(lines) + "\n"
    if archive:
        target = link_target(f"{site.name}/index.md")
        text += f"[更早的文章：按月归档 / every article, by month]({target})\n"
    return text


def _summary(site: Site, summaries: Mapping[str, tuple[int, int | None]], config: Config) -> str:
    count, newest = summaries.get(site.slug, (0, None))
    if not count:
        return ""
    when = local_time(newest or 0, config.offset_minutes)
    archive = link_target(f"{LISTS}/{site.name}/index.md")
    return f" — {count} 篇，最新 {when:%Y-%m-%d}，[按月归档]({archive})"


def _entry_line(entry: ListEntry, offset_minutes: int, full_date: bool) -> str:
    when = local_time(entry.published_ms, offset_minutes)
    date = f"{when.year}-{when.month}-{when.day}" if full_date else f"{when.month}-{when.day}"
    line = f"{date} [{list_title(entry.title)}](/{link_target(entry.path)})"
    return line + marks(entry, lambda path: "/" + link_target(path)) + "\n"


MARK_NAMES = {"✎": "edited", "✗": "removed upstream"}


def marks(entry: ListEntry, link: Callable[[str], str]) -> str:
    """What follows an entry's link: its mark (✎ edited, ✗ removed upstream) and a link to
    each copy in another script ("" for a plain entry, so that old pages stay as they were)."""
    text = f" {entry.mark}" if entry.mark else ""
    for n, path in enumerate(entry.variants):
        text += f" [繁/简{n + 1 if len(entry.variants) > 1 else ''}]({link(path)})"
    return text


def list_title(title: str) -> str:
    if "\n" in title or "\r" in title or "\u2028" in title or "\u2029" in title:
        title = _LINE_BREAK.sub(" ", title)
    title = title.strip()
    if "[" in title or "]" in title:
        title = _BARE_BRACKET.sub(r"\\\1", title)
    return title


def render_readme(
    config: Config,
    listed: Collection[str],
    summaries: Mapping[str, tuple[int, int | None]] | None = None,
    digests: bool = False,
    changes: bool = False,
) -> str:
    """The mirror's front page: a link to the list page of every site in `listed` (slugs);
    a site without a list page yet is named, not linked, so that no link leads nowhere.
    With `summaries` ({slug: (articles, newest ms)}), each line also gives the site's count,
    its newest article's date and a link to its month pages."""
    summaries = summaries or {}
    links = [
        f"[{site.name}]({link_target(list_path(site))}){_summary(site, summaries, config)}\n"
        if site.slug in listed
        else f"{site.name}（暂无文章 / no articles yet）\n"
        for site in config.sites
    ]
    if digests:
        links.append("[每日摘要 / daily digests](digests/index.md)\n")
    if changes:
        links.append("[修改与删除 / edits and removals](changes.md)\n")
    footer = f"\n{README_MARK}：每个站点一页列表，最新的文章在前。\n"
    return f"{config.title}\n{RULE}\n\n" + "\n".join(links) + footer
