"""The embedded search index: SQLite FTS5 in `.newsmirror/search.sqlite`, derived from the
archive and rebuilt from it at will.

The FTS table is contentless (it keeps postings, not texts: the texts are the archive's). A doc's
rowid is its publication time (ms × 1024, plus a serial for equal times), so "newest first" is
the index's own order and a query stops after the page it needs, however common its words. A
contentless table cannot forget a text it no longer has, so an article indexed again gets a new
rowid and its old one becomes a ghost that `meta` no longer calls live; ghosts are dropped by a
rebuild once they pass a fifth of the index (`needs_rebuild`).
"""

from __future__ import annotations

import sqlite3
import threading
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TypeVar

from newsmirror.search.base import Hit, Query, Results, SearchDoc
from newsmirror.search.text import indexed, parse_query
from newsmirror.store.derived import open_derived

T = TypeVar("T")
_SERIALS = 1024  # rowids per millisecond of publication time
# Texts arrive as tokens already (`search.text`: lower case, space-separated, CJK in pairs), so
# FTS5's plainest tokenizer, which splits at ASCII space and keeps every other byte, suffices;
# it is a fifth faster than unicode61.
# `titles` repeats the titles alone: the first half of a search (title matches first) then reads
# postings of titles only, not of every body that has the words too (for a rare phrase, the whole
# doclist of each of its pairs).
_SCHEMA = """
CREATE VIRTUAL TABLE IF NOT EXISTS docs USING fts5(site, title, body, content='', tokenize='ascii');
CREATE VIRTUAL TABLE IF NOT EXISTS titles USING fts5(site, title, content='', tokenize='ascii');
CREATE TABLE IF NOT EXISTS meta (
    rowid INTEGER PRIMARY KEY,
    path TEXT NOT NULL,
    site TEXT NOT NULL,
    published_ms INTEGER NOT NULL,
    title TEXT NOT NULL,
    mark TEXT NOT NULL,
    stamp TEXT NOT NULL,
    live INTEGER NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS meta_live ON meta (path) WHERE live = 1;
CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


@dataclass(frozen=True, slots=True)
class Tokenized:
    doc: SearchDoc
    title: str
    body: str


def tokenized(doc: SearchDoc) -> Tokenized:
    """A doc with its title and text as index tokens (the costly part of indexing); the text
    itself is not kept (the index does not store it, and a worker need not send it back)."""
    return Tokenized(replace(doc, text=""), indexed(doc.title), indexed(doc.text))


_VERSION = 2  # of the tables above (an index of another version is made afresh)


def _prepare(db: sqlite3.Connection) -> None:
    (version,) = db.execute("PRAGMA user_version").fetchone()
    if version != _VERSION:
        db.executescript(
            "DROP TABLE IF EXISTS docs; DROP TABLE IF EXISTS titles; DROP TABLE IF EXISTS meta;"
        )
        db.execute(f"PRAGMA user_version = {_VERSION}")
    db.executescript(_SCHEMA)
    # Merge segments in bigger steps: a first build of a big archive inserts a fifth faster
    # (measured), and queries stay far under their goal.
    db.execute("INSERT INTO docs(docs, rank) VALUES('crisismerge', 64)")
    # Keep up to 64 MiB of new postings in memory before writing them out: a transaction of a
    # first build (`sync.build`) then makes one segment, not one per megabyte.
    db.execute("INSERT INTO docs(docs, rank) VALUES('hashsize', 67108864)")


def site_token(slug: str) -> str:
    """A site's slug as one index token (slugs hold `-` and `_`, which split words)."""
    return "s" + slug.encode("utf-8").hex()


class SqliteSearch:
    def __init__(self, path: Path, any_thread: bool = False) -> None:
        self.path = path
        self.db = open_derived(path, _prepare, any_thread)

    @property
    def shard_paths(self) -> list[Path]:
        return [self.path]

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> SqliteSearch:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- writing ---------------------------------------------------------------------

    def put(self, docs: Iterable[SearchDoc]) -> None:
        self.put_tokenized(tokenized(doc) for doc in docs)

    def put_tokenized(self, rows: Iterable[Tokenized]) -> None:
        """Index docs whose text `tokenized` has made tokens (in another process, say)."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            for row in rows:
                self._retire([row.doc.path])
                rowid = self._free_rowid(row.doc.published_ms)
                self._insert(rowid, row)
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def put_new(self, rows: Iterable[Tokenized]) -> None:
        """Index docs none of which is indexed yet, fast (a first build, a rebuild): rowids
        from the publication times, two statements for the whole batch."""
        (top,) = self.db.execute("SELECT MAX(rowid) FROM meta").fetchone()
        used: dict[int, int] = {}
        batch = []
        for row in rows:
            base = row.doc.published_ms * _SERIALS
            serial = used.get(base, 0)
            used[base] = serial + 1
            rowid = base + serial
            if top is not None and rowid <= top:  # (never an index's old rowid: ghosts)
                rowid = self._free_rowid(row.doc.published_ms)
            batch.append((rowid, row))
        self.db.execute("BEGIN IMMEDIATE")
        try:
            self.db.executemany(
                "INSERT INTO docs (rowid, site, title, body) VALUES (?, ?, ?, ?)",
                ((rowid, site_token(r.doc.site), r.title, r.body) for rowid, r in batch),
            )
            self.db.executemany(
                "INSERT INTO titles (rowid, site, title) VALUES (?, ?, ?)",
                ((rowid, site_token(r.doc.site), r.title) for rowid, r in batch),
            )
            self.db.executemany(
                "INSERT INTO meta VALUES (?, ?, ?, ?, ?, ?, ?, 1)",
                (
                    (rowid, d.path, d.site, d.published_ms, d.title, d.mark, d.stamp)
                    for rowid, d in ((rowid, r.doc) for rowid, r in batch)
                ),
            )
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def _insert(self, rowid: int, row: Tokenized) -> None:
        doc = row.doc
        self.db.execute(
            "INSERT INTO docs (rowid, site, title, body) VALUES (?, ?, ?, ?)",
            (rowid, site_token(doc.site), row.title, row.body),
        )
        self.db.execute(
            "INSERT INTO titles (rowid, site, title) VALUES (?, ?, ?)",
            (rowid, site_token(doc.site), row.title),
        )
        self.db.execute(
            "INSERT INTO meta VALUES (?, ?, ?, ?, ?, ?, ?, 1)",
            (rowid, doc.path, doc.site, doc.published_ms, doc.title, doc.mark, doc.stamp),
        )

    def _free_rowid(self, published_ms: int) -> int:
        base = published_ms * _SERIALS
        (top,) = self.db.execute(
            "SELECT MAX(rowid) FROM meta WHERE rowid >= ? AND rowid < ?",
            (base, base + _SERIALS),
        ).fetchone()
        return base if top is None else top + 1

    def _retire(self, paths: list[str]) -> None:
        self.db.executemany(
            "UPDATE meta SET live = 0 WHERE path = ? AND live = 1", ((p,) for p in paths)
        )

    def remove(self, paths: Iterable[str]) -> None:
        self.db.execute("BEGIN IMMEDIATE")
        self._retire(list(paths))
        self.db.execute("COMMIT")

    def set_marks(self, marks: dict[str, str]) -> None:
        self.db.execute("BEGIN IMMEDIATE")
        self.db.executemany(
            "UPDATE meta SET mark = ? WHERE path = ? AND live = 1",
            ((mark, path) for path, mark in marks.items()),
        )
        self.db.execute("COMMIT")

    def optimize(self) -> None:
        """Merge the index into one segment (after a build: queries read one list per token)."""
        self.db.execute("INSERT INTO docs(docs) VALUES('optimize')")
        self.db.execute("INSERT INTO titles(titles) VALUES('optimize')")
        self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def clear(self) -> None:
        """Empty the index, for a build from the archive: until `finish_build`, it says it
        needs one (a build cut short leaves a part of the archive in it)."""
        self.db.executescript(
            "DROP TABLE IF EXISTS docs; DROP TABLE IF EXISTS titles; DROP TABLE IF EXISTS meta;"
        )
        _prepare(self.db)
        self.db.execute("INSERT OR REPLACE INTO state VALUES ('building', '1')")

    def finish_build(self) -> None:
        self.db.execute("DELETE FROM state WHERE key = 'building'")

    # --- reading ---------------------------------------------------------------------

    def stamps(self) -> dict[str, str]:
        return dict(self.db.execute("SELECT path, stamp FROM meta WHERE live = 1"))

    def count(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM meta WHERE live = 1").fetchone()[0]

    def needs_rebuild(self) -> bool:
        """A build was cut short, or ghosts are over a fifth of the index."""
        if self.db.execute("SELECT 1 FROM state WHERE key = 'building'").fetchone():
            return True
        live, every = self.db.execute("SELECT SUM(live), COUNT(*) FROM meta").fetchone()
        return bool(every) and (every - (live or 0)) > max(1000, (live or 0) // 5)

    def search(self, query: Query) -> Results:
        parsed = parse_query(query.text)
        if parsed is None:
            return Results((), (), False)
        low = (query.since_ms or 0) * _SERIALS
        high = query.until_ms * _SERIALS if query.until_ms is not None else 2**62
        site = f'{{site}} : "{site_token(query.site)}" AND ' if query.site else ""
        wanted = query.offset + query.limit + 1
        hits: list[Hit] = []
        seen: set[int] = set()
        for table, in_title in (("titles", True), ("docs", False)):
            expression = f"{site}{{title{'' if in_title else ' body'}}} : ({parsed.expression})"
            for rowid, hit in self._matches(table, expression, low, high, in_title, wanted):
                if rowid not in seen:
                    seen.add(rowid)
                    hits.append(hit)
                if len(hits) >= wanted:
                    break
            if len(hits) >= wanted:
                break
        page = hits[query.offset : query.offset + query.limit]
        return Results(tuple(page), parsed.terms, len(hits) > query.offset + query.limit)

    def _matches(
        self, table: str, expression: str, low: int, high: int, in_title: bool, wanted: int
    ) -> Iterator[tuple[int, Hit]]:
        """Live docs matching, newest first (the FTS rowid order), read a batch at a time: the
        first as big as the page wanted (a bigger one would read postings past the page), the
        next ones twice as big (ghosts and docs already found are skipped)."""
        top, size = high, wanted
        while True:
            rows = self.db.execute(
                "SELECT m.rowid, m.path, m.site, m.published_ms, m.title, m.mark"
                f" FROM {table} JOIN meta m ON m.rowid = {table}.rowid"
                f" WHERE {table} MATCH ? AND {table}.rowid >= ? AND {table}.rowid < ?"
                f" AND m.live = 1 ORDER BY {table}.rowid DESC LIMIT ?",
                (expression, low, top, size),
            ).fetchall()
            for rowid, path, site, published_ms, title, mark in rows:
                yield rowid, Hit(path, site, published_ms, title, mark, in_title)
            if len(rows) < size:
                return
            top, size = rows[-1][0], min(2 * size, 1000)


SHARDS = 2  # files of a mirror's search index: a first build writes them at once, a process each


def shard_paths(path: Path, shards: int = SHARDS) -> list[Path]:
    """`search.sqlite`, then `search.1.sqlite`, …"""
    return [path] + [path.with_name(f"{path.stem}.{k}{path.suffix}") for k in range(1, shards)]


def _home(path: str, shards: int) -> int:
    """The shard an article indexed again (or for the first time, after a build) goes to."""
    return zlib.crc32(path.encode("utf-8")) % shards


class ShardedSearch:
    """A search index in several SQLite files that answer as one: a first build writes every
    file from its own process (FTS5 inserts are the build's bottleneck, and one connection
    uses one core), and a query asks each file for the page and merges their answers. An
    article is in one file; which one does not matter (a build puts it where its process
    writes), so an article indexed again is retired from every file first."""

    def __init__(self, path: Path, shards: int = SHARDS) -> None:
        self.path = path
        self.shard_paths = shard_paths(path, shards)
        # (a query asks the files at once, each from a thread: SQLite lets go of the GIL)
        self.shards = [SqliteSearch(p, any_thread=True) for p in self.shard_paths]

    def close(self) -> None:
        for shard in self.shards:
            shard.close()

    def __enter__(self) -> ShardedSearch:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- writing ---------------------------------------------------------------------

    def put(self, docs: Iterable[SearchDoc]) -> None:
        self.put_tokenized(tokenized(doc) for doc in docs)

    def put_tokenized(self, rows: Iterable[Tokenized]) -> None:
        homes: list[list[Tokenized]] = [[] for _ in self.shards]
        for row in rows:
            homes[_home(row.doc.path, len(self.shards))].append(row)
        for k, shard in enumerate(self.shards):
            others = [r.doc.path for j, home in enumerate(homes) if j != k for r in home]
            if others:
                shard.remove(others)
            if homes[k]:
                shard.put_tokenized(homes[k])

    def remove(self, paths: Iterable[str]) -> None:
        paths = list(paths)
        for shard in self.shards:
            shard.remove(paths)

    def set_marks(self, marks: dict[str, str]) -> None:
        for shard in self.shards:
            shard.set_marks(marks)

    def optimize(self) -> None:
        for shard in self.shards:
            shard.optimize()

    def clear(self) -> None:
        for shard in self.shards:
            shard.clear()

    def finish_build(self) -> None:
        for shard in self.shards:
            shard.finish_build()

    # --- reading ---------------------------------------------------------------------

    def stamps(self) -> dict[str, str]:
        found: dict[str, str] = {}
        for shard in self.shards:
            found.update(shard.stamps())
        return found

    def count(self) -> int:
        return sum(shard.count() for shard in self.shards)

    def needs_rebuild(self) -> bool:
        return any(shard.needs_rebuild() for shard in self.shards)

    def _each(self, ask: Callable[[SqliteSearch], T]) -> list[T]:
        """`ask` of every file, the others' in threads of their own while this one asks the
        first (a rare phrase reads long doclists in each: together they take half as long)."""
        answers: list[T | None] = [None] * len(self.shards)
        failures: list[BaseException] = []

        def run(k: int) -> None:
            try:
                answers[k] = ask(self.shards[k])
            except BaseException as exc:  # (raised again in the asking thread)
                failures.append(exc)

        threads = [threading.Thread(target=run, args=(k,)) for k in range(1, len(self.shards))]
        for thread in threads:
            thread.start()
        run(0)
        for thread in threads:
            thread.join()
        if failures:
            raise failures[0]
        return answers  # type: ignore[return-value]

    def search(self, query: Query) -> Results:
        """Each file's first `offset + limit` hits, merged in the one order (title matches
        first, then newest first), and the page cut from them."""
        wanted = replace(query, offset=0, limit=query.offset + query.limit)
        answers = self._each(lambda shard: shard.search(wanted))
        hits = sorted(
            (hit for answer in answers for hit in answer.hits),
            key=lambda h: (not h.in_title, -h.published_ms, h.path),
        )
        page = hits[query.offset : query.offset + query.limit]
        more = len(hits) > query.offset + query.limit or any(a.more for a in answers)
        terms = answers[0].terms if answers else ()
        return Results(tuple(page), terms, more)
