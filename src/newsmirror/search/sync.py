"""Keeping the search index up to the archive: a full build when there is none (or too many
ghosts), and afterwards only the articles a pass wrote, edited or marked (`SEARCH_TODO`).
Copies in another script are not indexed: their story is, and folding finds either spelling.
"""

from __future__ import annotations

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
from newsmirror.search.sqlite import SqliteSearch, Tokenized, tokenized
from newsmirror.search.text import fold
from newsmirror.store import article as article_format
from newsmirror.store.base import Store

T = TypeVar("T")
SEARCH_TODO = "search"
SEARCH_NAME = "search.sqlite"
_BATCH = 500
_INSERT_ROWS = 5000  # rows a first build inserts in one transaction


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
    index: SqliteSearch,
    progress: Callable[[int, int], None] = lambda done, total: None,
) -> int:
    """Bring the index up to the store; the articles indexed."""
    if index.count() == 0 or index.needs_rebuild():
        index.clear()
        paths = sorted(store.all_paths())
        batches = (store.known_paths(paths[i : i + _BATCH]) for i in range(0, len(paths), _BATCH))
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
    index: SqliteSearch,
    batches: Iterable[Sequence[T]],
    work: Callable[[Sequence[T]], list[Tokenized]],
    total: int,
    progress: Callable[[int, int], None] = lambda done, total: None,
) -> int:
    """Index every batch into an index just cleared, `work` (reading, tokenizing) done in other
    processes while this one inserts: two cores build about twice as fast. At most a few
    batches wait at once, so memory stays small however big the archive. Results are inserted
    `_INSERT_ROWS` at a time: FTS5 writes a segment per transaction, and fewer, bigger segments
    leave it less merging to do (a first build inserts about twice as fast as by 500)."""
    done = 0
    workers = max(1, min(2, os.cpu_count() or 1))
    pending: list[Tokenized] = []

    def take(rows: list[Tokenized], last: bool = False) -> None:
        nonlocal done
        pending.extend(rows)
        if pending and (last or len(pending) >= _INSERT_ROWS):
            index.put_new(pending)
            done += len(pending)
            pending.clear()
            progress(done, total)

    with ProcessPoolExecutor(max_workers=workers) as pool:
        waiting: deque = deque()
        for batch in batches:
            waiting.append(pool.submit(work, batch))
            if len(waiting) > 2 * workers:
                take(waiting.popleft().result())
        while waiting:
            take(waiting.popleft().result())
    take([], last=True)
    index.finish_build()
    return done


def _read_and_tokenize(root: str, found: Sequence[KnownArticle]) -> list[Tokenized]:
    return [tokenized(doc) for doc in docs_for(Path(root), found)]


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
