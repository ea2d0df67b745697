"""Shared fixtures: a loopback feed server, mirrors in temporary folders, the shared corpus."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# Property tests draw the same examples on every run, so that the suite passes or fails the
# same way everywhere; `HYPOTHESIS_PROFILE=explore` draws fresh ones to look for new failures.
settings.register_profile(
    "repeatable",
    derandomize=True,
    deadline=None,  # shared CI machines are slow at times; hangs are caught where it matters
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))

REPO = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SHARED = Path(os.environ.get("NEWSMIRROR_SHARED", REPO.parent / "shared"))


def shared_path(*parts: str) -> Path:
    """A path in the shared test data, or a skip when this checkout has none."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared test data not present: {path}")
    return path


_real_getaddrinfo = socket.getaddrinfo


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test may reach beyond this machine: name look-ups of other hosts fail at once."""

    def guarded(host, *args, **kwargs):  # type: ignore[no-untyped-def]
        if host not in ("127.0.0.1", "localhost", "::1", None):
            raise socket.gaierror(socket.EAI_NONAME, f"tests stay on loopback: {host}")
        return _real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", guarded)


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    # Answer 304 to a request whose If-None-Match is this route's ETag, as real servers do.
    conditional: bool = False
    # Answer 403 unless the request's Referer starts with this (as image hosts do).
    referer: str | None = None
    # Send this many bytes of the body, then hang (a server that dies half-way).
    stall_after: int | None = None
    # The status of a HEAD request, when not the route's (405: a server without HEAD).
    head_status: int | None = None


@dataclass
class FeedServer:
    """A loopback HTTP server whose answers the test sets per path."""

    base: str
    routes: dict[str, Route]
    requests: list[tuple[str, dict[str, str]]]

    def url(self, path: str) -> str:
        return f"{self.base}{path}"

    def serve(
        self,
        path: str,
        body: bytes | str,
        status: int = 200,
        conditional: bool = False,
        referer: str | None = None,
        stall_after: int | None = None,
        head_status: int | None = None,
        **headers: str,
    ) -> str:
        data = body.encode() if isinstance(body, str) else body
        self.routes[path] = Route(
            data,
            status,
            {k.replace("_", "-"): v for k, v in headers.items()},
            conditional,
            referer,
            stall_after,
            head_status,
        )
        return self.url(path)

    def asked(self, path: str) -> int:
        """How many requests this path got."""
        return sum(1 for asked, _ in self.requests if asked == path)


class _Handler(BaseHTTPRequestHandler):
    server_version = "feedserver/1"

    def do_HEAD(self) -> None:
        server: _Server = self.server  # type: ignore[assignment]
        route = server.routes.get(self.path)
        if route is not None and route.head_status:
            server.requests.append((self.path, {":method": "HEAD"}))
            self.send_response(route.head_status)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.do_GET()

    def do_GET(self) -> None:
        server: _Server = self.server  # type: ignore[assignment]
        asked = {k.lower(): v for k, v in self.headers.items()}
        server.requests.append((self.path, {**asked, ":method": self.command}))
        route = server.routes.get(self.path)
        if route is None:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if route.referer is not None and not self.headers.get("Referer", "").startswith(
            route.referer
        ):
            self.send_response(403)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        etag = route.headers.get("ETag")
        if route.conditional and etag and self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            return
        self.send_response(route.status)
        headers = {"Content-Type": "application/rss+xml; charset=utf-8", **route.headers}
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(route.body)))
        self.end_headers()
        if self.command == "HEAD":
            return
        if route.stall_after is not None:
            self.wfile.write(route.body[: route.stall_after])
            self.wfile.flush()
            time.sleep(60)
            return
        self.wfile.write(route.body)

    def log_message(self, *args: object) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256
    routes: dict[str, Route]
    requests: list[tuple[str, dict[str, str]]]


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    server = _Server(("127.0.0.1", 0), _Handler)
    server.routes, server.requests = {}, []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    try:
        yield FeedServer(f"http://{host}:{port}", server.routes, server.requests)
    finally:
        server.shutdown()
        server.server_close()


def write_config(root: Path, sites: list[dict[str, str]], **mirror: object) -> None:
    # ... nor any article's link checked (tests of rechecks link to the loopback server).
    mirror = {"recheck_per_pass": 0, **mirror}
    lines = ["[mirror]"] + [f"{k} = {_site_value(v)}" for k, v in mirror.items()]
    for site in sites:
        # Test feeds link to example.org: no article page is read unless a test asks for it.
        site = {"fulltext": False, **site} if "url" in site else site
        lines.append("[[site]]")
        lines += [f"{k} = {_site_value(v)}" for k, v in site.items()]
    root.mkdir(parents=True, exist_ok=True)
    (root / "newsmirror.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _site_value(value: object) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return json.dumps(list(value), ensure_ascii=False)
    return str(value)


def git(root: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@t",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@t",
    }
    return subprocess.run(
        ["git", "-C", str(root), *args], capture_output=True, text=True, check=True, env=env
    ).stdout


def git_mirror(root: Path) -> None:
    """Make the mirror at `root` a git repository whose first commit holds its configuration,
    so that a clean `git status` afterwards means every page newsmirror wrote is committed."""
    git(root, "init", "-q")
    git(root, "add", "newsmirror.toml")
    git(root, "commit", "-qm", "config")


def rss(*items: str, extra_ns: str = "") -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"{extra_ns}>'
        "<channel><title>t</title><link>https://example.org/</link><description>d</description>\n"
        + "\n".join(items)
        + "\n</channel></rss>\n"
    )


def rss_item(
    n: int | str,
    title: str | None = None,
    date: str = "Mon, 05 Jul 2021 22:59:02 GMT",
    link: str | None = None,
    guid: str | None = None,
    body: str = "<p>正文</p>",
) -> str:
    link = link if link is not None else f"https://example.org/a/{n}.html"
    guid = guid if guid is not None else f"guid-{n}"
    title = title if title is not None else f"标题 {n}"
    return (
        f"<item><title>{title}</title><link>{link}</link><guid>{guid}</guid>"
        f"<pubDate>{date}</pubDate><content:encoded><![CDATA[{body}]]></content:encoded></item>"
    )
