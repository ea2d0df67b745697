"""Politeness per host: at most `per_host` requests to one host (name and port) at once.

Requests wait in one queue per host, and a worker asks for the next request whose host has
room. So a worker never sits on a busy host while another host's requests wait: it only waits
when every waiting request belongs to a host that is already at its limit.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterable
from typing import Generic, TypeVar
from urllib.parse import urlsplit

T = TypeVar("T")
_DEFAULT_PORTS = {"http": 80, "https": 443}


def host_key(url: str) -> str:
    """The host a URL's request goes to, as `name:port` lower-cased, the port made explicit so
    that `http://a/` and `http://A:80/` are one host. A file URL is its own host: reading
    files needs no politeness."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        return url
    try:
        port = parts.port or _DEFAULT_PORTS[scheme]
    except ValueError:  # a port that is not a number: the request will fail on its own
        return f"{parts.netloc.lower()}"
    return f"{(parts.hostname or '').lower()}:{port}"


class HostQueues(Generic[T]):
    """Items waiting per host, handed out in their original order as far as the per-host limit
    allows. Thread-safe: workers call `take()` and, when done with an item, `done(item)`."""

    def __init__(
        self,
        items: Iterable[T],
        key: Callable[[T], str],
        per_host: int,
        limit_for: Callable[[str], int] | None = None,
    ) -> None:
        self._key = key
        self._default = max(1, per_host)
        self._limit_for = limit_for
        self._limits: dict[str, int] = {}
        self._waiting: dict[str, deque[tuple[int, T]]] = {}  # (original position, item)
        self._busy: dict[str, int] = {}
        for position, item in enumerate(items):
            self._waiting.setdefault(key(item), deque()).append((position, item))
        self._changed = threading.Condition()

    def take(self) -> T | None:
        """The next item whose host has room, waiting while every host with items waiting is
        at its limit; None once no item is waiting (or after `cancel`)."""
        with self._changed:
            while self._waiting:
                item = self._next_ready()
                if item is not None:
                    return item
                self._changed.wait()
            return None

    def _next_ready(self) -> T | None:
        """The earliest waiting item among hosts with room."""
        ready = [h for h in self._waiting if self._busy.get(h, 0) < self._limit(h)]
        if not ready:
            return None
        host = min(ready, key=lambda h: self._waiting[h][0][0])
        queue = self._waiting[host]
        _, item = queue.popleft()
        if not queue:
            del self._waiting[host]
        self._busy[host] = self._busy.get(host, 0) + 1
        return item

    def _limit(self, host: str) -> int:
        if self._limit_for is None:
            return self._default
        if host not in self._limits:
            self._limits[host] = max(1, self._limit_for(host))
        return self._limits[host]

    def done(self, item: T) -> None:
        with self._changed:
            host = self._key(item)
            self._busy[host] -= 1
            self._changed.notify_all()

    def cancel(self) -> list[T]:
        """Drop every waiting item (the ones being worked on finish); returns the dropped."""
        with self._changed:
            dropped = [item for queue in self._waiting.values() for _, item in queue]
            self._waiting.clear()
            self._changed.notify_all()
            return dropped
