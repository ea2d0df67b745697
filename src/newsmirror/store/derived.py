"""Opening a derived SQLite database (the index, the search index): rebuilt from the archive
at will, so one that is damaged or not a database at all is deleted and started afresh."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path


def open_derived(
    path: Path, prepare: Callable[[sqlite3.Connection], None], any_thread: bool = False
) -> sqlite3.Connection:
    """A connection in WAL mode, `prepare`d (schema, migrations); afresh if it cannot be.
    Other processes of a pass write through their own connections: a writer waits for
    another's short transaction instead of failing. `any_thread`: the connection may be used
    from another thread than this one (one at a time)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        return _connect(path, prepare, any_thread)
    except sqlite3.DatabaseError:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return _connect(path, prepare, any_thread)


def _connect(
    path: Path, prepare: Callable[[sqlite3.Connection], None], any_thread: bool
) -> sqlite3.Connection:
    db = sqlite3.connect(path, isolation_level=None, timeout=60.0, check_same_thread=not any_thread)
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        prepare(db)
    except sqlite3.DatabaseError:
        db.close()
        raise
    return db
