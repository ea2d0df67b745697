"""changes.md (every site) and lists/<name>/changes.md (one site): what publishers changed or
took down, newest first — edits with an inline diff of the title and a count of the body's
characters added and removed, and a link to the file's history where the mirror is on GitHub;
removals with their evidence (gone from the feed, or the HTTP status of the link).
"""

from __future__ import annotations

from collections.abc import Sequence

from newsmirror.config import Site
from newsmirror.publish.pages import LISTS, RULE, list_title, page_link
from newsmirror.publish.versions import marked_diff
from newsmirror.records import Change
from newsmirror.store.layout import local_time

CHANGES = "changes.md"
CHANGES_TODO = "changes"
FIELD_NAMES = {"title": "标题", "body": "正文", "link": "链接"}  # what an edit changed


def changes_path(site: Site | None) -> str:
    return f"{LISTS}/{site.name}/{CHANGES}" if site else CHANGES


def history_url(public_url: str, path: str) -> str:
    """Where GitHub shows a file's commits, for a mirror published at `public_url`
    (https://github.com/OWNER/REPO/blob/BRANCH/); "" elsewhere."""
    if not public_url.startswith("https://github.com/") or "/blob/" not in public_url:
        return ""
    return public_url.replace("/blob/", "/commits/", 1) + path


def title_diff(old: str, new: str) -> str:
    """The title's edit inline, character by character: ~~removed~~ and **added**."""
    return marked_diff(list(old), list(new), "~~{}~~", "**{}**", _inline)


_MARKDOWN = str.maketrans({c: f"\\{c}" for c in "[]*~_`\\"} | {"\n": " ", "\r": " "})


def _inline(text: str) -> str:
    """A piece of a title inside a line of Markdown: its marks escaped, on one line."""
    return text.translate(_MARKDOWN)


def render_changes(
    title: str,
    changes: Sequence[Change],
    sites: dict[str, Site],
    offset_minutes: int,
    public_url: str,
    site: Site | None = None,
) -> str:
    page = changes_path(site)
    heading = f"{site.name if site else title}：修改与删除 / edits and removals"
    lines = [
        f"{heading}\n{RULE}\n",
        "✎ 已修改（旧版本见文件历史，或 `newsmirror history 文件`）；✗ 已被删除（存档保留）。",
    ]
    if not changes:
        lines.append("\n暂无记录 / nothing yet.")
    day = None
    for change in changes:
        when = local_time(change.ms, offset_minutes)
        if f"{when:%Y-%m-%d}" != day:
            day = f"{when:%Y-%m-%d}"
            lines.append(f"\n## {day}\n")
        lines.append(_line(change, when, page, sites, public_url, site is None))
    return "\n".join(lines) + "\n"


def _line(
    change: Change, when, page: str, sites: dict[str, Site], public_url: str, every_site: bool
) -> str:
    link = f"[{list_title(change.title)}]({page_link(change.path, page)})"
    where = f"（{sites[change.site].name}）" if every_site and change.site in sites else ""
    if change.kind == "removed":
        why = "从源中消失" if change.signal == "feed" else f"链接返回 {change.status}"
        return f"- {when:%H:%M} ✗ {link}{where}：{why}"
    if change.kind == "restored":
        return f"- {when:%H:%M} ↺ {link}{where}：重新出现在源中"
    what = []
    if "title" in change.changed and change.old_title:
        what.append(f"标题 {title_diff(change.old_title, change.title)}")
    if "body" in change.changed:
        what.append(f"正文 +{change.added} / −{change.deleted} 字")
    if "link" in change.changed:
        what.append("链接已变")
    history = history_url(public_url, change.path)
    if history:
        what.append(f"[历史]({history})")
    return f"- {when:%H:%M} ✎ {link}{where}：" + " · ".join(what)
