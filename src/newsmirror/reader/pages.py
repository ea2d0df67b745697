"""The reader's pages, for the local web reader (`serve`) and the static site (`site`) alike:
the sites, each site's months, a month's articles, an article (body, mirrored pictures, the
publisher's link, versions and marks), the changes, and search.

Every page has a path (`articles/a/2021/07/05/x.html`) that mirrors the archive's, so the
relative links of an archived body (its mirrored pictures, `../../../../../assets/…`) work
unchanged, and every link between pages is relative: the same pages serve from a local server,
GitHub Pages or a folder opened from disk. The archived HTML is shown under a
Content-Security-Policy that allows no script at all on article pages.
"""

from __future__ import annotations

import posixpath
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from urllib.parse import quote, urlencode

import jinja2

from newsmirror.config import Config, Site
from newsmirror.errors import ArticleFormatError
from newsmirror.publish.archive import month_bounds
from newsmirror.publish.changes import FIELD_NAMES, history_url
from newsmirror.records import Change, ListEntry
from newsmirror.search.base import Results
from newsmirror.store import article as article_format
from newsmirror.store.base import Store
from newsmirror.store.layout import local_time, relative_path

# No script from anywhere on a page that shows archived HTML; pictures from the mirror (and,
# for sources that keep publishers' pictures, from the web); no forms posting elsewhere.
CONTENT_POLICY = (
    "default-src 'none'; img-src 'self' https: data:; style-src 'self' 'unsafe-inline';"
    " media-src 'self' https:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
# The static site's search page runs the site's own search script, which reads the site's
# search index; it shows the articles' text as text, never as HTML.
SEARCH_POLICY = (
    "default-src 'none'; script-src 'self'; connect-src 'self';"
    " img-src 'self' https: data:; style-src 'self' 'unsafe-inline'; base-uri 'none'"
)
STYLE = """
body{font:16px/1.7 system-ui,"PingFang SC","Noto Sans CJK SC","Microsoft YaHei",sans-serif;
max-width:46em;margin:0 auto;padding:1em;color:#222}a{color:#0645ad}
header a{margin-right:1em}h1{font-size:1.5em;line-height:1.3}.meta{color:#666;font-size:.9em}
.mark{color:#b00}img{max-width:100%;height:auto}li{margin:.3em 0}
mark{background:#ffe58a}.body{overflow-wrap:anywhere}
"""
_TEMPLATES = Path(__file__).parent / "templates"


@dataclass(frozen=True, slots=True)
class Page:
    path: str  # relative to the site's root, e.g. "articles/a/2021/07/05/x.html"
    html: str
    policy: str = CONTENT_POLICY


def article_page(path: str) -> str:
    """The page of an article file: the same path, .html for .md."""
    return path.removesuffix(".md") + ".html"


def month_page(site: Site, month: str) -> str:
    return f"lists/{site.slug}/{month}.html"


def site_page(site: Site) -> str:
    return f"lists/{site.slug}/index.html"


def link(target: str, page: str) -> str:
    """A relative link from `page` to `target` (both relative to the site's root)."""
    return quote(relative_path(target, posixpath.dirname(page)))


class Reader:
    """Renders the pages of one mirror from its store and files. `static` pages (the site)
    search with the site's own script on the page; the others ask the server (`search?q=`)."""

    def __init__(self, root: Path, config: Config, static: bool = False, public_url: str = ""):
        self.root = root
        self.config = config
        self.static = static
        self.public_url = public_url
        self.sites = {site.slug: site for site in config.sites}

    @cached_property
    def env(self) -> jinja2.Environment:
        return jinja2.Environment(
            loader=jinja2.FileSystemLoader(_TEMPLATES), autoescape=True, trim_blocks=True
        )

    def _render(self, name: str, page: str, policy: str = CONTENT_POLICY, **values: object) -> Page:
        up = "../" * page.count("/")
        search = "search.html" if self.static else "search"
        html = self.env.get_template(f"{name}.html").render(
            mirror=self.config.title,
            style=STYLE,
            up=up,
            search_href=up + search,
            search_action=up + search,
            meta_policy=policy if self.static else "",
            **values,
        )
        return Page(page, html, policy)

    # --- pages ----------------------------------------------------------------------

    def home(self, store: Store) -> Page:
        listed = store.sites_with_articles()
        sites = []
        for site in self.config.sites:
            if site.slug in listed:
                count, _ = store.site_summary(site.slug)
                sites.append((_Linked(site.name, link(site_page(site), "index.html")), count))
        return self._render("home", "index.html", title=self.config.title, sites=sites)

    def site_index(self, store: Store, site: Site) -> Page:
        page = site_page(site)
        offset = self.config.offset_minutes
        months = [
            (month, count, link(month_page(site, month), page))
            for month, count in reversed(store.months(site.slug, offset))
        ]
        return self._render("site", page, title=site.name, site=site, months=months)

    def month(self, store: Store, site: Site, month: str) -> Page:
        page = month_page(site, month)
        start, end = month_bounds(month, self.config.offset_minutes)
        entries = [self._entry(e, page) for e in store.between(site.slug, start, end)]
        return self._render(
            "month", page, title=f"{site.name} {month}", site=site, month=month, entries=entries
        )

    def _entry(self, entry: ListEntry, page: str) -> dict[str, str]:
        when = local_time(entry.published_ms, self.config.offset_minutes)
        return {
            "when": f"{when:%m-%d %H:%M}",
            "href": link(article_page(entry.path), page),
            "title": entry.title,
            "mark": entry.mark,
        }

    def article(self, store: Store, path: str) -> Page | None:
        found = store.known_paths([path])
        if not found:
            return None
        known = found[0]
        try:
            parsed = article_format.parse((self.root / path).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ArticleFormatError):
            return None
        site = self.sites.get(known.article.site) or _Linked(known.article.site, "")
        offset = self.config.offset_minutes
        state = known.state
        mark = "✗" if state.removed_ms is not None else ("✎" if state.edited_ms else "")
        removed = ""
        if state.removed_ms is not None:
            when = local_time(state.removed_ms, offset)
            why = (
                "从源中消失"
                if state.removed_signal == "feed"
                else f"链接返回 {state.removed_status}"
            )
            removed = f"{when:%Y-%m-%d %H:%M} 发现已被删除：{why}"
        versions = [
            {
                "when": f"{local_time(v.seen_ms, offset):%Y-%m-%d %H:%M}",
                "title": v.title,
                "changed": ", ".join(v.changed),
            }
            for v in store.versions(path)
        ]
        return self._render(
            "article",
            article_page(path),
            title=parsed.title,
            article=parsed,
            site=site,
            when=f"{local_time(parsed.published_ms, offset):%Y-%m-%d %H:%M}",
            mark=mark,
            removed=removed,
            versions=versions,
            history=history_url(self.public_url, path),
        )

    def changes(self, store: Store) -> Page:
        page = "changes.html"
        offset = self.config.offset_minutes
        shown = []
        for change in store.changes(None, self.config.changes_size):
            shown.append(self._change(change, page, offset))
        return self._render("changes", page, title="修改与删除", changes=shown)

    def _change(self, change: Change, page: str, offset: int) -> dict[str, str]:
        symbol = {"edited": "✎", "removed": "✗"}.get(change.kind, "↺")
        if change.kind == "removed":
            what = "从源中消失" if change.signal == "feed" else f"链接返回 {change.status}"
        elif change.kind == "restored":
            what = "重新出现在源中"
        else:
            what = "改了" + "、".join(FIELD_NAMES[c] for c in change.changed)
        site = self.sites.get(change.site)
        return {
            "when": f"{local_time(change.ms, offset):%Y-%m-%d %H:%M}",
            "symbol": symbol,
            "href": link(article_page(change.path), page),
            "title": change.title,
            "site": site.name if site else change.site,
            "what": what,
        }

    def search(
        self, query: str, results: Results | None, snippets: Sequence[str], offset: int, limit: int
    ) -> Page:
        page = "search"
        offset_minutes = self.config.offset_minutes
        hits = []
        if results is not None:
            for hit, snippet in zip(results.hits, snippets, strict=True):
                site = self.sites.get(hit.site)
                hits.append(
                    {
                        "href": link(article_page(hit.path), page),
                        "title": hit.title,
                        "mark": hit.mark,
                        "site": site.name if site else hit.site,
                        "when": f"{local_time(hit.published_ms, offset_minutes):%Y-%m-%d %H:%M}",
                        "snippet": _highlighted(snippet),
                    }
                )

        def page_at(n: int) -> str:
            return "search?" + urlencode({"q": query, "start": n})

        more = results is not None and results.more
        return self._render(
            "search",
            page,
            title=f"搜索 {query}" if query else "搜索",
            query=query,
            hits=hits,
            first=offset + 1,
            total=f"{'' if hits else '没有找到 / nothing found: '}{query}",
            previous=page_at(max(0, offset - limit)) if offset else "",
            next=page_at(offset + limit) if more else "",
        )

    def static_search(self) -> Page:
        return self._render("static_search", "search.html", SEARCH_POLICY, title="搜索")


@dataclass(frozen=True, slots=True)
class _Linked:
    name: str
    href: str


def _highlighted(snippet: str) -> str:
    """A snippet's 【terms】 as <mark>, the rest escaped."""
    escaped = jinja2.utils.markupsafe.escape(snippet)
    return str(escaped).replace("【", "<mark>").replace("】", "</mark>")
