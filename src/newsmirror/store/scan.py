"""Reading the archive files back: the only input of a full index rebuild."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from newsmirror.clean.entry import key_hash
from newsmirror.clean.urls import link_key
from newsmirror.errors import ArticleFormatError
from newsmirror.records import ArchivedArticle
from newsmirror.store import article
from newsmirror.store.layout import ARTICLES, flat_id_of, key_hash_of

_HEAD_BYTES = 8192


@dataclass(frozen=True, slots=True)
class Unreadable:
    path: str
    reason: str


def article_paths(root: Path) -> Iterator[str]:
    """Every `.md` file under articles/, as a '/'-separated path relative to the mirror."""
    base = root / ARTICLES
    for folder, dirs, files in os.walk(base):
        dirs.sort()
        rel = os.path.relpath(folder, root).replace(os.sep, "/")
        for name in sorted(files):
            if name.endswith(".md"):
                yield f"{rel}/{name}"


def read_archived(root: Path, path: str, site: str) -> ArchivedArticle:
    """The index record of one article file (reads only its header when it can)."""
    with open(os.path.join(root, path), "rb") as handle:
        head = handle.read(_HEAD_BYTES)
        try:
            header = article.parse_header(head.decode("utf-8", "ignore"))
            if header is None:
                text = (head + handle.read()).decode("utf-8")
                parsed = article.parse(text)
                header = (parsed.published_ms, parsed.title, parsed.url)
        except UnicodeDecodeError as exc:
            raise ArticleFormatError(f"not UTF-8: {exc}") from exc
    published_ms, title, url = header
    key = link_key(url) if url.startswith(("http://", "https://")) else ""
    return ArchivedArticle(
        site=site,
        path=path,
        published_ms=published_ms,
        title=title,
        url=url,
        key_hash=key_hash_of(path) or key_hash(key or path),
        link_key=key,
        flat_id=flat_id_of(path),
    )
