"""Fetch every source of a pass concurrently; a failure becomes a value, never an exception.

Each result is handed to a callback as soon as it arrives, so archiving one source never waits
for a slow other one.
"""

from __future__ import annotations

import asyncio
import os
import socket
import ssl
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

import httpx

from newsmirror import __version__
from newsmirror.records import Fetched

USER_AGENT = f"newsmirror/{__version__} (feed mirror; +https://pypi.org/project/newsmirror/)"
ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9,"
    " application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
)
MAX_REDIRECTS = 10


@dataclass(frozen=True, slots=True)
class Request:
    slug: str
    url: str
    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True, slots=True)
class FetchPolicy:
    concurrency: int = 32
    timeout: float = 30.0
    max_bytes: int = 64 * 1024 * 1024


def fetch_all(
    requests: Sequence[Request], policy: FetchPolicy, on_result: Callable[[Fetched], None]
) -> None:
    """Fetch all requests (at most `policy.concurrency` at once), calling `on_result` for each."""
    asyncio.run(_fetch_all(requests, policy, on_result))


async def _fetch_all(
    requests: Sequence[Request], policy: FetchPolicy, on_result: Callable[[Fetched], None]
) -> None:
    gate = asyncio.Semaphore(policy.concurrency)
    limits = httpx.Limits(max_connections=policy.concurrency, max_keepalive_connections=8)
    timeout = httpx.Timeout(policy.timeout, connect=min(10.0, policy.timeout))
    async with httpx.AsyncClient(
        headers={"User-Agent": USER_AGENT, "Accept": ACCEPT},
        timeout=timeout,
        limits=limits,
        follow_redirects=True,
        max_redirects=MAX_REDIRECTS,
    ) as client:

        async def one(request: Request) -> None:
            async with gate:
                result = await fetch_one(client, request, policy)
            on_result(result)

        await asyncio.gather(*(one(r) for r in requests))


async def fetch_one(client: httpx.AsyncClient, request: Request, policy: FetchPolicy) -> Fetched:
    started = time.time()
    if request.url.startswith("file:"):
        return _read_file(request, policy, started)
    try:
        return await asyncio.wait_for(_get(client, request, policy, started), policy.timeout)
    except TimeoutError:
        return _failure(request, started, "timeout", f"no answer within {policy.timeout:g} s")
    except httpx.TimeoutException as exc:
        return _failure(request, started, "timeout", f"timed out: {exc!r}")
    except httpx.TooManyRedirects:
        return _failure(request, started, "redirects", f"more than {MAX_REDIRECTS} redirects")
    except httpx.ConnectError as exc:
        return _failure(request, started, _connect_kind(exc), f"cannot connect: {exc}")
    except httpx.HTTPError as exc:
        return _failure(request, started, "network", f"{type(exc).__name__}: {exc}")
    except _TooLarge as exc:
        return _failure(request, started, "too_large", str(exc))


class _TooLarge(Exception):
    pass


async def _get(
    client: httpx.AsyncClient, request: Request, policy: FetchPolicy, started: float
) -> Fetched:
    headers = {}
    if request.etag:
        headers["If-None-Match"] = request.etag
    if request.last_modified:
        headers["If-Modified-Since"] = request.last_modified
    async with client.stream("GET", request.url, headers=headers) as response:
        if response.status_code == 304:
            return _answer(request, response, started, None, not_modified=True)
        if response.status_code >= 400:
            return _failure(
                request,
                started,
                "http",
                f"HTTP {response.status_code} {response.reason_phrase}",
                status=response.status_code,
            )
        body = await _read_limited(response, policy.max_bytes)
        return _answer(request, response, started, body)


async def _read_limited(response: httpx.Response, max_bytes: int) -> bytes:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise _TooLarge(f"body of {declared} bytes is over the limit of {max_bytes}")
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > max_bytes:
            raise _TooLarge(f"body is over the limit of {max_bytes} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _answer(
    request: Request,
    response: httpx.Response,
    started: float,
    body: bytes | None,
    not_modified: bool = False,
) -> Fetched:
    return Fetched(
        slug=request.slug,
        url=request.url,
        body=body,
        status=response.status_code,
        content_type=response.headers.get("content-type", ""),
        etag=response.headers.get("etag"),
        last_modified=response.headers.get("last-modified"),
        not_modified=not_modified,
        started_ms=int(started * 1000),
        elapsed_ms=int((time.time() - started) * 1000),
    )


def _failure(request: Request, started: float, kind: str, message: str, status: int = 0) -> Fetched:
    return Fetched(
        slug=request.slug,
        url=request.url,
        status=status,
        error_kind=kind,
        error=message,
        started_ms=int(started * 1000),
        elapsed_ms=int((time.time() - started) * 1000),
    )


def _connect_kind(exc: BaseException) -> str:
    """dns, tls, refused or connect: from the OS error at the bottom of httpx's chain."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, socket.gaierror):
            return "dns"
        if isinstance(seen, ssl.SSLError):
            return "tls"
        if isinstance(seen, ConnectionRefusedError):
            return "refused"
        seen = seen.__cause__ or seen.__context__
    text = str(exc).lower()
    if "name or service" in text or "getaddrinfo" in text or "nodename" in text:
        return "dns"
    if "ssl" in text or "certificate" in text:
        return "tls"
    return "refused" if "refused" in text else "connect"


def _read_file(request: Request, policy: FetchPolicy, started: float) -> Fetched:
    path = unquote(urlsplit(request.url).path)
    try:
        size = os.path.getsize(path)
        if size > policy.max_bytes:
            return _failure(request, started, "too_large", f"{size} bytes is over the limit")
        with open(path, "rb") as handle:
            body = handle.read()
    except OSError as exc:
        return _failure(request, started, "file", f"cannot read {path}: {exc.strerror}")
    return Fetched(
        slug=request.slug,
        url=request.url,
        body=body,
        status=200,
        started_ms=int(started * 1000),
        elapsed_ms=int((time.time() - started) * 1000),
    )
