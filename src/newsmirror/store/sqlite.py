"""The SQLite store (the index): every interface of `store.base` in one embedded database.

Derived from the archive files, never the record itself: it answers the hot questions (is this
item known? what are a site's newest articles?) without reading or listing the archive
folders, and keeps each source's state, its recent fetches, the journal and work owed. Its
schema is numbered (`PRAGMA user_version`) and brought up to date in place by `MIGRATIONS`, so
that source state, which no file holds, survives an upgrade.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import astuple, fields
from pathlib import Path

from newsmirror.records import (
    ArchivedArticle,
    Asset,
    Change,
    Enrichment,
    FetchRecord,
    Known,
    KnownArticle,
    ListEntry,
    RenderedEntry,
    SourceOutcome,
    SourceState,
    StoryState,
    Version,
)
from newsmirror.store.base import FETCH_HISTORY
from newsmirror.store.derived import open_derived
from newsmirror.store.layout import rank_of

SCHEMA_VERSION = 7
_CHUNK = 500  # keys per IN (...) query, well under SQLite's variable limit

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sources (
    slug TEXT PRIMARY KEY,
    url TEXT NOT NULL DEFAULT '',
    last_attempt_ms INTEGER,
    last_success_ms INTEGER,
    last_error_ms INTEGER,
    last_error_kind TEXT,
    last_error TEXT,
    failures INTEGER NOT NULL DEFAULT 0,
    etag TEXT,
    last_modified TEXT,
    body_hash TEXT,
    config_url TEXT,
    first_attempt_ms INTEGER,
    last_new_ms INTEGER,
    next_fetch_ms INTEGER,
    wait_reason TEXT,
    moved_from TEXT,
    moved_ms INTEGER
);
CREATE TABLE IF NOT EXISTS articles (
    path TEXT PRIMARY KEY,
    site TEXT NOT NULL,
    published_ms INTEGER NOT NULL,
    title TEXT NOT NULL,
    url TEXT NOT NULL,
    key_hash TEXT NOT NULL,
    link_key TEXT NOT NULL,
    flat_id INTEGER,
    rank INTEGER NOT NULL DEFAULT 0,
    variant_of TEXT
);
CREATE INDEX IF NOT EXISTS articles_by_time ON articles (site, published_ms, rank, path);
CREATE INDEX IF NOT EXISTS articles_by_key ON articles (site, key_hash);
CREATE INDEX IF NOT EXISTS articles_by_link ON articles (site, link_key);
CREATE INDEX IF NOT EXISTS articles_by_flat_id ON articles (site, flat_id)
    WHERE flat_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS pending (id INTEGER PRIMARY KEY, articles TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS todo (kind TEXT NOT NULL, item TEXT NOT NULL, PRIMARY KEY (kind, item));
CREATE TABLE IF NOT EXISTS fetches (
    id INTEGER PRIMARY KEY,
    site TEXT NOT NULL,
    started_ms INTEGER NOT NULL,
    elapsed_ms INTEGER NOT NULL,
    status INTEGER NOT NULL,
    outcome TEXT NOT NULL,
    error_kind TEXT,
    error TEXT,
    items INTEGER NOT NULL,
    new_items INTEGER NOT NULL,
    notes TEXT
);
CREATE TABLE IF NOT EXISTS enrichment (
    path TEXT PRIMARY KEY,
    site TEXT NOT NULL,
    url TEXT NOT NULL,
    page TEXT NOT NULL,
    images TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    next_ms INTEGER NOT NULL,
    error TEXT NOT NULL,
    body_from TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS enrichment_due ON enrichment (next_ms)
    WHERE page = 'owed' OR images = 'owed';
CREATE TABLE IF NOT EXISTS assets (
    url TEXT PRIMARY KEY,
    path TEXT NOT NULL,
    media_type TEXT NOT NULL,
    original_bytes INTEGER NOT NULL,
    stored_bytes INTEGER NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS counts (
    site TEXT NOT NULL,
    unit TEXT NOT NULL,
    period TEXT NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (site, unit, period)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS articles_by_variant ON articles (variant_of)
    WHERE variant_of IS NOT NULL;
CREATE TABLE IF NOT EXISTS story_state (
    path TEXT PRIMARY KEY,
    entry_hash TEXT,
    text_hash TEXT,
    fingerprint INTEGER,
    traditional INTEGER NOT NULL DEFAULT 0,
    text_chars INTEGER NOT NULL DEFAULT 0,
    archived_ms INTEGER,
    seen_ms INTEGER,
    checked_ms INTEGER,
    edited_ms INTEGER,
    variant_of TEXT,
    removed_ms INTEGER,
    removed_signal TEXT,
    removed_status INTEGER
);
CREATE INDEX IF NOT EXISTS story_state_by_seen ON story_state (seen_ms);
CREATE TABLE IF NOT EXISTS aliases (
    site TEXT NOT NULL,
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    path TEXT NOT NULL,
    PRIMARY KEY (site, kind, value)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS versions (
    path TEXT NOT NULL,
    n INTEGER NOT NULL,
    seen_ms INTEGER NOT NULL,
    replaced_ms INTEGER NOT NULL,
    changed TEXT NOT NULL,
    old_hash TEXT NOT NULL,
    new_hash TEXT NOT NULL,
    title TEXT NOT NULL,
    url TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (path, n)
);
CREATE TABLE IF NOT EXISTS changes (
    id INTEGER PRIMARY KEY,
    site TEXT NOT NULL,
    path TEXT NOT NULL,
    kind TEXT NOT NULL,
    ms INTEGER NOT NULL,
    title TEXT NOT NULL,
    old_title TEXT NOT NULL,
    changed TEXT NOT NULL,
    added INTEGER NOT NULL,
    deleted INTEGER NOT NULL,
    signal TEXT NOT NULL,
    status INTEGER
);
CREATE INDEX IF NOT EXISTS changes_by_site ON changes (site, ms);
CREATE TABLE IF NOT EXISTS feed_entries (
    path TEXT PRIMARY KEY,
    stamp TEXT NOT NULL,
    published_ms INTEGER NOT NULL,
    atom BLOB NOT NULL,
    json BLOB NOT NULL
);
"""

# Articles per site ('' for all sites) and day ('d', "YYYY-MM-DD") or month ('m', "YYYY-MM"),
# kept by triggers as articles come and go, so that month pages, indexes, digests and the README
# need not count 100,000 rows every pass. Periods are those of the zone whose shift (ms east of
# UTC) meta "count_shift_ms" holds; without it (a new or rebuilt index) nothing is kept, and the
# first question counts everything at once (`_counted_in`), as does a question about another zone.
_SHIFT = "(SELECT CAST(value AS INTEGER) FROM meta WHERE key='count_shift_ms')"
_COUNTING = "EXISTS (SELECT 1 FROM meta WHERE key='count_shift_ms')"


def _periods(ms: str) -> tuple[tuple[str, str], ...]:
    """SQL for the zone's day and month of a time in ms (whole seconds by floor division, so
    that times before 1970 fall on the right day)."""
    shifted = f"(({ms}) + {_SHIFT})"
    seconds = f"(({shifted} - ({shifted} % 1000 + 1000) % 1000) / 1000)"
    return (
        ("d", f"strftime('%Y-%m-%d', {seconds}, 'unixepoch')"),
        ("m", f"strftime('%Y-%m', {seconds}, 'unixepoch')"),
    )


def _count(row: str, step: int) -> str:
    """SQL that counts one article (`row` NEW or OLD) in (step 1) or out (step -1) of its
    site's and of all sites' day and month; a copy in another script (a variant) is not
    counted: a story counts once."""
    statements = []
    story = f"{row}.variant_of IS NULL"
    for site in (f"{row}.site", "''"):
        for unit, period in _periods(f"{row}.published_ms"):
            if step > 0:
                statements.append(
                    f"INSERT INTO counts (site, unit, period, n) SELECT {site}, '{unit}',"
                    f" {period}, 1 WHERE {story}"
                    " ON CONFLICT (site, unit, period) DO UPDATE SET n = n + 1;"
                )
            else:
                where = f"site = {site} AND unit = '{unit}' AND period = {period} AND {story}"
                statements.append(f"UPDATE counts SET n = n - 1 WHERE {where};")
                statements.append(f"DELETE FROM counts WHERE {where} AND n <= 0;")
    return " ".join(statements)


def _trigger(name: str, event: str, body: str) -> str:
    return (
        f"CREATE TRIGGER IF NOT EXISTS {name} AFTER {event} ON articles WHEN {_COUNTING}"
        f" BEGIN {body} END"
    )


_TRIGGERS = (
    _trigger("count_added", "INSERT", _count("NEW", 1)),
    _trigger("count_removed", "DELETE", _count("OLD", -1)),
    _trigger(
        "count_moved",
        "UPDATE OF site, published_ms, variant_of",
        _count("OLD", -1) + _count("NEW", 1),
    ),
)


# Columns version 2 added to `sources`: a version 1 index gains them in place, so that fetch
# state (validators, failure counts), which no archive file holds, survives the upgrade.
_SOURCE_COLUMNS_V2 = (
    "config_url TEXT",
    "first_attempt_ms INTEGER",
    "last_new_ms INTEGER",
    "next_fetch_ms INTEGER",
    "wait_reason TEXT",
    "moved_from TEXT",
    "moved_ms INTEGER",
)
# What no archive file holds, kept when the articles are rebuilt from the files: each source's
# state and fetches, the work owed on articles (and where their bodies came from), and which
# picture URL each stored asset was downloaded from.
# Story state, versions, aliases and changes are also kept by `history/` in the mirror, and
# read back from it by a rebuild (`store.rebuild`); keeping them here spares that.
_KEPT_ON_RESET = frozenset(
    {"sources", "fetches", "enrichment", "assets", "story_state", "aliases", "versions", "changes"}
)
_RENDERED_FIELDS = ", ".join(f.name for f in fields(RenderedEntry))
_ENRICHMENT_FIELDS = ", ".join(f.name for f in fields(Enrichment))
_ASSET_FIELDS = ", ".join(f.name for f in fields(Asset))
_SOURCE_FIELDS = ", ".join(f.name for f in fields(SourceState))  # the columns, in its order
_ARTICLE_FIELDS = "path, site, published_ms, title, url, key_hash, link_key, flat_id, variant_of"
_STATE_FIELDS = ", ".join(f.name for f in fields(StoryState))
_VERSION_FIELDS = ", ".join(f.name for f in fields(Version))
_CHANGE_FIELDS = ", ".join(f.name for f in fields(Change))
_FETCH_FIELDS = (
    "started_ms, elapsed_ms, status, outcome, error_kind, error, items, new_items, notes"
)


class SqliteStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.db = open_derived(path, _prepare)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> SqliteStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- lifecycle ---------------------------------------------------------------------

    def is_current(self) -> bool:
        """True when the schema is ours and a full build of the index once completed."""
        try:
            version = self.db.execute("PRAGMA user_version").fetchone()[0]
            return version == SCHEMA_VERSION and self.get_meta("complete") == "1"
        except sqlite3.DatabaseError:
            return False

    def reset(self) -> None:
        """Forget every article (the start of a rebuild from the files); each source's fetch
        state, which no file holds, is kept when its schema is current."""
        with self.transaction():
            current = self.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
            keep = _KEPT_ON_RESET if current else set()
            for (name,) in self.db.execute(
                "SELECT name FROM sqlite_master WHERE type='table'"
            ).fetchall():
                if name not in keep:
                    self.db.execute(f'DROP TABLE IF EXISTS "{name}"')
            _create_schema(self.db)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def get_meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta_durably(self, key: str, value: str) -> None:
        """Set a value and make it durable now (one sync of the write-ahead log), where
        ordinary commits of a pass wait for the pass's one sync."""
        self.db.execute("PRAGMA synchronous=FULL")
        try:
            with self.transaction():
                self.set_meta(key, value)
        finally:
            self.db.execute("PRAGMA synchronous=NORMAL")

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    # --- articles ----------------------------------------------------------------------

    def add_articles(self, articles: Iterable[ArchivedArticle]) -> None:
        # (a row read again from its file keeps what no file says: which story it copies)
        updates = ", ".join(
            f"{name}=COALESCE(excluded.{name}, articles.{name})"
            if name == "variant_of"
            else f"{name}=excluded.{name}"
            for name in _ARTICLE_FIELDS.split(", ")
        )
        self.db.executemany(
            f"INSERT INTO articles ({_ARTICLE_FIELDS}, rank) VALUES ({', '.join('?' * 10)})"
            f" ON CONFLICT (path) DO UPDATE SET {updates}, rank=excluded.rank",
            ((*_article_row(a), rank_of(a.path)) for a in articles),
        )

    def remove_paths(self, paths: Iterable[str]) -> None:
        self.db.executemany("DELETE FROM articles WHERE path=?", ((p,) for p in paths))

    def sites_of(self, paths: Sequence[str]) -> set[str]:
        """The sites these indexed paths belong to (paths the index lacks are left out)."""
        return self._matching("SELECT DISTINCT site FROM articles WHERE path IN ({})", paths)

    def paths_of_known(
        self, site: str, key_hashes: Sequence[str], link_keys: Sequence[str]
    ) -> set[str]:
        """The archived paths of a site's articles that match these identities."""
        by_key = "SELECT path FROM articles WHERE site=? AND key_hash IN ({})"
        by_link = "SELECT path FROM articles WHERE site=? AND link_key IN ({})"
        links = [k for k in link_keys if k]
        return self._matching(by_key, key_hashes, site) | self._matching(by_link, links, site)

    def sites_with_articles(self) -> set[str]:
        if self.get_meta("count_shift_ms") is None:  # (not counted yet: ask the articles)
            return {row[0] for row in self.db.execute("SELECT DISTINCT site FROM articles")}
        rows = self.db.execute("SELECT DISTINCT site FROM counts WHERE site != ''")
        return {row[0] for row in rows}

    def known(self, site: str, key_hashes: Sequence[str], link_keys: Sequence[str]) -> Known:
        return Known(
            key_hashes=frozenset(self._present(site, "key_hash", key_hashes)),
            link_keys=frozenset(self._present(site, "link_key", [k for k in link_keys if k])),
        )

    def _present(self, site: str, column: str, values: Sequence[str]) -> set[str]:
        sql = f"SELECT {column} FROM articles WHERE site=? AND {column} IN ({{}})"
        return self._matching(sql, values, site)

    def taken_paths(self, paths: Sequence[str]) -> set[str]:
        return self._matching("SELECT path FROM articles WHERE path IN ({})", paths)

    def _matching(self, sql: str, values: Sequence[str], *before: object) -> set[str]:
        """The first column of `sql` (whose `{}` is an IN list) for all `values`, asked in
        chunks: SQLite limits the variables of one statement."""
        found: set[str] = set()
        for start in range(0, len(values), _CHUNK):
            chunk = values[start : start + _CHUNK]
            query = sql.format(",".join("?" * len(chunk)))
            found.update(row[0] for row in self.db.execute(query, (*before, *chunk)))
        return found

    def lowest_flat_id(self, site: str) -> int | None:
        row = self.db.execute(
            "SELECT MIN(flat_id) FROM articles WHERE site=? AND flat_id IS NOT NULL", (site,)
        ).fetchone()
        return row[0]

    def all_paths(self) -> set[str]:
        return {row[0] for row in self.db.execute("SELECT path FROM articles")}

    def newest(self, site: str, limit: int) -> list[ListEntry]:
        rows = self.db.execute(
            f"{_LISTED} WHERE a.site=? AND a.variant_of IS NULL"
            " ORDER BY a.published_ms DESC, a.rank DESC, a.path DESC LIMIT ?",
            (site, limit),
        )
        return [_entry(row) for row in rows]

    def between(self, site: str, start_ms: int, end_ms: int) -> list[ListEntry]:
        """A site's articles published in [start_ms, end_ms), newest first."""
        rows = self.db.execute(
            f"{_LISTED} WHERE a.site=? AND a.published_ms >= ? AND a.published_ms < ?"
            " AND a.variant_of IS NULL ORDER BY a.published_ms DESC, a.rank DESC, a.path DESC",
            (site, start_ms, end_ms),
        )
        return [_entry(row) for row in rows]

    def months(self, site: str, offset_minutes: int) -> list[tuple[str, int]]:
        """("YYYY-MM", articles) of every month a site has articles in, in a zone."""
        return self._periods_of(site, "m", offset_minutes)

    def days(self, offset_minutes: int) -> list[tuple[str, int]]:
        """("YYYY-MM-DD", articles of every site) of every day with articles, in a zone."""
        return self._periods_of("", "d", offset_minutes)

    def _periods_of(self, site: str, unit: str, offset_minutes: int) -> list[tuple[str, int]]:
        self._counted_in(offset_minutes)
        rows = self.db.execute(
            "SELECT period, n FROM counts WHERE site=? AND unit=? ORDER BY period", (site, unit)
        )
        return [(period, n) for period, n in rows]

    def _counted_in(self, offset_minutes: int) -> None:
        """Make the counts those of this zone: counted afresh when they are of another (or of
        none yet, after a rebuild)."""
        shift = str(offset_minutes * 60_000)
        if self.get_meta("count_shift_ms") == shift:
            return
        self.db.execute("SAVEPOINT recount")  # nests inside a pass's transaction, if any
        try:
            self.set_meta("count_shift_ms", shift)
            self.db.execute("DELETE FROM counts")
            for unit, period in _periods("published_ms"):
                for site in ("site", "''"):
                    self.db.execute(
                        f"INSERT INTO counts (site, unit, period, n) SELECT {site}, '{unit}',"
                        f" {period} AS p, COUNT(*) FROM articles WHERE variant_of IS NULL"
                        f" GROUP BY {site}, p"
                    )
        except BaseException:
            self.db.execute("ROLLBACK TO recount")
            self.db.execute("RELEASE recount")
            raise
        self.db.execute("RELEASE recount")

    def site_summary(self, site: str) -> tuple[int, int | None]:
        """(number of articles, newest publication time) of a site."""
        if self.get_meta("count_shift_ms") is None:  # (not counted yet: ask the articles)
            sql = "SELECT COUNT(*) FROM articles WHERE site=? AND variant_of IS NULL"
            args = (site,)
        else:  # (the month counts add up faster, whatever zone they are in)
            sql, args = "SELECT COALESCE(SUM(n), 0) FROM counts WHERE site=? AND unit='m'", (site,)
        (count,) = self.db.execute(sql, args).fetchone()
        (newest,) = self.db.execute(
            "SELECT MAX(published_ms) FROM articles WHERE site=?", (site,)
        ).fetchone()
        return count, newest

    # --- story history -----------------------------------------------------------------

    def identities(
        self, site: str, key_hashes: Sequence[str], link_keys: Sequence[str]
    ) -> dict[tuple[str, str], tuple[str, bool]]:
        """{("k", key hash) or ("l", link key): (path, named by an alias)} for the site's
        articles these identities name: their own first, then aliases (a re-issue's)."""
        found: dict[tuple[str, str], tuple[str, bool]] = {}
        links = [k for k in link_keys if k]
        for kind, values in (("k", key_hashes), ("l", links)):
            for start in range(0, len(values), _CHUNK):
                chunk = list(values[start : start + _CHUNK])
                marks = ",".join("?" * len(chunk))
                for value, path in self.db.execute(
                    "SELECT value, path FROM aliases"
                    f" WHERE site=? AND kind=? AND value IN ({marks})",
                    (site, kind, *chunk),
                ):
                    found[(kind, value)] = (path, True)
                column = "key_hash" if kind == "k" else "link_key"
                for value, path in self.db.execute(
                    f"SELECT {column}, path FROM articles WHERE site=? AND {column} IN ({marks})",
                    (site, *chunk),
                ):
                    found[(kind, value)] = (path, False)
        return found

    def paths_for_link(self, link_key: str) -> list[str]:
        """Every article (of any site) this canonical link names, itself or as an alias."""
        rows = self.db.execute(
            "SELECT path FROM articles WHERE link_key=?"
            " UNION SELECT path FROM aliases WHERE kind='l' AND value=? ORDER BY path",
            (link_key, link_key),
        )
        return [row[0] for row in rows]

    def known_paths(self, paths: Sequence[str]) -> list[KnownArticle]:
        """These paths' articles with their story state (a path not indexed is left out)."""
        sql = (
            f"SELECT {_qualified('a', _ARTICLE_FIELDS)}, {_qualified('s', _STATE_FIELDS)}"
            " FROM articles a LEFT JOIN story_state s ON s.path = a.path WHERE a.path IN ({})"
        )
        found = []
        for start in range(0, len(paths), _CHUNK):
            chunk = paths[start : start + _CHUNK]
            for row in self.db.execute(sql.format(",".join("?" * len(chunk))), chunk):
                found.append(_known(row))
        return found

    def seen_at(self, site: str, seen_ms: int) -> list[str]:
        """The paths of the site's articles the pass at `seen_ms` saw in its feed."""
        rows = self.db.execute(
            "SELECT s.path FROM story_state s JOIN articles a ON a.path = s.path"
            " WHERE s.seen_ms=? AND a.site=?",
            (seen_ms, site),
        )
        return [row[0] for row in rows]

    def published_between(self, site: str, start_ms: int, end_ms: int) -> list[KnownArticle]:
        """The site's stories (no variants) published in [start_ms, end_ms)."""
        rows = self.db.execute(
            "SELECT path FROM articles WHERE site=? AND published_ms >= ? AND published_ms < ?"
            " AND variant_of IS NULL",
            (site, start_ms, end_ms),
        )
        return self.known_paths([row[0] for row in rows])

    def to_recheck(
        self, archived_since_ms: int, checked_before_ms: int, limit: int
    ) -> list[KnownArticle]:
        """Articles archived since `archived_since_ms`, not removed, whose link was not
        checked since `checked_before_ms`: never checked first, then the longest ago."""
        rows = self.db.execute(
            "SELECT s.path FROM story_state s JOIN articles a ON a.path = s.path"
            " WHERE s.archived_ms >= ? AND s.removed_ms IS NULL AND a.url != ''"
            " AND (s.checked_ms IS NULL OR s.checked_ms < ?)"
            " ORDER BY s.checked_ms IS NOT NULL, s.checked_ms, s.archived_ms DESC LIMIT ?",
            (archived_since_ms, checked_before_ms, limit),
        )
        return self.known_paths([row[0] for row in rows])

    def put_states(self, states: Iterable[StoryState]) -> None:
        names = _STATE_FIELDS.split(", ")
        self.db.executemany(
            f"INSERT OR REPLACE INTO story_state ({_STATE_FIELDS})"
            f" VALUES ({', '.join('?' * len(names))})",
            (tuple(getattr(state, name) for name in names) for state in states),
        )

    def mark_seen(self, paths: Iterable[str], seen_ms: int) -> None:
        """These articles were in their feed at `seen_ms` (a state is made where none is)."""
        self.db.executemany(
            "INSERT INTO story_state (path, seen_ms) VALUES (?, ?)"
            " ON CONFLICT (path) DO UPDATE SET seen_ms=excluded.seen_ms",
            ((path, seen_ms) for path in paths),
        )

    def add_alias(self, site: str, kind: str, value: str, path: str) -> None:
        """Another identity of the article at `path`: ("k", a key hash) or ("l", a link key),
        a re-issue's or a link it had before an edit."""
        if value:
            self.db.execute(
                "INSERT OR REPLACE INTO aliases VALUES (?, ?, ?, ?)", (site, kind, value, path)
            )

    def add_version(self, version: Version) -> None:
        row = astuple(version)
        row = (*row[:4], ",".join(version.changed), *row[5:])
        self.db.execute(
            f"INSERT OR REPLACE INTO versions ({_VERSION_FIELDS})"
            f" VALUES ({', '.join('?' * len(row))})",
            row,
        )

    def version_count(self, path: str) -> int:
        (count,) = self.db.execute("SELECT COUNT(*) FROM versions WHERE path=?", (path,)).fetchone()
        return count

    def versions(self, path: str) -> list[Version]:
        """An article's earlier texts, oldest first."""
        rows = self.db.execute(
            f"SELECT {_VERSION_FIELDS} FROM versions WHERE path=? ORDER BY n", (path,)
        )
        return [Version(*row[:4], tuple(filter(None, row[4].split(","))), *row[5:]) for row in rows]

    def add_change(self, change: Change) -> None:
        row = astuple(change)
        row = (*row[:6], ",".join(change.changed), *row[7:])
        self.db.execute(
            f"INSERT INTO changes ({_CHANGE_FIELDS}) VALUES ({', '.join('?' * len(row))})", row
        )

    def changes(self, site: str | None, limit: int) -> list[Change]:
        """The newest changes of a site (of every site for None), newest first."""
        where, args = ("WHERE site=?", (site, limit)) if site else ("", (limit,))
        rows = self.db.execute(
            f"SELECT {_CHANGE_FIELDS} FROM changes {where} ORDER BY ms DESC, id DESC LIMIT ?",
            args,
        )
        return [Change(*row[:6], tuple(filter(None, row[6].split(","))), *row[7:]) for row in rows]

    # --- rendered feed entries ---------------------------------------------------------

    def feed_entries(self, paths: Sequence[str]) -> dict[str, RenderedEntry]:
        found: dict[str, RenderedEntry] = {}
        sql = f"SELECT {_RENDERED_FIELDS} FROM feed_entries WHERE path IN ({{}})"
        for start in range(0, len(paths), _CHUNK):
            chunk = paths[start : start + _CHUNK]
            rows = self.db.execute(sql.format(",".join("?" * len(chunk))), chunk)
            found.update((row[0], RenderedEntry(*row)) for row in rows)
        return found

    def put_feed_entries(self, entries: Sequence[RenderedEntry]) -> None:
        self.db.executemany(
            f"INSERT OR REPLACE INTO feed_entries ({_RENDERED_FIELDS}) VALUES (?, ?, ?, ?, ?)",
            # (not `astuple`, which deep-copies every field of 10,000 entries in a cold pass)
            ((e.path, e.stamp, e.published_ms, e.atom, e.json) for e in entries),
        )

    def keep_feed_entries(self, paths: Iterable[str]) -> None:
        keep = set(paths)
        gone = [row[0] for row in self.db.execute("SELECT path FROM feed_entries")]
        self.db.executemany(
            "DELETE FROM feed_entries WHERE path=?", ((p,) for p in gone if p not in keep)
        )

    # --- sources -----------------------------------------------------------------------

    def source(self, slug: str) -> SourceState | None:
        row = self.db.execute(
            f"SELECT {_SOURCE_FIELDS} FROM sources WHERE slug=?", (slug,)
        ).fetchone()
        return SourceState(*row) if row else None

    def forget_validators(self, slugs: Iterable[str] | None) -> None:
        """Make these sources' next fetch a full one (all sources for None): no ETag or
        Last-Modified sent, no "same body as last time" shortcut. For when the index forgot
        articles: the feed must be read again to find them."""
        fields = "etag=NULL, last_modified=NULL, body_hash=NULL"
        if slugs is None:
            self.db.execute(f"UPDATE sources SET {fields}")
            return
        self.db.executemany(f"UPDATE sources SET {fields} WHERE slug=?", ((s,) for s in slugs))

    # --- the journal: articles whose files are being written --------------------------

    def add_pending(self, articles: Sequence[ArchivedArticle]) -> None:
        """Record articles about to be written (committed before any of their files exist),
        so that a run killed half-way leaves no file the next run cannot account for.
        One row per batch: the journal is written for every source with news, and read
        only after a crash."""
        if not articles:
            return
        batch = json.dumps([_article_row(a) for a in articles], ensure_ascii=False)
        with self.transaction():
            self.db.execute("INSERT INTO pending (articles) VALUES (?)", (batch,))

    def pending(self) -> list[ArchivedArticle]:
        """Every journaled article, by path (a path journaled twice: the later batch)."""
        found: dict[str, ArchivedArticle] = {}
        for (batch,) in self.db.execute("SELECT articles FROM pending ORDER BY id"):
            for path, site, *rest in json.loads(batch):
                found[path] = ArchivedArticle(site, path, *rest)
        return [found[path] for path in sorted(found)]

    def clear_pending(self) -> None:
        """Forget the journal: every article in it is now indexed or known to be absent."""
        self.db.execute("DELETE FROM pending")

    # --- work left to do after the articles are recorded: lists to write, paths to commit

    def add_todo(self, kind: str, items: Iterable[str]) -> None:
        self.db.executemany(
            "INSERT OR IGNORE INTO todo (kind, item) VALUES (?, ?)", ((kind, i) for i in items)
        )

    def todo(self, kind: str) -> list[str]:
        rows = self.db.execute("SELECT item FROM todo WHERE kind=? ORDER BY item", (kind,))
        return [row[0] for row in rows]

    def clear_todo(self, kind: str, items: Iterable[str]) -> None:
        self.db.executemany("DELETE FROM todo WHERE kind=? AND item=?", ((kind, i) for i in items))

    def put_source(self, state: SourceState) -> None:
        """Keep a source's state as `decide.sources.next_state` made it (every field)."""
        row = astuple(state)
        marks = ",".join("?" * len(row))
        self.db.execute(f"INSERT OR REPLACE INTO sources ({_SOURCE_FIELDS}) VALUES ({marks})", row)

    def log_fetch(self, outcome: SourceOutcome, now_ms: int) -> None:
        """Keep one fetch in the source's history, and only the newest `FETCH_HISTORY` of
        them: the history is for `status`, not a log that grows forever."""
        fetched = outcome.fetched
        self.db.execute(
            "INSERT INTO fetches (site, started_ms, elapsed_ms, status, outcome, error_kind,"
            " error, items, new_items, notes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                outcome.slug,
                fetched.started_ms or now_ms,
                fetched.elapsed_ms,
                fetched.status,
                _outcome_word(outcome),
                outcome.error_kind,
                outcome.error,
                outcome.seen,
                len(outcome.written),
                "; ".join(outcome.notes) or None,
            ),
        )
        self.db.execute(
            "DELETE FROM fetches WHERE site=? AND id NOT IN"
            " (SELECT id FROM fetches WHERE site=? ORDER BY id DESC LIMIT ?)",
            (outcome.slug, outcome.slug, FETCH_HISTORY),
        )

    def fetch_history(self, slug: str, limit: int) -> list[FetchRecord]:
        rows = self.db.execute(
            f"SELECT {_FETCH_FIELDS} FROM fetches WHERE site=? ORDER BY id DESC LIMIT ?",
            (slug, limit),
        )
        return [FetchRecord(*row) for row in rows]

    # --- work owed on archived articles: pages to read, pictures to mirror; stored pictures

    def put_enrichments(self, items: Iterable[Enrichment]) -> None:
        rows = [astuple(item) for item in items]
        if rows:
            marks = ",".join("?" * len(rows[0]))
            self.db.executemany(
                f"INSERT OR REPLACE INTO enrichment ({_ENRICHMENT_FIELDS}) VALUES ({marks})", rows
            )

    def enrichment(self, path: str) -> Enrichment | None:
        row = self.db.execute(
            f"SELECT {_ENRICHMENT_FIELDS} FROM enrichment WHERE path=?", (path,)
        ).fetchone()
        return Enrichment(*row) if row else None

    def enrichments_due(self, now_ms: int, limit: int) -> list[Enrichment]:
        """Owed work whose time has come, the longest waiting first."""
        rows = self.db.execute(
            f"SELECT {_ENRICHMENT_FIELDS} FROM enrichment"
            " WHERE (page = 'owed' OR images = 'owed') AND next_ms <= ?"
            " ORDER BY next_ms, path LIMIT ?",
            (now_ms, limit),
        )
        return [Enrichment(*row) for row in rows]

    def enrichment_counts(self) -> dict[str, int]:
        """How many articles are in each state: owed, page (full text taken from the page),
        failed (given up)."""
        row = self.db.execute(
            "SELECT"
            " coalesce(sum(page = 'owed' OR images = 'owed'), 0),"
            " coalesce(sum(body_from = 'page'), 0),"
            " coalesce(sum(page = 'failed' OR images = 'failed'), 0)"
            " FROM enrichment"
        ).fetchone()
        return {"owed": row[0], "page": row[1], "failed": row[2]}

    def assets_for(self, urls: Sequence[str]) -> dict[str, Asset]:
        found: dict[str, Asset] = {}
        for start in range(0, len(urls), _CHUNK):
            chunk = list(urls[start : start + _CHUNK])
            marks = ",".join("?" * len(chunk))
            rows = self.db.execute(
                f"SELECT {_ASSET_FIELDS} FROM assets WHERE url IN ({marks})", chunk
            )
            found.update((row[0], Asset(*row)) for row in rows)
        return found

    def put_asset(self, asset: Asset) -> None:
        marks = ",".join("?" * len(fields(Asset)))
        self.db.execute(
            f"INSERT OR REPLACE INTO assets ({_ASSET_FIELDS}) VALUES ({marks})", astuple(asset)
        )


# A list entry: the article, its mark (removed over edited) and its copies in another script.
_LISTED = (
    "SELECT a.path, a.published_ms, a.title,"
    " CASE WHEN s.removed_ms IS NOT NULL THEN '✗' WHEN s.edited_ms IS NOT NULL THEN '✎'"
    " ELSE '' END,"
    " (SELECT group_concat(v.path, char(10)) FROM articles v WHERE v.variant_of = a.path)"
    " FROM articles a LEFT JOIN story_state s ON s.path = a.path"
)


def _entry(row: tuple) -> ListEntry:
    variants = tuple(sorted(row[4].split("\n"))) if row[4] else ()
    return ListEntry(row[0], row[1], row[2], row[3], variants)


def _qualified(table: str, names: str) -> str:
    return ", ".join(f"{table}.{name}" for name in names.split(", "))


_ARTICLE_WIDTH = len(_ARTICLE_FIELDS.split(", "))


def _known(row: tuple) -> KnownArticle:
    article = ArchivedArticle(row[1], row[0], *row[2:_ARTICLE_WIDTH])
    state = row[_ARTICLE_WIDTH:]
    if state[0] is None:  # no state yet
        return KnownArticle(article, StoryState(article.path))
    return KnownArticle(article, StoryState(*state[:4], bool(state[4]), *state[5:]))


def _article_row(a: ArchivedArticle) -> tuple:
    return (
        a.path,
        a.site,
        a.published_ms,
        a.title,
        a.url,
        a.key_hash,
        a.link_key,
        a.flat_id,
        a.variant_of,
    )


def _prepare(db: sqlite3.Connection) -> None:
    db.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()  # (not a database: raises)
    _migrate(db)


def _create_schema(db: sqlite3.Connection) -> None:
    """Every table and index that does not exist yet, and the schema version."""
    for statement in _SCHEMA.split(";"):
        if statement.strip():
            db.execute(statement)
    for trigger in _TRIGGERS:
        db.execute(trigger)
    db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")


def _add_columns(db: sqlite3.Connection, table: str, columns: Iterable[str]) -> None:
    have = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
    for column in columns:
        if have and column.split()[0] not in have:  # (a table not there yet is created whole)
            db.execute(f"ALTER TABLE {table} ADD COLUMN {column}")


def _to_v2(db: sqlite3.Connection) -> None:
    """Version 2: sources gain their schedule, move and configured URL; the journal, work owed
    and fetch history tables appear."""
    _add_columns(db, "sources", _SOURCE_COLUMNS_V2)


def _to_v3(db: sqlite3.Connection) -> None:
    """Version 3: a fetch keeps its notes (items skipped, bodies cut)."""
    _add_columns(db, "fetches", ("notes TEXT",))


def _to_v4(db: sqlite3.Connection) -> None:
    """Version 4: the work owed on articles (pages, pictures) and the stored pictures, in new
    tables (created with the rest of the schema)."""


# Each step brings an index from the version before to its own, in place, keeping every
# source's state (which no archive file holds); then the tables and indexes a step does not name
# are created as the current schema has them.
def _to_v5(db: sqlite3.Connection) -> None:
    """Version 5: counts by day and month kept by triggers (counted on first use), rendered
    feed entries (a cache), story history (state, aliases, versions, changes), copies in
    another script; and canonical links now unify `www.`, trailing slashes and more tracking
    parameters, so every stored link key is computed again (or known items would look new)."""
    from newsmirror.clean.urls import link_key

    _add_columns(db, "articles", ("variant_of TEXT",))
    if not db.execute("SELECT 1 FROM sqlite_master WHERE name='articles'").fetchone():
        return  # (an index older still: its articles table comes with the schema)
    rows = db.execute("SELECT path, url FROM articles WHERE link_key != ''").fetchall()
    db.executemany(
        "UPDATE articles SET link_key=? WHERE path=?",
        (
            (link_key(url) if url.startswith(("http://", "https://")) else "", path)
            for path, url in rows
        ),
    )


def _to_v6(db: sqlite3.Connection) -> None:
    """Version 6: story fingerprints are computed another way (`clean.fingerprint.simhash`,
    over a story's lead), so the stored ones are forgotten; a story's fingerprint is computed
    again from its file when a new item is compared with it."""
    if db.execute("SELECT 1 FROM sqlite_master WHERE name='story_state'").fetchone():
        db.execute("UPDATE story_state SET fingerprint = NULL WHERE fingerprint IS NOT NULL")


def _to_v7(db: sqlite3.Connection) -> None:
    """Version 7: rendered feed entries are kept as UTF-8 bytes (BLOB); the cache of text ones
    is dropped (made again the next time a feed is written)."""
    db.execute("DROP TABLE IF EXISTS feed_entries")


MIGRATIONS = {2: _to_v2, 3: _to_v3, 4: _to_v4, 5: _to_v5, 6: _to_v6, 7: _to_v7}


def _migrate(db: sqlite3.Connection) -> None:
    """Bring an index of an older version to the current one, step by step, in one
    transaction; a new database gets the current schema (empty, and not yet complete)."""
    if db.execute("PRAGMA user_version").fetchone()[0] not in range(SCHEMA_VERSION):
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version in range(SCHEMA_VERSION):  # nobody migrated it meanwhile
            for step in range(max(version, 1) + 1, SCHEMA_VERSION + 1):
                MIGRATIONS[step](db)
            _create_schema(db)
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def _outcome_word(outcome: SourceOutcome) -> str:
    if not outcome.ok:
        return "failed"
    if outcome.fetched.not_modified:
        return "not-modified"
    if outcome.unchanged:
        return "unchanged"
    return "fetched"
