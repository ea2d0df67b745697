"""Writing every page a mirror derives from its store: list pages, the README, status.md.

Pages are written only when their text changes, so that a pass with nothing new changes no
file; status.md only when a source's health changes (or other pages do), not for timestamps.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

from newsmirror.config import Config, Site
from newsmirror.decide.health import SourceHealth, fingerprint, health_of
from newsmirror.decide.schedule import HOUR_MS
from newsmirror.errors import ArticleFormatError
from newsmirror.opml import OPML_PATH
from newsmirror.opml import render as render_opml
from newsmirror.publish.archive import (
    MONTH_TODO,
    index_path,
    month_bounds,
    owed_months,
    render_index,
    render_month,
)
from newsmirror.publish.changes import CHANGES, CHANGES_TODO, changes_path, render_changes
from newsmirror.publish.digests import (
    DAY_TODO,
    DIGEST_INDEX,
    DIGESTS,
    day_bounds,
    digest_path,
    owed_days,
    render_digest,
    render_digest_index,
)
from newsmirror.publish.feeds import (
    ALL,
    FEED_RENDERING,
    FEEDS,
    FeedItem,
    atom_feed,
    feed_entry,
    feed_paths,
    json_feed,
)
from newsmirror.publish.pages import LISTS, link_target, list_path, render_list, render_readme
from newsmirror.publish.status import STATUS_PATH, remote_state_from, render_status
from newsmirror.records import ListEntry, RenderedEntry
from newsmirror.store import article as article_format
from newsmirror.store.base import Store
from newsmirror.store.files import AtomicWriter

README = "README.md"


def list_path_for(slug: str, config: Config) -> str:
    site = config.site(slug)
    return link_target(list_path(site)) if site else ""


def is_derived(path: str) -> bool:
    """Pages made from the archive and the store, never edited by hand: in a conflict with
    someone else's commit, either version will do, since they are regenerated."""
    return path in (README, STATUS_PATH, OPML_PATH, CHANGES) or path.startswith(
        (f"{LISTS}/", f"{FEEDS}/", f"{DIGESTS}/")
    )


def healths(config: Config, store: Store, now_ms: int) -> list[SourceHealth]:
    """Every configured source's health as of `now_ms`."""
    stale_ms = int(config.stale_hours * HOUR_MS)
    found = []
    for site in config.sites:
        count, newest = store.site_summary(site.slug)
        found.append(health_of(site, store.source(site.slug), count, newest, now_ms, stale_ms))
    return found


class Pages:
    """The derived pages of one mirror, written under its root."""

    def __init__(
        self,
        root: Path,
        config: Config,
        writer: AtomicWriter,
        public_url: Callable[[], str] = lambda: "",
    ) -> None:
        self.root = root
        self.config = config
        self.writer = writer
        self._public_url = public_url
        self._public: str | None = None

    @property
    def public_url(self) -> str:
        if self._public is None:
            self._public = self._public_url()
        return self._public

    def write_feeds(self, store: Store, slugs: set[str]) -> list[str]:
        """feeds/<slug>.xml and .json of these sites and feeds/all.*, when their content
        changed; the paths written. Only entries not rendered before (by an earlier pass, or
        by `remember_feed_entries` as their files were written) or whose file changed since
        are read and rendered; the others come from the store."""
        if not slugs:
            return []
        size = self.config.feed_size
        changed: list[str] = []
        newest: dict[str, list[tuple[ListEntry, Site]]] = {
            site.slug: [(entry, site) for entry in store.newest(site.slug, size)]
            for site in self.listed_sites(store)
        }
        every = sorted(
            (pair for pairs in newest.values() for pair in pairs),
            key=lambda pair: (pair[0].published_ms, pair[0].path),
            reverse=True,
        )[:size]
        wanted = [pair for slug in slugs for pair in newest.get(slug, [])] + every
        rendered = self._feed_entries(store, wanted)
        for slug in sorted(slugs):
            if slug in newest:
                site = newest[slug][0][1] if newest[slug] else self.config.site(slug)
                name = site.name if site else slug
                entries = [rendered[e.path] for e, _ in newest[slug] if e.path in rendered]
                changed += self._write_feed(slug, name, entries)
        entries = [rendered[e.path] for e, _ in every if e.path in rendered]
        changed += self._write_feed(ALL, self.config.title, entries)
        with store.transaction():
            store.keep_feed_entries(e.path for pairs in newest.values() for e, _ in pairs)
        return changed

    def _feed_entries(
        self, store: Store, wanted: list[tuple[ListEntry, Site]]
    ) -> dict[str, RenderedEntry]:
        """The rendered entries of these articles by path, from the store's cache where the
        file is as it was then; a file gone or not ours is left out."""
        stamps: dict[str, tuple[str, Site, str]] = {}
        for entry, site in wanted:
            if entry.path not in stamps:
                stamp = self._stamp(entry.path, site)
                if stamp:
                    stamps[entry.path] = (f"{stamp}|{entry.mark}", site, entry.mark)
        cached = store.feed_entries(list(stamps))
        found, fresh = {}, []
        for path, (stamp, site, mark) in stamps.items():
            hit = cached.get(path)
            if hit is not None and hit.stamp == stamp:
                found[path] = hit
                continue
            try:
                text = (self.root / path).read_text(encoding="utf-8")
                item = FeedItem(path, site, article_format.parse(text), mark)
            except (OSError, UnicodeDecodeError, ArticleFormatError):
                continue  # a file gone or not ours: the feed leaves it out
            found[path] = feed_entry(item, self.public_url, stamp)
            fresh.append(found[path])
        if fresh:
            with store.transaction():
                store.put_feed_entries(fresh)
        return found

    def remember_feed_entries(
        self, store: Store, site: Site, written: Sequence[tuple[str, str]]
    ) -> None:
        """Render the feed entries of article files just written (path, text), while their
        text is at hand and in the process that wrote them, into the store's cache, where
        `write_feeds` finds them: otherwise it would read every new file back, parse and
        render it, in one process, at the end of the pass. Only as many as a feed holds."""
        newest = sorted(
            ((path, article_format.parse(text)) for path, text in written),
            key=lambda pair: (pair[1].published_ms, pair[0]),
            reverse=True,
        )[: self.config.feed_size]
        entries = []
        for path, article in newest:
            stamp = self._stamp(path, site)
            if stamp:  # (the mark of a new article is none: "|" and nothing)
                item = FeedItem(path, site, article)
                entries.append(feed_entry(item, self.public_url, f"{stamp}|"))
        if entries:
            with store.transaction():
                store.put_feed_entries(entries)

    def _stamp(self, path: str, site: Site) -> str:
        """What an entry is rendered from: the file's state, where the mirror is published
        and the site's name ("" for a file that is not there)."""
        try:
            info = os.stat(os.path.join(self.root, path))  # (a thousand a pass: no Path)
        except OSError:
            return ""
        made = f"{info.st_mtime_ns}|{info.st_size}"
        return f"{FEED_RENDERING}|{made}|{self.public_url}|{site.slug}|{site.name}"

    def _write_feed(self, key: str, title: str, entries: list[RenderedEntry]) -> list[str]:
        xml_path, json_path = feed_paths(key)
        public = self.public_url
        home = public + list_path_for(key, self.config) if public and key != ALL else public
        written = []
        atom = atom_feed(key, title, entries, public, home)
        if self.writer.write_bytes_if_changed(xml_path, atom):
            written.append(xml_path)
        js = json_feed(key, title, entries, public, home)
        if self.writer.write_bytes_if_changed(json_path, js):
            written.append(json_path)
        return written

    def write_list(self, store: Store, site: Site) -> bool:
        entries = store.newest(site.slug, self.config.list_size)
        return self.writer.write_if_changed(
            list_path(site), render_list(site, entries, self.config, archive=bool(entries))
        )

    def write_readme(self, store: Store) -> bool:
        """The README links the list page of every site that has one (a site with no article
        yet has none: it is named, not linked), with its count, newest date and archive."""
        listed = {s.slug for s in self.listed_sites(store)}
        summaries = {slug: store.site_summary(slug) for slug in listed}
        changes = (self.root / CHANGES).exists()
        text = render_readme(self.config, listed, summaries, digests=bool(listed), changes=changes)
        return self.writer.write_if_changed(README, text)

    def write_digests(self, store: Store, days: set[str]) -> list[str]:
        """The digests of these days ("YYYY-MM-DD") and the digest index; the paths that
        changed."""
        if not days:
            return []
        offset, changed = self.config.offset_minutes, []
        sites = self.listed_sites(store)
        for day in sorted(days):
            start, end = day_bounds(day, offset)
            by_site = [(site, store.between(site.slug, start, end)) for site in sites]
            text = render_digest(self.config.title, day, by_site, offset)
            written = self.writer.write_if_changed(digest_path(day), text)
            if written:
                changed.append(digest_path(day))
            book = digest_path(day).removesuffix(".md") + ".epub"
            if self.config.epub and (written or not (self.root / book).is_file()):
                self.writer.write_bytes(book, self._book(day, by_site))
                changed.append(book)
        index = render_digest_index(self.config.title, store.days(offset))
        if self.writer.write_if_changed(DIGEST_INDEX, index):
            changed.append(DIGEST_INDEX)
        return changed

    def _book(self, day: str, by_site: list[tuple[Site, list[ListEntry]]]) -> bytes:
        from newsmirror.publish.epub import BookArticle, build_epub

        articles = []
        for site, entries in by_site:
            for entry in entries:
                try:
                    text = (self.root / entry.path).read_text(encoding="utf-8")
                    articles.append(BookArticle(entry.path, site, article_format.parse(text)))
                except (OSError, UnicodeDecodeError, ArticleFormatError):
                    continue
        return build_epub(self.config.title, day, articles, self.root)

    def write_months(self, store: Store, months: set[tuple[str, str]]) -> list[str]:
        """Write these (slug, "YYYY-MM") month pages and their sites' indexes; the paths
        that changed."""
        offset = self.config.offset_minutes
        changed = []
        for slug in sorted({slug for slug, _ in months}):
            site = self.config.site(slug)
            if site is None:
                continue
            for month in sorted(m for s, m in months if s == slug):
                start, end = month_bounds(month, offset)
                entries = store.between(slug, start, end)
                for path, text in render_month(site, month, entries, offset):
                    if self.writer.write_if_changed(path, text):
                        changed.append(path)
            index = render_index(site, store.months(slug, offset))
            if self.writer.write_if_changed(index_path(site), index):
                changed.append(index_path(site))
        return changed

    def write_changes(self, store: Store, slugs: set[str]) -> list[str]:
        """changes.md and the changes pages of these sites, when their text changed."""
        if not slugs:
            return []
        size, offset = self.config.changes_size, self.config.offset_minutes
        sites = {site.slug: site for site in self.config.sites}
        pages = [(None, store.changes(None, size))]
        pages += [
            (sites[slug], store.changes(slug, size)) for slug in sorted(slugs) if slug in sites
        ]
        written = []
        for site, changes in pages:
            text = render_changes(self.config.title, changes, sites, offset, self.public_url, site)
            if self.writer.write_if_changed(changes_path(site), text):
                written.append(changes_path(site))
        return written

    def write_status(
        self, store: Store, found: list[SourceHealth], now_ms: int, force: bool = False
    ) -> bool:
        """Rewrite status.md when a source's health changed (or `force`, when other pages
        change anyway); timestamps alone do not make a commit every pass."""
        counts = store.enrichment_counts()
        mark = fingerprint(found) + ":" + ",".join(f"{counts[k]}" for k in sorted(counts))
        mark += "".join(str(store.get_meta(f"remote:{r.name}")) for r in self.config.remotes)
        if not force and store.get_meta("status") == mark and (self.root / STATUS_PATH).exists():
            return False
        homes = [remote_state_from(store.get_meta(f"remote:{r.name}")) for r in self.config.remotes]
        known = [home for home in homes if home is not None]
        text = render_status(
            found, now_ms, self.config.offset_minutes, self.config.title, counts, known
        )
        self.writer.write(STATUS_PATH, text)
        with store.transaction():
            store.set_meta("status", mark)
        return True

    def write_opml(self) -> bool:
        """sources.opml: the mirror's sources, for any feed reader; when it changed."""
        return self.writer.write_if_changed(
            OPML_PATH, render_opml(self.config.sites, self.config.title)
        )

    def listed_sites(self, store: Store) -> list[Site]:
        """Sites that have a list page: those with articles, and those whose page exists."""
        listed = store.sites_with_articles()
        return [
            s for s in self.config.sites if s.slug in listed or (self.root / list_path(s)).exists()
        ]

    def owed(self, store: Store, found: list[SourceHealth], now_ms: int) -> list[str]:
        """Rewrite the lists of sites that got articles (in this pass or in one that was
        interrupted), the README and status.md when they changed; every path to commit."""
        lists = set(store.todo("list"))
        month_items = store.todo(MONTH_TODO)
        self.writer.asked.clear()
        for site in self.config.sites:
            if site.slug in lists:
                self.write_list(store, site)
        self.write_months(store, owed_months(month_items, self.config.offset_minutes))
        self.write_feeds(store, lists)
        day_items = store.todo(DAY_TODO)
        self.write_digests(store, owed_days(day_items, self.config.offset_minutes))
        change_items = store.todo(CHANGES_TODO)
        self.write_changes(store, set(change_items))
        self.write_readme(store)
        self.write_opml()
        # Every page asked for is owed to git, changed by this pass or not: one an interrupted
        # pass wrote but never committed is as this pass asks, and still uncommitted. (Git
        # stages only what differs; the commit goes by what is staged.)
        to_commit = sorted(self.writer.asked)
        if self.write_status(store, found, now_ms, force=bool(lists)):
            to_commit.append(STATUS_PATH)
        with store.transaction():
            store.add_todo("commit", to_commit)
            store.clear_todo("list", lists)
            store.clear_todo(MONTH_TODO, month_items)
            store.clear_todo(DAY_TODO, day_items)
            store.clear_todo(CHANGES_TODO, change_items)
        return store.todo("commit")

    def build(self, store: Store, now_ms: int) -> list[str]:
        """Regenerate every derived page from the store; the paths that changed."""
        return self._rewrite(store, now_ms, force_status=True)

    def rewrite(self, store: Store, now_ms: int) -> list[str]:
        """Bring every derived page up to the store (after it took in someone else's commits);
        the paths that changed. status.md follows when anything else did."""
        return self._rewrite(store, now_ms, force_status=False)

    def _rewrite(self, store: Store, now_ms: int, force_status: bool) -> list[str]:
        listed = self.listed_sites(store)
        changed = [list_path(s) for s in listed if self.write_list(store, s)]
        offset = self.config.offset_minutes
        every_month = {(s.slug, month) for s in listed for month, _ in store.months(s.slug, offset)}
        changed += self.write_months(store, every_month)
        changed += self.write_feeds(store, {s.slug for s in listed})
        changed += self.write_digests(store, {day for day, _ in store.days(offset)})
        if store.changes(None, 1) or (self.root / CHANGES).exists():
            changed += self.write_changes(store, {c.site for c in store.changes(None, 10**9)})
        if self.write_readme(store):
            changed.append(README)
        if self.write_opml():
            changed.append(OPML_PATH)
        force = force_status or bool(changed)
        if self.write_status(store, healths(self.config, store, now_ms), now_ms, force=force):
            changed.append(STATUS_PATH)
        return changed
