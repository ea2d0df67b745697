"""Finishing what an interrupted run left, so that a run killed at any moment loses nothing and
writes nothing twice.

A pass marks itself as running, durably, before it writes any file. The next pass reads the
journal: a journaled article whose file is complete is recorded, one cut short is removed (its
item is still in the feed, and is written again). After an interrupted pass, it also looks for
article files the store does not know (their journal rows lost with a power cut) and records
them, and removes temporary files.
"""

from __future__ import annotations

import glob
import os
import re
from collections.abc import Sequence
from contextlib import suppress

from newsmirror.errors import ArticleFormatError
from newsmirror.records import ArchivedArticle
from newsmirror.store import article as article_format
from newsmirror.store import scan
from newsmirror.store.base import Store
from newsmirror.store.layout import ARTICLES, is_article_name
from newsmirror.store.rebuild import Archive

TEMP_NAME = re.compile(r"\.md\.\d+\.tmp$")  # what AtomicWriter leaves when it is killed
# Where a killed run can leave half-written pages: the root, lists/ and its month folders,
# feeds/, digests/ (index, years, months), and the state folder's temp files.
_TEMP_PATTERNS = (
    "*.tmp",
    "lists/*.tmp",
    "lists/*/*.tmp",
    "feeds/*.tmp",
    "digests/*.tmp",
    "digests/*/*/*.tmp",
    ".newsmirror/tmp/*.tmp",
    f"{ARTICLES}/.newsmirror-probe-*",
)


def recover(store: Store, archive: Archive) -> int:
    """Finish an interrupted run's work and mark this pass as running; the number of articles
    recovered."""
    interrupted = bool(store.get_meta("running"))
    if interrupted:
        _remove_temp_files(archive)
    # Durable before any file of this pass exists: after a power cut, the next pass knows this
    # one was interrupted even if every later write to the store was lost.
    store.set_meta_durably("running", str(os.getpid()))
    recovered = _recover_journal(store, archive)
    if interrupted:
        recovered += _adopt_orphans(store, archive)
    return recovered


def finished(store: Store) -> None:
    """Mark the pass complete: the next one need not look for leftovers."""
    with store.transaction():
        store.set_meta("running", "")


def _recover_journal(store: Store, archive: Archive) -> int:
    journal = store.pending()
    if not journal:
        return 0
    kept = []
    for entry in journal:
        target = archive.root / entry.path
        for temp in glob.glob(glob.escape(str(target)) + ".*.tmp"):
            _unlink_quietly(temp)
        try:
            article_format.parse(target.read_text(encoding="utf-8"))
        except FileNotFoundError:
            continue  # never written: the feed still has the item, the next pass retries
        except (OSError, UnicodeDecodeError, ArticleFormatError):
            _unlink_quietly(str(target))  # cut short by a power loss: written again
            continue
        kept.append(entry)
    _record(store, kept, clear_journal=True)
    return len(kept)


def _adopt_orphans(store: Store, archive: Archive) -> int:
    """Record article files no store row or journal row accounts for. It lists the archive:
    the history's untracked files when it can tell, else every file."""
    candidates = archive.history.untracked(ARTICLES)
    if candidates is None:
        known = store.all_paths()
        candidates = [p for p in scan.article_paths(archive.root) if p not in known]
    else:
        candidates = sorted(set(candidates) - store.taken_paths(candidates))
    adopted = []
    for path in candidates:
        if path.endswith(".tmp"):
            if TEMP_NAME.search(path):
                _unlink_quietly(str(archive.root / path))
            continue
        try:
            adopted.append(scan.read_archived(archive.root, path, archive.site_of(path)))
        except (OSError, ArticleFormatError):
            if is_article_name(path):  # ours, cut short by a power loss: written again
                _unlink_quietly(str(archive.root / path))
    _record(store, adopted)
    return len(adopted)


def _record(store: Store, articles: Sequence[ArchivedArticle], clear_journal: bool = False) -> None:
    with store.transaction():
        store.add_articles(articles)
        if clear_journal:
            store.clear_pending()
        store.add_todo("list", {a.site for a in articles})
        store.add_todo(
            "month", {f"{a.site}\t{a.published_ms}" for a in articles}
        )  # see publish.archive
        store.add_todo("commit", (a.path for a in articles))


def _remove_temp_files(archive: Archive) -> None:
    for pattern in _TEMP_PATTERNS:
        for temp in glob.glob(os.path.join(glob.escape(str(archive.root)), pattern)):
            _unlink_quietly(temp)


def _unlink_quietly(path: str) -> None:
    with suppress(OSError):
        os.unlink(path)
