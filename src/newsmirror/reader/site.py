"""`newsmirror site DIR`: the reader's pages as a static HTML site for GitHub Pages or any
static host, every link relative, with a client-side search index (`search.static`: a query
reads a few small files, in Simplified or Traditional). A page or index file is rewritten
only when it changed; the mirror's stored pictures are copied when they are new or changed.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from newsmirror.config import Config
from newsmirror.reader.pages import Page, Reader, article_page
from newsmirror.records import KnownArticle
from newsmirror.search import static
from newsmirror.store.base import Store
from newsmirror.store.files import AtomicWriter
from newsmirror.store.layout import local_time

_BATCH = 500


@dataclass(frozen=True, slots=True)
class SiteReport:
    pages: int
    written: int
    assets: int
    search: static.StaticReport


def build_site(
    root: Path,
    config: Config,
    store: Store,
    out: Path,
    public_url: str = "",
    progress: Callable[[int, int], None] = lambda done, total: None,
) -> SiteReport:
    out.mkdir(parents=True, exist_ok=True)
    writer = AtomicWriter(out, out / ".tmp")
    reader = Reader(root, config, static=True, public_url=public_url)
    pages = written = 0

    def put(page: Page | None) -> None:
        nonlocal pages, written
        if page is None:
            return
        pages += 1
        written += writer.write_if_changed(page.path, page.html)

    put(reader.home(store))
    put(reader.changes(store))
    put(reader.static_search())
    pages += 1
    written += writer.write_bytes_if_changed("search.js", static.SCRIPT.read_bytes())
    listed = store.sites_with_articles()
    for site in config.sites:
        if site.slug not in listed:
            continue
        put(reader.site_index(store, site))
        for month, _ in store.months(site.slug, config.offset_minutes):
            put(reader.month(store, site, month))
    paths = sorted(p for p in store.all_paths() if p.endswith(".md"))
    for start in range(0, len(paths), _BATCH):
        for path in paths[start : start + _BATCH]:
            put(reader.article(store, path))
        progress(min(start + _BATCH, len(paths)), len(paths))
    searched = _search_index(root, config, store, writer, paths, progress)
    shutil.rmtree(out / ".tmp", ignore_errors=True)
    assets = _copy_assets(root / "assets", out / "assets")
    return SiteReport(pages, written, assets, searched)


def _search_index(
    root: Path,
    config: Config,
    store: Store,
    writer: AtomicWriter,
    paths: Sequence[str],
    progress: Callable[[int, int], None],
) -> static.StaticReport:
    """The static search index of every article, oldest first."""
    known: list[KnownArticle] = []
    for start in range(0, len(paths), _BATCH):
        known += store.known_paths(paths[start : start + _BATCH])
    known.sort(key=lambda k: (k.article.published_ms, k.article.path))
    names = {site.slug: site.name for site in config.sites}
    offset = config.offset_minutes

    def shown(k: KnownArticle) -> tuple[str, str, str]:
        when = f"{local_time(k.article.published_ms, offset):%Y-%m-%d %H:%M}"
        return article_page(k.article.path), names.get(k.article.site, k.article.site), when

    def batches() -> Iterator[list[KnownArticle]]:
        for start in range(0, len(known), _BATCH):
            yield known[start : start + _BATCH]

    docs = static.static_docs(root, batches(), shown)
    return static.write_index(writer, docs, len(known), lambda done: progress(done, len(known)))


def _copy_assets(source: Path, target: Path) -> int:
    """Copy stored pictures that are new or changed (by size and time); the number copied."""
    copied = 0
    if not source.is_dir():
        return 0
    for folder, _, names in os.walk(source):
        for name in names:
            src = Path(folder) / name
            dst = target / src.relative_to(source)
            info = src.stat()
            if dst.exists():
                have = dst.stat()
                if have.st_size == info.st_size and have.st_mtime >= info.st_mtime:
                    continue  # (copied before, unchanged since)
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)
            copied += 1
    return copied
