"""`newsmirror serve`: the local web reader. A small threaded HTTP server over the mirror's
store, search index and files, on 127.0.0.1 unless told otherwise, answering the reader's pages
(`reader.pages`), `/search?q=…`, and the mirror's stored pictures under `/assets/`. Every answer
carries the pages' Content-Security-Policy (no script at all), so that even a body that slipped
past the sanitizer cannot run.
"""

from __future__ import annotations

import mimetypes
import re
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from newsmirror.config import Config
from newsmirror.reader.pages import CONTENT_POLICY, Page, Reader
from newsmirror.search.base import Query
from newsmirror.search.sqlite import ShardedSearch
from newsmirror.search.sync import snippet
from newsmirror.store.sqlite import SqliteStore

_MONTH = re.compile(r"^lists/([^/]+)/(\d{4}-\d{2})\.html$")
_SITE = re.compile(r"^lists/([^/]+)/(?:index\.html)?$")
PAGE_SIZE = 20


class ReaderServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self, root: Path, config: Config, index: Path, search: Path, address: tuple[str, int]
    ) -> None:
        self.root = root.resolve()
        self.reader = Reader(root, config)
        self.index_path = index
        self.search_path = search
        super().__init__(address, _Handler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        shown = f"[{host}]" if ":" in str(host) else host
        return f"http://{shown}:{port}/"


class _Handler(BaseHTTPRequestHandler):
    server: ReaderServer
    server_version = "newsmirror"

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        path = unquote(parts.path).lstrip("/")
        try:
            if path.startswith("assets/"):
                self._file(path)
                return
            page = self._page(path, parse_qs(parts.query))
        except Exception as exc:  # one bad page is an error page, never a dead server
            self._send(500, f"<h1>500</h1><p>{type(exc).__name__}</p>".encode(), "text/html")
            return
        if page is None:
            self._send(404, b"<!doctype html><h1>404</h1><p>no such page</p>", "text/html")
        else:
            self._send(200, page.html.encode("utf-8"), "text/html; charset=utf-8", page.policy)

    def _page(self, path: str, query: dict[str, list[str]]) -> Page | None:
        reader = self.server.reader
        with SqliteStore(self.server.index_path) as store:
            if path in ("", "index.html"):
                return reader.home(store)
            if path == "changes.html":
                return reader.changes(store)
            if path in ("search", "search.html"):
                return self._search(reader, query)
            if match := _MONTH.match(path):
                site = reader.sites.get(match[1])
                return reader.month(store, site, match[2]) if site else None
            if match := _SITE.match(path):
                site = reader.sites.get(match[1])
                return reader.site_index(store, site) if site else None
            if path.startswith("articles/") and path.endswith(".html"):
                return reader.article(store, path.removesuffix(".html") + ".md")
        return None

    def _search(self, reader: Reader, query: dict[str, list[str]]) -> Page:
        text = (query.get("q") or [""])[0].strip()
        try:
            start = max(0, int((query.get("start") or ["0"])[0]))
        except ValueError:
            start = 0
        if not text:
            return reader.search("", None, [], 0, PAGE_SIZE)
        with ShardedSearch(self.server.search_path) as search:
            results = search.search(Query(text, limit=PAGE_SIZE, offset=start))
        root = self.server.root
        snippets = [snippet(root, hit.path, results.terms) for hit in results.hits]
        return reader.search(text, results, snippets, start, PAGE_SIZE)

    def _file(self, path: str) -> None:
        root = self.server.root
        target = (root / path).resolve()
        if not target.is_relative_to(root / "assets") or not target.is_file():
            self._send(404, b"not found", "text/plain")
            return
        kind = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        self._send(200, target.read_bytes(), kind, cache="max-age=86400")

    def _send(
        self,
        status: int,
        body: bytes,
        kind: str,
        policy: str = CONTENT_POLICY,
        cache: str = "no-cache",
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Content-Security-Policy", policy)
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("Cache-Control", cache)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_HEAD = do_GET

    def log_message(self, *args: object) -> None:
        pass
