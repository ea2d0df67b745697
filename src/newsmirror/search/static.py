"""The static site's search index: files a browser reads with plain requests (`search.js`), made
so that one query downloads little and answers at once however big the mirror.

Articles are numbered oldest first, by publication time; the numbers fall into ranges of
`RANGE` articles. For each range the postings (which articles hold a token: the same tokens as
the SQLite index, `search.text`) are split over `shards` files by a key of the token, its first
character for a CJK pair and its first two for a word, so that the pairs a character starts and
the words a prefix starts are in one file. A query reads, newest range first, the shard of each
of its keys, intersects, and fetches the few articles it shows (their text makes the snippet and
confirms a phrase, whose pairs must also be in order): a common word is answered from the newest
range alone. New articles, the common change, land in the newest range, so an update of the site
rewrites a few files of it, not the index.

Layout under the site's `search/`:
- `index.json`: {"version", "docs", "range", "shards"};
- `fold.json`: the single characters OpenCC writes otherwise in Simplified, and their forms;
- `r/<range>/<shard>.bin`: little-endian u32 length of a JSON list of [token, count], that list
  (padded to an even length), then each token's local numbers (u16, ascending), in list order;
- `d/<number // 1000>/<number>.json`: {"u": page, "t": title, "s": site, "d": date, "m": mark,
  "x": text}.
"""

from __future__ import annotations

import json
import os
import sys
import zlib
from array import array
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from newsmirror.clean.fingerprint import _changed_chars, to_simplified
from newsmirror.records import KnownArticle
from newsmirror.search.sync import docs_for
from newsmirror.search.text import tokens
from newsmirror.store.files import AtomicWriter

VERSION = 1
RANGE = 8192  # articles a range holds (its local numbers fit in 16 bits)
SHARD_BYTES = 48 * 1024  # what a shard of a full range holds on average, about
FOLDER = "search"
SCRIPT = Path(__file__).with_name("static.js")  # the page's search, copied to the site
_BATCH = 500


@dataclass(frozen=True, slots=True)
class StaticDoc:
    """An article as the static search shows it, with its tokens (sorted, each once)."""

    published_ms: int
    path: str
    page: str  # the article's page, relative to the site's root
    title: str
    site: str  # the site's name
    when: str
    mark: str
    text: str
    tokens: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class StaticReport:
    docs: int
    files: int  # files of the index
    written: int  # of which written (the others were as they were)
    removed: int  # files of an earlier index that it no longer has


def key(token: str) -> str:
    """What places a token in its shard: a pair's first character, a word's first two."""
    return token[:1] if token[:1] >= "\u3040" else token[:2]


def shard_of(token: str, shards: int) -> int:
    return zlib.crc32(key(token).encode("utf-8")) % shards


def shard_count(postings: int) -> int:
    """Shards for a range of this many postings: a power of two that keeps them near
    `SHARD_BYTES` (two bytes a posting)."""
    shards = 1
    while postings * 2 > shards * SHARD_BYTES and shards < 4096:
        shards *= 2
    return shards


def encode_shard(lists: dict[str, array]) -> bytes:
    """One shard: its tokens and counts as JSON, then their numbers (see the module's text)."""
    names = sorted(lists)
    header = json.dumps(
        [[name, len(lists[name])] for name in names], ensure_ascii=False, separators=(",", ":")
    ).encode("utf-8")
    if len(header) % 2:
        header += b" "
    numbers = array("H")
    for name in names:
        numbers.extend(lists[name])
    if sys.byteorder != "little":  # (u16 little-endian on disk)
        numbers.byteswap()
    return len(header).to_bytes(4, "little") + header + numbers.tobytes()


def decode_shard(data: bytes) -> dict[str, list[int]]:
    """The lists of a shard (for tests and tools; browsers read it in `search.js`)."""
    size = int.from_bytes(data[:4], "little")
    names = json.loads(data[4 : 4 + size])
    numbers = array("H")
    numbers.frombytes(data[4 + size :])
    if sys.byteorder != "little":
        numbers.byteswap()
    lists, at = {}, 0
    for name, count in names:
        lists[name] = numbers[at : at + count].tolist()
        at += count
    return lists


def fold_table() -> dict[str, str]:
    """Single characters and their Simplified forms, for folding a query in the browser the
    way `search.text.fold` folds it here (character by character: a query is short)."""
    changed = _changed_chars()
    simplified = to_simplified("\n".join(changed)).split("\n")
    return {c: s for c, s in zip(changed, simplified, strict=True) if len(s) == 1}


def write_index(
    writer: AtomicWriter, docs: Iterable[StaticDoc], count: int, progress: Callable[[int], None]
) -> StaticReport:
    """Write the index of `docs` (oldest first, `count` of them) under `FOLDER/`; files of an
    earlier index that this one does not have are removed."""
    wanted: set[str] = set()
    written = 0

    def put(relpath: str, data: bytes) -> None:
        nonlocal written
        wanted.add(relpath)
        written += writer.write_bytes_if_changed(relpath, data)

    shards = 0
    range_docs: list[StaticDoc] = []
    number = 0
    for doc in docs:
        range_docs.append(doc)
        if len(range_docs) == RANGE:
            shards = shards or shard_count(sum(len(d.tokens) for d in range_docs))
            _write_range(put, number // RANGE, range_docs, number, shards)
            number += len(range_docs)
            range_docs = []
            progress(number)
    if range_docs:
        shards = shards or shard_count(sum(len(d.tokens) for d in range_docs))
        _write_range(put, number // RANGE, range_docs, number, shards)
        number += len(range_docs)
        progress(number)
    about = {"version": VERSION, "docs": number, "range": RANGE, "shards": max(shards, 1)}
    put(f"{FOLDER}/index.json", json.dumps(about).encode("utf-8"))
    put(f"{FOLDER}/fold.json", json.dumps(fold_table(), ensure_ascii=False).encode("utf-8"))
    removed = _remove_others(writer.root / FOLDER, {w.removeprefix(f"{FOLDER}/") for w in wanted})
    return StaticReport(number, len(wanted), written, removed)


def _write_range(
    put: Callable[[str, bytes], None], k: int, docs: list[StaticDoc], first: int, shards: int
) -> None:
    lists: dict[str, array] = defaultdict(lambda: array("H"))
    for local, doc in enumerate(docs):
        for token in doc.tokens:
            lists[token].append(local)
        put(f"{FOLDER}/d/{(first + local) // 1000}/{first + local}.json", _doc_json(doc))
    by_shard: dict[int, dict[str, array]] = defaultdict(dict)
    for token, numbers in lists.items():
        by_shard[shard_of(token, shards)][token] = numbers
    for shard in range(shards):
        put(f"{FOLDER}/r/{k}/{shard}.bin", encode_shard(by_shard.get(shard, {})))


def _doc_json(doc: StaticDoc) -> bytes:
    shown = {"u": doc.page, "t": doc.title, "s": doc.site, "d": doc.when, "m": doc.mark}
    shown["x"] = doc.text
    return json.dumps(shown, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _remove_others(folder: Path, wanted: set[str]) -> int:
    removed = 0
    for parent, _, names in os.walk(folder):
        for name in names:
            full = Path(parent) / name
            if full.relative_to(folder).as_posix() not in wanted:
                full.unlink()
                removed += 1
    return removed


# --- reading the archive, in other processes ---------------------------------------------


def static_docs(
    root: Path,
    batches: Iterable[Sequence[KnownArticle]],
    shown: Callable[[KnownArticle], tuple[str, str, str]],
) -> Iterator[StaticDoc]:
    """The docs of every batch (in order), read and tokenized in two other processes.
    `shown(known)` gives an article's page, its site's name and its date as the site shows
    them (made here: the workers need only the files)."""
    workers = max(1, min(2, os.cpu_count() or 1))
    with ProcessPoolExecutor(max_workers=workers) as pool:
        waiting = []
        for batch in batches:
            extra = {k.article.path: (*shown(k), k) for k in batch}
            waiting.append((pool.submit(_read, str(root), list(batch)), extra))
            if len(waiting) > 2 * workers:
                yield from _finish(*waiting.pop(0))
        for future, extra in waiting:
            yield from _finish(future, extra)


def _finish(future, extra: dict) -> Iterator[StaticDoc]:  # type: ignore[no-untyped-def]
    for path, title, text, mark, toks in future.result():
        page, site, when, known = extra[path]
        yield StaticDoc(known.article.published_ms, path, page, title, site, when, mark, text, toks)


def _read(root: str, found: list[KnownArticle]) -> list[tuple]:
    return [
        (d.path, d.title, d.text, d.mark, tuple(sorted(set(tokens(d.title + "\n" + d.text)))))
        for d in docs_for(Path(root), found)
    ]
