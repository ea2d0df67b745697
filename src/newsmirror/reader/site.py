"""`newsmirror site DIR`: the reader's pages as a static HTML site for GitHub Pages or any
static host, every link relative, with a client-side search index made by Pagefind (whose
extended build segments Chinese), when it is installed (`pip install 'newsmirror[site]'`).
A page is rewritten only when its HTML changed; the mirror's stored pictures are copied when
they are new or changed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from newsmirror.config import Config
from newsmirror.reader.pages import SEARCH_SCRIPT, Page, Reader
from newsmirror.store.base import Store
from newsmirror.store.files import AtomicWriter

_BATCH = 500


@dataclass(frozen=True, slots=True)
class SiteReport:
    pages: int
    written: int
    assets: int
    search: str  # what became of the search index ("indexed …", or why not)


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
    written += writer.write_if_changed("search.js", SEARCH_SCRIPT)
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
    shutil.rmtree(out / ".tmp", ignore_errors=True)
    assets = _copy_assets(root / "assets", out / "assets")
    return SiteReport(pages, written, assets, _pagefind(out))


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


def _pagefind(out: Path) -> str:
    """Index the site with Pagefind (extended: Chinese word segmentation) into out/pagefind."""
    try:
        import pagefind  # noqa: F401 - only to know it is there
    except ImportError:
        return "no search index: Pagefind is not installed (pip install 'newsmirror[site]')"
    command = [sys.executable, "-m", "pagefind", "--site", str(out), "--force-language", "zh"]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return f"no search index: Pagefind failed ({done.stderr.strip()[-300:]})"
    return "search index by Pagefind in pagefind/"
