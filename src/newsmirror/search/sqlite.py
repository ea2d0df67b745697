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
from collections.abc import Iterable, Iterator
from pathlib import Path

from newsmirror.search.base import Hit, Query, Results, SearchDoc
from newsmirror.search.text import indexed, parse_query

_SERIALS = 1024  # rowids per millisecond of publication time
_SCHEMA = """
CREATE VIRTUAL TABLE IF NOT EXISTS docs USING fts5(site, title, body, content='');
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
"""


def site_token(slug: str) -> str:
    """A site's slug as one index token (slugs hold `-` and `_`, which split words)."""
    return "s" + slug.encode("utf-8").hex()


class SqliteSearch:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.db = self._connect()
        except sqlite3.DatabaseError:  # derived data: a damaged index is started afresh
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            self.db = self._connect()

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, isolation_level=None, timeout=60.0)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.executescript(_SCHEMA)
        return db

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> SqliteSearch:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- writing ---------------------------------------------------------------------

    def put(self, docs: Iterable[SearchDoc]) -> None:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            for doc in docs:
                self._retire([doc.path])
                rowid = self._free_rowid(doc.published_ms)
                self.db.execute(
                    "INSERT INTO docs (rowid, site, title, body) VALUES (?, ?, ?, ?)",
                    (rowid, site_token(doc.site), indexed(doc.title), indexed(doc.text)),
                )
                self.db.execute(
                    "INSERT INTO meta VALUES (?, ?, ?, ?, ?, ?, ?, 1)",
                    (rowid, doc.path, doc.site, doc.published_ms, doc.title, doc.mark, doc.stamp),
                )
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

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

    def clear(self) -> None:
        self.db.executescript("DROP TABLE IF EXISTS docs; DROP TABLE IF EXISTS meta;" + _SCHEMA)

    # --- reading ---------------------------------------------------------------------

    def stamps(self) -> dict[str, str]:
        return dict(self.db.execute("SELECT path, stamp FROM meta WHERE live = 1"))

    def count(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM meta WHERE live = 1").fetchone()[0]

    def needs_rebuild(self) -> bool:
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
        for in_title, columns in ((True, "{title}"), (False, "{title body}")):
            expression = f"{site}{columns} : ({parsed.expression})"
            for rowid, hit in self._matches(expression, low, high, in_title):
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
        self, expression: str, low: int, high: int, in_title: bool
    ) -> Iterator[tuple[int, Hit]]:
        """Live docs matching, newest first (the FTS rowid order, read a batch at a time)."""
        top = high
        while True:
            rows = self.db.execute(
                "SELECT m.rowid, m.path, m.site, m.published_ms, m.title, m.mark"
                " FROM docs JOIN meta m ON m.rowid = docs.rowid"
                " WHERE docs MATCH ? AND docs.rowid >= ? AND docs.rowid < ? AND m.live = 1"
                " ORDER BY docs.rowid DESC LIMIT 200",
                (expression, low, top),
            ).fetchall()
            for rowid, path, site, published_ms, title, mark in rows:
                yield rowid, Hit(path, site, published_ms, title, mark, in_title)
            if len(rows) < 200:
                return
            top = rows[-1][0]
