"""Keeping the search index up to the archive: a full build when there is none (or too many
ghosts), and afterwards only the articles a pass wrote, edited or marked (`SEARCH_TODO`).
Copies in another script are not indexed: their story is, and folding finds either spelling.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.queues
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from pathlib import Path
from typing import TypeVar

from newsmirror.clean.fingerprint import paragraphs
from newsmirror.errors import ArticleFormatError
from newsmirror.records import KnownArticle
from newsmirror.search.base import SearchDoc
from newsmirror.search.sqlite import ShardedSearch, SqliteSearch, Tokenized, tokenized
from newsmirror.search.text import fold
from newsmirror.store import article as article_format
from newsmirror.store.base import Store

T = TypeVar("T")
SearchFiles = SqliteSearch | ShardedSearch
SEARCH_TODO = "search"
SEARCH_NAME = "search.sqlite"
_BATCH = 500
_BUILD_BATCH = 2500  # articles a first build reads and inserts in one transaction


def mark_of(known: KnownArticle) -> str:
    if known.state.removed_ms is not None:
        return "✗"
    return "✎" if known.state.edited_ms is not None else ""


def docs_for(root: Path, found: Sequence[KnownArticle]) -> Iterator[SearchDoc]:
    """The search docs of these articles, read from their files (a file gone or not ours is
    left out)."""
    for known in found:
        article = known.article
        if article.variant_of is not None:
            continue
        full = os.path.join(root, article.path)
        try:
            info = os.stat(full)
            with open(full, encoding="utf-8") as handle:
                parsed = article_format.parse(handle.read())
        except (OSError, UnicodeDecodeError, ArticleFormatError):
            continue
        yield SearchDoc(
            article.path,
            article.site,
            article.published_ms,
            parsed.title,
            "\n".join(paragraphs(parsed.body)),
            mark_of(known),
            f"{info.st_mtime_ns}|{info.st_size}",
        )


def sync(
    root: Path,
    store: Store,
    index: SearchFiles,
    progress: Callable[[int, int], None] = lambda done, total: None,
) -> int:
    """Bring the index up to the store; the articles indexed."""
    if index.count() == 0 or index.needs_rebuild():
        index.clear()
        paths = sorted(store.all_paths())
        step = _BUILD_BATCH
        batches = (store.known_paths(paths[i : i + step]) for i in range(0, len(paths), step))
        done = build(index, batches, partial(_read_and_tokenize, str(root)), len(paths), progress)
        with store.transaction():
            store.clear_todo(SEARCH_TODO, store.todo(SEARCH_TODO))
        return done
    paths = sorted(set(store.todo(SEARCH_TODO)))
    done = 0
    gone = set(paths)
    for start in range(0, len(paths), _BATCH):
        found = store.known_paths(paths[start : start + _BATCH])
        gone -= {k.article.path for k in found}
        index.put(docs_for(root, found))
        done += len(found)
        progress(min(start + _BATCH, len(paths)), len(paths))
    if gone:
        index.remove(gone)
    with store.transaction():
        store.clear_todo(SEARCH_TODO, paths)
    return done


def build(
    index: SearchFiles,
    batches: Iterable[Sequence[T]],
    work: Callable[[Sequence[T]], list[Tokenized]],
    total: int,
    progress: Callable[[int, int], None] = lambda done, total: None,
) -> int:
    """Index every batch into an index just cleared. Each of two other processes takes one of
    the index's files, and reads, tokenizes (`work`) and inserts the batches it is given into
    that file: FTS5's inserts are most of a build, and two files written at once build about
    twice as fast as one process inserting what the others tokenized. A batch is one
    transaction, and so one FTS5 segment: bigger batches leave FTS5 less merging to do. At most
    a few batches wait at once, so memory stays small however big the archive."""
    files = index.shard_paths
    workers = max(1, min(len(files), os.cpu_count() or 1))
    claims: multiprocessing.queues.Queue = multiprocessing.Queue()
    for path in files[:workers]:
        claims.put(str(path))
    done = 0
    pool = ProcessPoolExecutor(workers, initializer=_claim_file, initargs=(claims,))
    try:
        waiting: deque = deque()
        for batch in batches:
            waiting.append(pool.submit(_index_into_claimed, work, batch))
            if len(waiting) > 2 * workers:
                done += waiting.popleft().result()
                progress(done, total)
        while waiting:
            done += waiting.popleft().result()
            progress(done, total)
    except BaseException:
        pool.shutdown(cancel_futures=True)
        raise
    pool.shutdown()
    index.finish_build()
    return done


_CLAIMED: list[SqliteSearch] = []  # (in a build's process: the file it writes)


def _claim_file(claims: multiprocessing.queues.Queue) -> None:
    _CLAIMED.append(SqliteSearch(Path(claims.get())))


def _index_into_claimed(work: Callable[[Sequence[T]], list[Tokenized]], batch: Sequence[T]) -> int:
    rows = work(batch)
    _CLAIMED[-1].put_new(rows)
    return len(rows)


def tokenized_batch(root: str, found: Sequence[KnownArticle]) -> list[Tokenized]:
    """A build's batch: the articles' files read and their texts tokenized."""
    return [tokenized(doc) for doc in docs_for(Path(root), found)]


_read_and_tokenize = tokenized_batch  # (what a build runs; a test replaces it)


def snippet(root: Path, path: str, terms: Sequence[str], width: int = 60) -> str:
    """A piece of the article's text around the first term found, terms in 【】."""
    try:
        parsed = article_format.parse((root / path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ArticleFormatError):
        return ""
    text = " ".join(paragraphs(parsed.body))
    folded = fold(text)
    if len(folded) != len(text):  # (a fold that changed lengths: positions do not carry)
        folded = text.casefold() if len(text.casefold()) == len(text) else text
    spots = [i for term in terms if (i := folded.find(term)) >= 0]
    start = max(0, min(spots) - width // 3) if spots else 0
    piece, folded_piece = text[start : start + width], folded[start : start + width]
    marked, i = [], 0
    while i < len(piece):
        term = next((t for t in terms if t and folded_piece.startswith(t, i)), None)
        if term:
            marked.append(f"【{piece[i : i + len(term)]}】")
            i += len(term)
        else:
            marked.append(piece[i])
            i += 1
    more = "…" if start + width < len(text) else ""
    return ("…" if start else "") + "".join(marked) + more
