"""Following redirects ourselves: a pure record of the chain, so that the limits (hops, loops,
schemes) and the "has this feed moved for good?" answer are decided in one tested place."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urldefrag, urljoin, urlsplit

MAX_REDIRECTS = 10
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
PERMANENT_STATUSES = frozenset({301, 308})
FOLLOWED_SCHEMES = ("http", "https")


class RedirectRefused(Exception):
    """A redirect that is not followed; the message says why."""


@dataclass(frozen=True, slots=True)
class Chain:
    """The URLs asked for so far (the request's own first) and whether every hop was
    permanent."""

    urls: tuple[str, ...]
    permanent: bool = True

    @property
    def url(self) -> str:
        return self.urls[-1]

    @property
    def hops(self) -> int:
        return len(self.urls) - 1

    @property
    def moved_to(self) -> str | None:
        """Where the feed now lives, when every hop said so for good (301/308 only)."""
        return self.url if self.hops and self.permanent else None

    def follow(self, status: int, location: str | None, limit: int = MAX_REDIRECTS) -> Chain:
        """The chain after one more hop, or RedirectRefused."""
        if not location or not location.strip():
            raise RedirectRefused(f"HTTP {status} redirect without a Location header")
        target = urldefrag(urljoin(self.url, location.strip())).url
        parts = urlsplit(target)
        scheme = parts.scheme.lower()
        if scheme not in FOLLOWED_SCHEMES:
            raise RedirectRefused(
                f"redirect to a {scheme or 'scheme-less'} URL refused "
                f"(only http and https are followed): {_short(target)}"
            )
        if not parts.hostname:
            raise RedirectRefused(f"redirect to a URL without a host: {_short(target)}")
        if target in self.urls:
            loop = (*self.urls[self.urls.index(target) :], target)
            raise RedirectRefused("redirect loop: " + " -> ".join(_short(u) for u in loop))
        if self.hops >= limit:
            raise RedirectRefused(f"more than {limit} redirects (last to {_short(target)})")
        return Chain((*self.urls, target), self.permanent and status in PERMANENT_STATUSES)


def _short(url: str, limit: int = 200) -> str:
    return url if len(url) <= limit else url[: limit - 3] + "..."
