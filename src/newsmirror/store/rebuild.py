"""Keeping a store true to the archive files of the checkout it finds itself in.

The files are the record; the store is derived. It is rebuilt from them when it is missing, of
another schema or folder mapping, or made for a commit this checkout does not have (a cached
index in a fresh clone, after a push that was lost); caught up from the history's diff when
HEAD moved; and cleared of articles a run recorded but did not commit whose files this
checkout lacks. Whatever a store forgets, its feeds are read in full again (no validators, no
"unchanged" shortcut), so that nothing stays lost.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from newsmirror.errors import ArticleFormatError
from newsmirror.store import history, scan
from newsmirror.store.base import Store
from newsmirror.store.layout import ARTICLES

_BATCH = 2000


class History(Protocol):
    """Where the archive's files come from (git, see `repo.git.Repository`)."""

    def head(self) -> str | None: ...

    def has(self, commit: str) -> bool: ...

    def changes(self, old: str, new: str, under: str) -> list[tuple[str, str]] | None: ...

    def untracked(self, under: str) -> list[str] | None: ...


@dataclass(frozen=True, slots=True)
class Archive:
    """The archive files a store is derived from: where they are, which site each folder is,
    and their history."""

    root: Path
    folder_sites: Mapping[str, str]  # folder under articles/ -> site slug
    history: History
    site_of: Callable[[str], str]

    @property
    def fingerprint(self) -> str:
        """Changes when the folder mapping does: the store is then rebuilt."""
        pairs = sorted(self.folder_sites.items())
        return hashlib.sha1(repr(pairs).encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class ReindexReport:
    articles: int
    unreadable: tuple[scan.Unreadable, ...]
    seconds: float


def make_fresh(store: Store, archive: Archive) -> ReindexReport | None:
    """Make `store` describe exactly the archive's files; the rebuild's report if it took one."""
    if not store.is_current() or store.get_meta("folders") != archive.fingerprint:
        return reindex(store, archive)
    if not catch_up(store, archive):
        return reindex(store, archive)
    forget_missing(store, archive)
    return None


def catch_up(store: Store, archive: Archive) -> bool:
    """Bring the store from the commit it was made for to HEAD, from the history's diff;
    False when that cannot be done (an unknown commit: the store needs a rebuild)."""
    recorded = store.get_meta("head") or ""
    current = archive.history.head()
    if not current or recorded == current:
        return True
    if not recorded or not archive.history.has(recorded):
        return False
    changes = archive.history.changes(recorded, current, ARTICLES)
    if changes is None:
        return False
    removed = [path for status, path in changes if status.startswith("D")]
    with store.transaction():
        gone_from = store.sites_of(removed)
        store.remove_paths(removed)
        for status, path in changes:
            if status.startswith("D") or not path.endswith(".md"):
                continue
            try:
                store.add_articles([scan.read_archived(archive.root, path, archive.site_of(path))])
            except (OSError, ArticleFormatError):
                gone_from |= store.sites_of([path])
                store.remove_paths([path])
        store.forget_validators(gone_from)
        store.set_meta("head", current)
    return True


def forget_missing(store: Store, archive: Archive) -> None:
    """Articles a pass recorded but did not commit must be in this checkout's files; when they
    are not (the store came from another checkout, whose run was cut short or could not
    commit), the store forgets them and their feeds are read afresh."""
    owed = [p for p in store.todo("commit") if p.startswith(f"{ARTICLES}/")]
    missing = [p for p in owed if not os.path.exists(os.path.join(archive.root, p))]
    if not missing:
        return
    with store.transaction():
        store.forget_validators(store.sites_of(missing))
        store.remove_paths(missing)
        store.clear_todo("commit", missing)


def reindex(store: Store, archive: Archive) -> ReindexReport:
    """Rebuild the store's articles from the archive files alone. Each source's state is kept,
    but not its validators: every feed is read in full once more, so that an item the store
    claimed without a file is archived again."""
    started = time.monotonic()
    store.reset()
    count, unreadable, batch = 0, [], []
    with store.transaction():
        for path in scan.article_paths(archive.root):
            try:
                batch.append(scan.read_archived(archive.root, path, archive.site_of(path)))
            except (OSError, ArticleFormatError) as exc:
                unreadable.append(scan.Unreadable(path, str(exc)))
            if len(batch) >= _BATCH:
                store.add_articles(batch)
                count += len(batch)
                batch = []
        store.add_articles(batch)
        count += len(batch)
        # What no article file says (edits, removals, copies) comes back from history/.
        history.replay(store, archive.root, everything=not store.changes(None, 1))
        store.forget_validators(None)
        store.set_meta("folders", archive.fingerprint)
        store.set_meta("head", archive.history.head() or "")
        store.set_meta("complete", "1")
    return ReindexReport(count, tuple(unreadable), time.monotonic() - started)
