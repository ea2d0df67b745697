"""What a pass needs from storage, as small interfaces: any backend that provides them (SQLite
today, `store.sqlite`; PostgreSQL for a mirror that outgrows one machine) runs the same pass
and passes the same contract tests (`tests/contract_store.py`).

The archive files are the record; a store is derived from them (`store.rebuild`) except for
source state, the journal and work owed, which no file holds.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from typing import Protocol

from newsmirror.records import (
    ArchivedArticle,
    Asset,
    Enrichment,
    FetchRecord,
    Known,
    ListEntry,
    RenderedEntry,
    SourceOutcome,
    SourceState,
)

FETCH_HISTORY = 50  # fetches of a source a store keeps (the newest): for `status`, not a log


class SourceStore(Protocol):
    """Each source's state between passes, and the history of its fetches."""

    def source(self, slug: str) -> SourceState | None: ...

    def put_source(self, state: SourceState) -> None: ...

    def forget_validators(self, slugs: Iterable[str] | None) -> None:
        """Make these sources' (all, for None) next fetch a full one."""

    def log_fetch(self, outcome: SourceOutcome, now_ms: int) -> None:
        """Keep this fetch in the source's history (the newest `FETCH_HISTORY` are kept)."""

    def fetch_history(self, slug: str, limit: int) -> list[FetchRecord]:
        """The newest fetches of a source, newest first."""


class ArticleStore(Protocol):
    """Archived articles: identity lookups, placement and what list pages show."""

    def add_articles(self, articles: Iterable[ArchivedArticle]) -> None: ...

    def remove_paths(self, paths: Iterable[str]) -> None: ...

    def known(self, site: str, key_hashes: Sequence[str], link_keys: Sequence[str]) -> Known: ...

    def paths_of_known(
        self, site: str, key_hashes: Sequence[str], link_keys: Sequence[str]
    ) -> set[str]: ...

    def taken_paths(self, paths: Sequence[str]) -> set[str]: ...

    def lowest_flat_id(self, site: str) -> int | None: ...

    def all_paths(self) -> set[str]: ...

    def sites_of(self, paths: Sequence[str]) -> set[str]: ...

    def sites_with_articles(self) -> set[str]: ...

    def newest(self, site: str, limit: int) -> list[ListEntry]: ...

    def between(self, site: str, start_ms: int, end_ms: int) -> list[ListEntry]:
        """A site's articles published in [start_ms, end_ms), newest first."""

    def months(self, site: str, offset_minutes: int) -> list[tuple[str, int]]:
        """("YYYY-MM", articles) of every month a site has articles in, oldest first, months
        counted in the zone `offset_minutes` east of UTC."""

    def days(self, offset_minutes: int) -> list[tuple[str, int]]:
        """("YYYY-MM-DD", articles of every site) of every day with articles, oldest first."""

    def site_summary(self, site: str) -> tuple[int, int | None]:
        """(number of articles, newest publication time) of a site."""


class WorkStore(Protocol):
    """What a pass still owes: the journal of articles being written, and work left to do
    (lists to rewrite, paths to commit) after a pass was interrupted."""

    def add_pending(self, articles: Sequence[ArchivedArticle]) -> None:
        """Journal articles about to be written, durably before any of their files exist."""

    def pending(self) -> list[ArchivedArticle]: ...

    def clear_pending(self) -> None: ...

    def add_todo(self, kind: str, items: Iterable[str]) -> None: ...

    def todo(self, kind: str) -> list[str]: ...

    def clear_todo(self, kind: str, items: Iterable[str]) -> None: ...


class EnrichStore(Protocol):
    """Work owed on archived articles (their pages to read, their pictures to mirror), and the
    pictures stored so far, by the URL they came from."""

    def put_enrichments(self, items: Iterable[Enrichment]) -> None: ...

    def enrichment(self, path: str) -> Enrichment | None: ...

    def enrichments_due(self, now_ms: int, limit: int) -> list[Enrichment]:
        """Owed work with `next_ms <= now_ms`, the longest waiting first."""

    def enrichment_counts(self) -> dict[str, int]:
        """{"owed": ..., "page": ..., "failed": ...}: articles with work owed, with a body from
        their page, with work given up."""

    def assets_for(self, urls: Sequence[str]) -> dict[str, Asset]: ...

    def put_asset(self, asset: Asset) -> None: ...


class RenderStore(Protocol):
    """Feed entries rendered in an earlier pass, so that a pass renders only its new ones.
    A cache: losing it costs time, never content."""

    def feed_entries(self, paths: Sequence[str]) -> dict[str, RenderedEntry]:
        """The cached entries of these paths (paths with none are left out)."""

    def put_feed_entries(self, entries: Sequence[RenderedEntry]) -> None: ...

    def keep_feed_entries(self, paths: Iterable[str]) -> None:
        """Drop every cached entry but these paths'."""


class MetaStore(Protocol):
    """Small facts about the store itself: the commit it was made for, its completeness."""

    def get_meta(self, key: str) -> str | None: ...

    def set_meta(self, key: str, value: str) -> None: ...

    def set_meta_durably(self, key: str, value: str) -> None: ...


class Store(SourceStore, ArticleStore, WorkStore, EnrichStore, RenderStore, MetaStore, Protocol):
    """Everything a pass needs, with its lifecycle. Changes made inside `transaction()` are
    applied together or not at all; outside one, each call stands alone."""

    def transaction(self) -> AbstractContextManager[None]: ...

    def is_current(self) -> bool:
        """True when a full rebuild once completed for this store's current schema."""

    def reset(self) -> None:
        """Forget every article, the journal and the lists and commits owed (the start of a
        rebuild); keep source state, enrichment and stored pictures, which no file holds."""

    def close(self) -> None: ...

    def __enter__(self) -> Store: ...

    def __exit__(self, *exc: object) -> None: ...
