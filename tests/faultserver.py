"""A loopback HTTP server that misbehaves on request, for testing what fetches feeds.

Start one with `with FaultServer() as server:` (or `.start()` / `.close()`), build URLs with
`server.url(path, **query)`, and read what it was asked in `server.requests`. Each path below
is one behaviour; every path also takes `delay=S` (wait S seconds before the status line: a slow
first byte) and any number of `h=Name: Value` (extra response headers).

Paths:

- `/feed.xml?items=N`: a UTF-8 RSS feed of N items (default 3).
- `/conditional.xml`: the feed with `ETag: FEED_ETAG` and `Last-Modified: FEED_LAST_MODIFIED`;
  304 when `If-None-Match` or `If-Modified-Since` matches.
- `/status/<code>?retry_after=V`: that status, with `Retry-After: V` when given.
- `/redirect/<code>?to=LOCATION`: that status with `Location` exactly as given (relative,
  file:, ...).
- `/hops/<c1>,<c2>,...?form=F`: a chain that answers c1 with a Location to `/hops/<c2>,...`,
  and the feed once no code is left. F is `path` (`/hops/...`, the default), `relative`
  (`<c2>,...`) or `absolute` (a full URL).
- `/loop/<code>/<n>/<i>`: a loop of n URLs, each redirecting with `code` to the next.
- `/encoded/<enc>`: the feed with a `Content-Encoding`: `gzip`, `deflate` (zlib format),
  `raw-deflate` (raw deflate, sent as `deflate`), `br`, or a comma list applied in order.
- `/bomb/<enc>?mb=N`: N MiB (default 64) of zeros compressed with `gzip`, `deflate` or `br`.
- `/drip?interval=S&bytes=N`: the start of a feed, then one byte every S seconds (default 1),
  forever unless N is given.
- `/endless`: a chunked body of feed items that never ends.
- `/truncated?claim=N`: `Content-Length: N` (default twice the feed), half the feed, close.
- `/charset?actual=A&declared=D&xml=X`: a feed with Chinese text in bytes of encoding A
  (default gb18030) under `Content-Type` charset D (default utf-8), with XML declaration
  encoding X (default: no encoding declared).
- anything else: 404, or what `serve(path, ...)` set.

Besides HTTP: `RawServer(payload)` answers every connection with raw bytes and closes (garbage
where a TLS handshake is expected), `unused_port()` gives a port nothing listens on (connection
refused), and `unresponsive_port()` a port whose listen queue is full (connecting times out).
"""

from __future__ import annotations

import contextlib
import gzip
import socket
import threading
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import brotli

FEED_ETAG = '"fault-feed-v1"'
FEED_MTIME = 1_700_000_000
FEED_LAST_MODIFIED = formatdate(FEED_MTIME, usegmt=True)
_MIB = 1024 * 1024


def feed_item(n: int, text: str = "新闻正文 news text") -> str:
    return (
        f"<item><title>Item {n} 标题</title><link>https://example.org/items/{n}</link>"
        f"<guid>fault-{n}</guid><pubDate>{formatdate(FEED_MTIME - n * 60, usegmt=True)}</pubDate>"
        f"<description>{text} {n}</description></item>\n"
    )


def feed_head(title: str = "Fault feed", encoding: str | None = "UTF-8") -> str:
    declaration = f' encoding="{encoding}"' if encoding else ""
    return (
        f'<?xml version="1.0"{declaration}?>\n<rss version="2.0"><channel>'
        f"<title>{title}</title><link>https://example.org/</link><description>d</description>\n"
    )


FEED_TAIL = "</channel></rss>\n"


def make_feed(items: int = 3, title: str = "Fault feed", encoding: str | None = "UTF-8") -> str:
    """An RSS 2.0 feed of `items` items, with some Chinese text in each."""
    return feed_head(title, encoding) + "".join(feed_item(n) for n in range(items)) + FEED_TAIL


FEED = make_feed().encode()


def encode(body: bytes, encoding: str) -> bytes:
    """`body` with one content coding applied (`raw-deflate`: deflate without the zlib
    wrapper, as many servers send it)."""
    match encoding:
        case "gzip":
            return gzip.compress(body)
        case "deflate":
            return zlib.compress(body)
        case "raw-deflate":
            packer = zlib.compressobj(wbits=-zlib.MAX_WBITS)
            return packer.compress(body) + packer.flush()
        case "br":
            return brotli.compress(body)
    raise ValueError(f"unknown encoding {encoding}")


def bomb(encoding: str, mib: int) -> bytes:
    """`mib` MiB of zeros, compressed: a few KB that inflate to far more than a feed."""
    zeros = bytes(_MIB)
    if encoding == "br":
        packer = brotli.Compressor(quality=5)  # the default (11) takes seconds per MiB
        return b"".join(packer.process(zeros) for _ in range(mib)) + packer.finish()
    wbits = {"gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}[encoding]
    squeezer = zlib.compressobj(9, zlib.DEFLATED, wbits)
    return b"".join(squeezer.compress(zeros) for _ in range(mib)) + squeezer.flush()


@dataclass
class Seen:
    """One request as the server saw it: header names lower-cased, monotonic times."""

    method: str
    path: str
    headers: dict[str, str]
    started: float
    finished: float | None = None


@dataclass
class _Static:
    body: bytes
    status: int
    headers: dict[str, str] = field(default_factory=dict)


class FaultServer:
    """The HTTP fault server on 127.0.0.1 (or another loopback address)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, backlog: int = 1024) -> None:
        server_class = type("_Server", (_HTTPServer,), {"request_queue_size": backlog})
        self._server: _HTTPServer = server_class((host, port), _Handler)
        self._server.owner = self
        self.requests: list[Seen] = []
        self.static: dict[str, _Static] = {}
        self.closing = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    # -- life ----------------------------------------------------------------------------------
    def start(self) -> FaultServer:
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )
        self._thread.start()
        return self

    def close(self) -> None:
        self.closing.set()  # endless and dripping answers stop
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FaultServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- addresses -----------------------------------------------------------------------------
    @property
    def host(self) -> str:
        return str(self._server.server_address[0])

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def base(self) -> str:
        return f"http://{self.host}:{self.port}"

    def url(self, path: str, **query: str | int | float | list[str]) -> str:
        """The URL of `path` here, with query parameters (a list repeats its key)."""
        pairs = [
            (k, str(v))
            for k, values in query.items()
            for v in (values if isinstance(values, list) else [values])
        ]
        return f"{self.base}{path}" + (f"?{urlencode(pairs)}" if pairs else "")

    # -- set-up and findings -------------------------------------------------------------------
    def serve(self, path: str, body: bytes | str, status: int = 200, **headers: str) -> str:
        """Answer `path` with this body, status and headers (`Content_Type` → Content-Type)."""
        data = body.encode() if isinstance(body, str) else body
        named = {k.replace("_", "-"): v for k, v in headers.items()}
        self.static[path] = _Static(data, status, named)
        return self.url(path)

    def seen(self, prefix: str = "/") -> list[Seen]:
        """The requests whose path starts with `prefix`, in arrival order."""
        with self._lock:
            return [r for r in self.requests if r.path.startswith(prefix)]

    def max_in_flight(self, prefix: str = "/") -> int:
        """The most requests under `prefix` that were being answered at the same time."""
        return most_at_once(self.seen(prefix))

    def _record(self, seen: Seen) -> None:
        with self._lock:
            self.requests.append(seen)


def most_at_once(requests: list[Seen]) -> int:
    """The most of these requests (from one server or several) that overlapped in time."""
    now = time.monotonic()
    events = [(r.started, 1) for r in requests]
    events += [(r.finished if r.finished is not None else now, -1) for r in requests]
    most = current = 0
    for _, change in sorted(events):  # at equal times an end (-1) sorts before a start
        current += change
        most = max(most, current)
    return most


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    owner: FaultServer

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # clients that hang up (TLS probes, timeouts) are the point, not a problem


class _Handler(BaseHTTPRequestHandler):
    server: _HTTPServer
    protocol_version = "HTTP/1.1"
    server_version = "faultserver/1"

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        owner = self.server.owner
        parts = urlsplit(self.path)
        headers = {k.lower(): v for k, v in self.headers.items()}
        seen = Seen(self.command, self.path, headers, time.monotonic())
        owner._record(seen)
        self.query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        self.extra = [h.split(":", 1) for h in parse_qs(parts.query).get("h", []) if ":" in h]
        try:
            if (delay := float(self.query.get("delay", 0))) > 0:
                owner.closing.wait(delay)
            self._route(parts.path)
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            self.close_connection = True  # the client gave up: fine
        finally:
            seen.finished = time.monotonic()

    # -- routing -------------------------------------------------------------------------------
    def _route(self, path: str) -> None:
        owner = self.server.owner
        static = owner.static.get(path)
        if static is not None:
            return self._send(static.status, static.body, static.headers)
        first, _, rest = path.lstrip("/").partition("/")
        handler = {
            "feed.xml": self._feed,
            "conditional.xml": self._conditional,
            "status": self._status,
            "redirect": self._redirect,
            "hops": self._hops,
            "loop": self._loop,
            "encoded": self._encoded,
            "bomb": self._bomb,
            "drip": self._drip,
            "endless": self._endless,
            "truncated": self._truncated,
            "charset": self._charset,
        }.get(first)
        if handler is None:
            return self._send(404, b"not here\n", {"Content-Type": "text/plain"})
        return handler(rest)

    def _feed(self, _: str) -> None:
        self._send(200, make_feed(int(self.query.get("items", 3))).encode())

    def _conditional(self, _: str) -> None:
        validators = {"ETag": FEED_ETAG, "Last-Modified": FEED_LAST_MODIFIED}
        if self._not_modified():
            return self._send(304, b"", validators)
        return self._send(200, FEED, validators)

    def _not_modified(self) -> bool:
        tags = self.headers.get("If-None-Match")
        if tags is not None:
            return any(t.strip().removeprefix("W/") in (FEED_ETAG, "*") for t in tags.split(","))
        since = self.headers.get("If-Modified-Since")
        try:
            return since is not None and parsedate_to_datetime(since).timestamp() >= FEED_MTIME
        except (TypeError, ValueError):
            return False

    def _status(self, rest: str) -> None:
        code = int(rest.split("/")[0])
        headers = {"Content-Type": "text/plain"}
        if "retry_after" in self.query:
            headers["Retry-After"] = self.query["retry_after"]
        self._send(code, f"status {code}\n".encode(), headers)

    def _redirect(self, rest: str) -> None:
        self._send(int(rest), b"", {"Location": self.query.get("to", "/feed.xml")})

    def _hops(self, rest: str) -> None:
        codes = [c for c in rest.split(",") if c]
        if not codes:
            return self._send(200, FEED)
        remaining = ",".join(codes[1:])
        form = self.query.get("form", "path")
        suffix = f"?form={form}" if form != "path" else ""
        location = {
            "path": f"/hops/{remaining}",
            "relative": (remaining or "./") + suffix,
            "absolute": f"{self.server.owner.base}/hops/{remaining}{suffix}",
        }[form]
        return self._send(int(codes[0]), b"", {"Location": location})

    def _loop(self, rest: str) -> None:
        code, size, at = (int(p) for p in rest.split("/"))
        self._send(code, b"", {"Location": f"/loop/{code}/{size}/{(at + 1) % size}"})

    def _encoded(self, rest: str) -> None:
        body = FEED
        for name in rest.split(","):
            body = encode(body, name)
        sent = ", ".join("deflate" if n == "raw-deflate" else n for n in rest.split(","))
        self._send(200, body, {"Content-Encoding": sent})

    def _bomb(self, rest: str) -> None:
        body = cached_bomb(rest, int(self.query.get("mb", 64)))
        self._send(200, body, {"Content-Encoding": rest})

    def _drip(self, _: str) -> None:
        interval = float(self.query.get("interval", 1.0))
        count = int(self.query["bytes"]) if "bytes" in self.query else None
        self._start(200, {"Connection": "close"})  # no length: the body ends when we close
        self.wfile.write(feed_head().encode())
        self.wfile.flush()
        sent = 0
        while (count is None or sent < count) and not self.server.owner.closing.wait(interval):
            self.wfile.write(b" ")
            self.wfile.flush()
            sent += 1
        self.close_connection = True

    def _endless(self, _: str) -> None:
        self._start(200, {"Transfer-Encoding": "chunked"})
        block = "".join(feed_item(n) for n in range(50)).encode()
        chunk = f"{len(block):x}\r\n".encode() + block + b"\r\n"
        head = feed_head().encode()
        self.wfile.write(f"{len(head):x}\r\n".encode() + head + b"\r\n")
        while not self.server.owner.closing.is_set():
            self.wfile.write(chunk)

    def _truncated(self, _: str) -> None:
        claim = int(self.query.get("claim", 2 * len(FEED)))
        self._start(200, {"Content-Length": str(claim)})
        self.wfile.write(FEED[: len(FEED) // 2])
        self.wfile.flush()
        self.close_connection = True

    def _charset(self, _: str) -> None:
        actual = self.query.get("actual", "gb18030")
        declared = self.query.get("declared", "utf-8")
        body = make_feed(encoding=self.query.get("xml")).encode(actual)
        self._send(200, body, {"Content-Type": f"application/rss+xml; charset={declared}"})

    # -- writing -------------------------------------------------------------------------------
    def _start(self, status: int, headers: dict[str, str]) -> None:
        self.send_response(status)
        merged = {"Content-Type": "application/rss+xml; charset=utf-8", **headers}
        for name, value in [*merged.items(), *self.extra]:
            self.send_header(name.strip(), value.strip())
        self.end_headers()

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        no_body = status == 304 or 100 <= status < 200 or status == 204
        sized = {**(headers or {})}
        if not no_body:
            sized["Content-Length"] = str(len(body))
        self._start(status, sized)
        if not no_body:
            self.wfile.write(body)


_bombs: dict[tuple[str, int], bytes] = {}
_bombs_lock = threading.Lock()


def cached_bomb(encoding: str, mib: int) -> bytes:
    """`bomb(encoding, mib)`, made once per process (call it ahead to keep its cost out of a
    measurement)."""
    with _bombs_lock:
        if (encoding, mib) not in _bombs:
            _bombs[encoding, mib] = bomb(encoding, mib)
        return _bombs[encoding, mib]


class RawServer:
    """A TCP listener that sends `payload` to every connection, then closes it: garbage where
    a client expects a TLS handshake or an HTTP status line."""

    def __init__(self, payload: bytes = b"\x15\x03\x01\x00\x02garbage, not TLS\r\n") -> None:
        self.payload = payload
        self._listener = socket.create_server(("127.0.0.1", 0), backlog=64)
        self._listener.settimeout(0.2)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def port(self) -> int:
        return int(self._listener.getsockname()[1])

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except (TimeoutError, OSError):
                continue
            with contextlib.suppress(OSError), conn:
                conn.settimeout(1.0)
                with contextlib.suppress(OSError):
                    conn.recv(4096)  # let the client speak first, as a server would
                conn.sendall(self.payload)

    def __enter__(self) -> RawServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(2)
        self._listener.close()


def unused_port() -> int:
    """A loopback port that nothing listens on (for a moment): connecting is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def unresponsive_port() -> Iterator[int]:
    """A loopback port whose listen queue is full and never drained: a new connection is neither
    accepted nor refused, so connecting times out."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = int(listener.getsockname()[1])
    fillers = []
    try:
        for _ in range(2):  # Linux queues backlog + 1 connections; fill them
            filler = socket.socket()
            filler.setblocking(False)
            with contextlib.suppress(BlockingIOError, OSError):
                filler.connect(("127.0.0.1", port))
            fillers.append(filler)
        time.sleep(0.05)
        yield port
    finally:
        for filler in fillers:
            filler.close()
        listener.close()
