"""A loopback HTTP server for benchmark feeds that behaves like a publisher's web server.

Every file of a directory tree is read from disk for each request, as a web server does, and
served with `Content-Type: application/rss+xml`, `Content-Length`, `ETag` (from the file's size
and modification time, as nginx makes it) and `Last-Modified`; gzip-compressed when the client
says it accepts gzip, compressed once per file and kept, as a web server's or CDN's cache does.
With `conditional = False` the validators are still sent but `If-None-Match` and
`If-Modified-Since` are ignored, so every request costs a full download (as for the baseline,
which never sends them). The listen backlog is 1024: the stock `http.server` backlog of 5 makes
200 simultaneous connections fail.

usage: python bench/feedserver.py DIR [--port N] [--no-conditional]
"""

from __future__ import annotations

import argparse
import contextlib
import email.utils
import gzip
import os
import threading
from collections import Counter
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".jpg": "image/jpeg",
    ".png": "image/png",
}


class FeedServer(ThreadingHTTPServer):
    request_queue_size = 1024
    daemon_threads = True

    def __init__(
        self,
        root: Path,
        port: int = 0,
        conditional: bool = True,
        host: str = "127.0.0.1",
        compressed: GzipCache | None = None,
    ) -> None:
        self.root = root
        self.compressed = compressed or GzipCache()
        self.conditional = conditional
        self.stats: Counter[str] = Counter()
        self.lock = threading.Lock()
        super().__init__((host, port), FeedHandler)

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def count(self, key: str, n: int = 1) -> None:
        with self.lock:
            self.stats[key] += n

    def take_stats(self) -> dict[str, int]:
        """The counters since the last call (requests, 200, 304, 404, bytes, and the most
        requests this server answered at the same time)."""
        with self.lock:
            stats, self.stats = dict(self.stats), Counter()
        return stats

    active = 0

    def enter(self) -> None:
        with self.lock:
            self.active += 1
            self.stats["peak"] = max(self.stats["peak"], self.active)

    def leave(self) -> None:
        with self.lock:
            self.active = max(0, self.active - 1)

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self.serve_forever, name="feedserver", daemon=True)
        thread.start()
        return thread


class GzipCache:
    """gzip bodies, compressed once per file (and version of it) and kept, shared by servers."""

    def __init__(self) -> None:
        self._bodies: dict[tuple[str, int, int], bytes] = {}
        self._lock = threading.Lock()

    def get(self, path: str, stat: os.stat_result, body: bytes) -> bytes:
        key = (path, stat.st_mtime_ns, stat.st_size)
        with self._lock:
            found = self._bodies.get(key)
        if found is None:
            found = gzip.compress(body, compresslevel=6, mtime=0)
            with self._lock:
                self._bodies[key] = found
        return found


class FeedFarm:
    """The same files served by one server per loopback address (127.0.0.2, 127.0.0.3...):
    feeds of many publishers, as a fetcher that limits requests per host should meet them."""

    def __init__(self, root: Path, hosts: int, conditional: bool = True) -> None:
        compressed = GzipCache()
        self.servers = [
            FeedServer(root, 0, conditional, host=f"127.0.0.{2 + n}", compressed=compressed)
            for n in range(hosts)
        ]

    @property
    def conditional(self) -> bool:
        return self.servers[0].conditional

    @conditional.setter
    def conditional(self, value: bool) -> None:
        for server in self.servers:
            server.conditional = value

    def base_url(self, n: int) -> str:
        """The address of the `n`th feed's server (feeds are spread round robin)."""
        return self.servers[n % len(self.servers)].base_url

    def take_stats(self) -> dict[str, int]:
        """Counters summed over the servers; `peak` is the most one server (one host)
        answered at the same time."""
        total: Counter[str] = Counter()
        peak = 0
        for server in self.servers:
            stats = server.take_stats()
            peak = max(peak, stats.pop("peak", 0))
            total.update(stats)
        return {**total, "peak": peak} if total else {}

    def start(self) -> None:
        for server in self.servers:
            server.start()

    def shutdown(self) -> None:
        for server in self.servers:
            server.shutdown()
            server.server_close()


class FeedHandler(BaseHTTPRequestHandler):
    server: FeedServer
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; with Nagle's algorithm on, the body waits for
    # the client's delayed ACK (40 ms). Real servers send with TCP_NODELAY.
    disable_nagle_algorithm = True

    def do_GET(self) -> None:
        self.reply(with_body=True)

    def do_HEAD(self) -> None:
        self.reply(with_body=False)

    def reply(self, with_body: bool) -> None:
        self.server.enter()
        try:
            self._reply(with_body)
        finally:
            self.server.leave()

    def _reply(self, with_body: bool) -> None:
        path = self.path.split("?", 1)[0]
        self.server.count("requests")
        file = self.server.root / path.lstrip("/")
        try:
            if ".." in Path(path).parts:
                raise FileNotFoundError(path)
            stat = file.stat()
            etag = f'"{stat.st_mtime_ns // 1_000_000_000:x}-{stat.st_size:x}"'
        except OSError:
            self.server.count("404")
            self.send_error(404)
            return
        mtime = int(stat.st_mtime)
        if self.server.conditional and self.not_modified(etag, mtime):
            self.server.count("304")
            self.send_response(304)
            self.send_validators(etag, mtime)
            self.end_headers()
            return
        body = file.read_bytes()
        encoding = None
        kind = _TYPES.get(file.suffix, "application/rss+xml; charset=utf-8")
        compressible = not kind.startswith("image/")  # web servers gzip text, not pictures
        if compressible and "gzip" in self.headers.get("Accept-Encoding", "").lower():
            body, encoding = self.server.compressed.get(path, stat, body), "gzip"
            self.server.count("gzip")
        self.server.count("200")
        self.send_response(200)
        self.send_header("Content-Type", kind)
        if encoding:
            self.send_header("Content-Encoding", encoding)
            self.send_header("Vary", "Accept-Encoding")
        self.send_header("Content-Length", str(len(body)))
        self.send_validators(etag, mtime)
        self.end_headers()
        if with_body:
            self.wfile.write(body)
            self.server.count("bytes", len(body))

    def not_modified(self, etag: str, mtime: int) -> bool:
        if_none_match = self.headers.get("If-None-Match")
        if if_none_match is not None:
            tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
            return etag in tags or "*" in tags
        since = self.headers.get("If-Modified-Since")
        try:
            return since is not None and parsedate_to_datetime(since).timestamp() >= mtime
        except (TypeError, ValueError):
            return False

    def send_validators(self, etag: str, mtime: int) -> None:
        self.send_header("ETag", etag)
        self.send_header("Last-Modified", email.utils.formatdate(mtime, usegmt=True))

    def log_message(self, format: str, *args: object) -> None:
        pass


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dir", type=Path)
    ap.add_argument("--port", type=int, default=8000)
    ap.add_argument("--no-conditional", action="store_true", help="never answer 304")
    a = ap.parse_args()
    server = FeedServer(a.dir, a.port, conditional=not a.no_conditional)
    print(f"serving {a.dir} at {server.base_url}/", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()


if __name__ == "__main__":
    main()
