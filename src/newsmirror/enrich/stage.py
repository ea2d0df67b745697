"""The enrich stage of a pass: the work owed on written articles (`decide.enrich`) carried out.
Article pages are read for their full text, then pictures are stored in the mirror; each
article is rewritten once, when something changed. Pages and pictures go through the fetch
layer (per-host limits, a per-pass budget for each kind, size and type limits), and every
failure is recorded and retried in a later pass, up to `enrich_attempts`: an article keeps
what it has (its feed's body, its pictures' own URLs) until something better arrives.

Durability: a picture is written whole (its temp file waits in the state folder, never in
`assets/`) and synced before any article links it; articles are rewritten atomically and
synced before the index records the work as done.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

from newsmirror.clean.entry import cleaned_body, visible_chars
from newsmirror.clean.footer import strip_feedx_footer
from newsmirror.config import Config, Site
from newsmirror.decide.enrich import after_failure, page_wins
from newsmirror.enrich.images import image_urls, proxied, relative_link, rewrite
from newsmirror.enrich.pages import HTML_TYPES, extract, page_text
from newsmirror.enrich.pictures import NotAPicture, Picture, prepare
from newsmirror.errors import ArticleFormatError
from newsmirror.events import Observer, Stage, ignore
from newsmirror.fetch.http import Budget, FetchPolicy, fetch_all
from newsmirror.records import Article, Asset, Enrichment, Fetched, Request
from newsmirror.store import article as article_format
from newsmirror.store import files
from newsmirror.store.base import Store

PAGE_ACCEPT = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1"
IMAGE_ACCEPT = "image/avif,image/webp,image/png,image/jpeg,image/gif;q=0.9,*/*;q=0.5"
# Image hosts often answer octet-stream; the bytes decide in the end (`pictures.sniff`).
IMAGE_TYPES = ("image/", "application/octet-stream", "binary/octet-stream")
TEMP_DIR = Path(".newsmirror") / "tmp"


@dataclass(frozen=True, slots=True)
class EnrichReport:
    """What the stage did in one pass."""

    pages: int = 0  # bodies taken from article pages
    kept: int = 0  # pages read that held no fuller text (the feed's body stays)
    pictures: int = 0  # pictures stored (new files)
    bytes_downloaded: int = 0  # of those pictures, as downloaded
    bytes_stored: int = 0  # ... and as stored (after re-encoding)
    refused: int = 0  # downloads that were not pictures to store
    failed: int = 0  # pages and pictures that failed this pass (tried again later)
    gave_up: int = 0  # articles whose work failed `enrich_attempts` times
    deferred: int = 0  # over this pass's budget: next pass
    rewritten: tuple[str, ...] = ()  # article files rewritten
    assets: tuple[str, ...] = ()  # asset files written

    @property
    def anything(self) -> bool:
        return bool(self.rewritten or self.assets or self.failed or self.deferred)


def finish_body(body: str, site: Site, config: Config) -> str:
    """What the source's settings do to a cleaned body before it is archived: feedx's footer
    dropped (`strip_feedx_footer`), pictures routed through the proxy (`images = "proxy"`)."""
    if config.strip_feedx_footer:
        body = strip_feedx_footer(body)
    if config.images_of(site) == "proxy":
        body = proxied(body, config.image_proxy)
    return body


class _Work:
    """The stage's state while it runs: the owed items, the new bodies, the stored pictures."""

    def __init__(self, root: Path, config: Config, store: Store, now_ms: int) -> None:
        self.root, self.config, self.store, self.now_ms = root, config, store, now_ms
        self.sites = {site.slug: site for site in config.sites}
        self.items: dict[str, Enrichment] = {}
        self.changed: set[str] = set()  # paths of items whose record changed
        self.articles: dict[str, Article] = {}  # current text of the articles touched
        self.rewritten: set[str] = set()
        self.assets: dict[str, Asset] = {}  # by URL: known and stored this pass
        self.new_assets: list[Asset] = []
        self.counts: dict[str, int] = {}
        self.writer = files.AtomicWriter(root, root / TEMP_DIR)

    def count(self, what: str, n: int = 1) -> None:
        self.counts[what] = self.counts.get(what, 0) + n

    def update(self, item: Enrichment) -> None:
        self.items[item.path] = item
        self.changed.add(item.path)

    def fail(self, item: Enrichment, part: str, error: str) -> None:
        later = after_failure(item, part, error, self.now_ms, self.config.enrich_attempts)
        if part == "page":  # (pictures are counted one by one as they fail)
            self.count("failed")
        if "failed" in (later.page, later.images):
            self.count("gave_up")
        self.update(later)

    def article(self, path: str) -> Article | None:
        if path not in self.articles:
            try:
                text = (self.root / path).read_text(encoding="utf-8")
                self.articles[path] = article_format.parse(text)
            except (OSError, UnicodeDecodeError, ArticleFormatError):
                return None
        return self.articles[path]

    def set_body(self, path: str, body: str) -> None:
        old = self.articles[path]
        if body != old.body:
            self.articles[path] = Article(old.published_ms, old.title, old.url, body)
            self.rewritten.add(path)


def enrich_articles(
    root: Path,
    config: Config,
    store: Store,
    policy: FetchPolicy,
    now_ms: int,
    observer: Observer = ignore,
) -> EnrichReport:
    """Carry out the work owed whose time has come (see the module's docstring)."""
    due = store.enrichments_due(now_ms, config.page_budget + config.image_budget)
    work = _Work(root, config, store, now_ms)
    for item in due:
        if item.site in work.sites:  # a removed source's articles wait for it to return
            work.items[item.path] = item
    if not work.items:
        return EnrichReport()  # (and lists no folder: a quiet pass reads nothing it need not)
    files.remove_temp_files(root / TEMP_DIR)  # a killed run's, if recovery has not
    observer(Stage("enrich"))
    budget = Budget({"page": config.page_budget, "image": config.image_budget})
    _read_pages(work, policy, budget)
    _store_pictures(work, policy, budget)
    return _record(work)


def _missing(work: _Work, item: Enrichment) -> None:
    """The article's file is gone (deleted by hand, or never written): nothing to do."""
    work.update(
        replace(
            item,
            page="failed" if item.page == "owed" else item.page,
            images="failed" if item.images == "owed" else item.images,
            error="the article file is missing or not in the article format",
        )
    )


def _read_pages(work: _Work, policy: FetchPolicy, budget: Budget) -> None:
    owed = [item for item in work.items.values() if item.page == "owed"]
    requests = []
    for item in owed:
        if work.article(item.path) is None:
            _missing(work, item)
            continue
        requests.append(
            Request(
                item.path,
                item.url,
                kind="page",
                max_bytes=work.config.page_max_bytes,
                accept=PAGE_ACCEPT,
                types=HTML_TYPES,
            )
        )

    def on_page(fetched: Fetched) -> None:
        item = work.items[fetched.key]
        if not fetched.ok:
            if fetched.error_kind == "budget":
                work.count("deferred")
            else:
                work.fail(item, "page", f"{fetched.error_kind}: {fetched.error}")
            return
        site = work.sites[item.site]
        base = fetched.final_url or fetched.url
        try:
            raw = extract(
                page_text(fetched.body or b"", fetched.content_type),
                base,
                site.content_selector,
                site.remove_selectors,
            )
        except Exception as exc:  # an extractor's bug on a hostile page fails this page only
            work.fail(item, "page", f"cannot extract the story: {type(exc).__name__}: {exc}")
            return
        body = finish_body(cleaned_body(raw, base)[0], site, work.config) if raw else ""
        if visible_chars(body) == 0:
            where = f"selector {site.content_selector!r}" if site.content_selector else "page"
            work.fail(item, "page", f"no story found in the {where} ({base})")
            return
        current = work.articles[item.path]
        if page_wins(site.fulltext, current.body, body):
            work.set_body(item.path, body)
            work.update(replace(item, page="done", body_from="page", error=""))
            work.count("pages")
        else:
            work.update(replace(item, page="kept", error=""))
            work.count("kept")

    fetch_all(requests, policy, on_page, budget=budget)


def _store_pictures(work: _Work, policy: FetchPolicy, budget: Budget) -> None:
    # Pictures wait for the page: a body from the page brings pictures of its own.
    owed = [i for i in work.items.values() if i.images == "owed" and i.page != "owed"]
    wanted: dict[str, list[str]] = {}
    referers: dict[str, str] = {}
    for item in owed:
        article = work.article(item.path)
        if article is None:
            _missing(work, item)
            continue
        wanted[item.path] = image_urls(article.body)
        for url in wanted[item.path]:
            referers.setdefault(url, item.url)
    urls = list(referers)
    known = work.store.assets_for(urls)
    # A stored picture whose file is gone (deleted, or lost in a crash) is fetched again.
    work.assets = {
        url: asset
        for url, asset in known.items()
        if not asset.path or (work.root / asset.path).is_file()
    }
    errors: dict[str, str] = {}
    requests = [
        Request(
            url,
            url,
            kind="image",
            referer=referers[url],
            max_bytes=work.config.image_max_bytes,
            accept=IMAGE_ACCEPT,
            types=IMAGE_TYPES,
        )
        for url in urls
        if url not in work.assets
    ]

    # Decoding and re-encoding are CPU work that Pillow does without holding the GIL: a few
    # threads do it on every core while downloads go on (profiled: a 2400 px picture's
    # re-encoding costs 60 ms, a thousand times the rest of its handling).
    config = work.config
    with ThreadPoolExecutor(max_workers=_cores(), thread_name_prefix="picture") as pool:
        prepared: list[tuple[Fetched, Future[Picture], int]] = []

        def on_picture(fetched: Fetched) -> None:
            if not fetched.ok:
                errors[fetched.key] = f"{fetched.error_kind}: {fetched.error}"
                work.count("deferred" if fetched.error_kind == "budget" else "failed")
                return
            data = fetched.body or b""
            future = pool.submit(prepare, data, config.image_max_width, config.image_quality)
            prepared.append((replace(fetched, body=None), future, len(data)))
            while prepared and prepared[0][1].done():  # store what is ready: memory stays low
                _keep_picture(work, *prepared.pop(0))

        fetch_all(requests, policy, on_picture, budget=budget)
        for done in prepared:
            _keep_picture(work, *done)
    if work.new_assets:
        files.sync_filesystem(work.root)  # every picture whole on disk before a link to it
    for item in owed:
        if item.path not in wanted:
            continue
        _link_pictures(work, item, wanted[item.path], errors)


def _cores() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 2)


def _keep_picture(work: _Work, fetched: Fetched, future: Future[Picture], size: int) -> None:
    try:
        picture = future.result()
    except NotAPicture as refusal:
        # Kept as a refusal (no path): the article keeps the picture's own URL, and the URL
        # is not downloaded again every pass.
        work.count("refused")
        asset = Asset(fetched.key, "", f"refused: {refusal}", size, 0, 0, 0)
        work.assets[fetched.key] = asset
        work.new_assets.append(asset)
        return
    if not (work.root / picture.path).is_file():  # the same picture from elsewhere: once
        work.writer.write_bytes(picture.path, picture.data)
        work.count("pictures")
        work.count("bytes_downloaded", picture.original_bytes)
        work.count("bytes_stored", len(picture.data))
    asset = Asset(
        fetched.key,
        picture.path,
        picture.media_type,
        picture.original_bytes,
        len(picture.data),
        picture.width,
        picture.height,
    )
    work.assets[fetched.key] = asset
    work.new_assets.append(asset)


def _link_pictures(work: _Work, item: Enrichment, urls: list[str], errors: dict[str, str]) -> None:
    def local(url: str) -> str | None:
        asset = work.assets.get(url)
        return relative_link(asset.path, item.path) if asset and asset.path else None

    body = work.articles[item.path].body
    work.set_body(item.path, rewrite(body, local))
    waiting = [url for url in urls if url not in work.assets]
    failed = [url for url in waiting if not errors.get(url, "").startswith("budget")]
    if failed:
        work.fail(item, "images", f"{len(failed)} picture(s) failed: {errors.get(failed[0], '')}")
    elif not waiting:
        work.update(replace(item, images="done", error=""))


def _record(work: _Work) -> EnrichReport:
    for path in sorted(work.rewritten):
        work.writer.write(path, article_format.render(work.articles[path]))
    if work.rewritten:
        files.sync_filesystem(work.root)
    asset_paths = sorted({a.path for a in work.new_assets if a.path})
    store = work.store
    with store.transaction():
        for asset in work.new_assets:
            store.put_asset(asset)
        store.put_enrichments(work.items[path] for path in sorted(work.changed))
        store.add_todo("commit", [*sorted(work.rewritten), *asset_paths])
    counts: Callable[[str], int] = lambda key: work.counts.get(key, 0)  # noqa: E731
    return EnrichReport(
        pages=counts("pages"),
        kept=counts("kept"),
        pictures=counts("pictures"),
        bytes_downloaded=counts("bytes_downloaded"),
        bytes_stored=counts("bytes_stored"),
        refused=counts("refused"),
        failed=counts("failed"),
        gave_up=counts("gave_up"),
        deferred=counts("deferred"),
        rewritten=tuple(sorted(work.rewritten)),
        assets=tuple(asset_paths),
    )
