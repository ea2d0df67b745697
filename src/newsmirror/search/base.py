"""What search needs, as records and one small interface: an embedded SQLite FTS5 index
implements it (`search.sqlite`); an external engine for a mirror that outgrows one machine
would implement the same, and pass the same contract tests."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class SearchDoc:
    """One article as the index takes it: its visible text, not its HTML."""

    path: str
    site: str
    published_ms: int
    title: str
    text: str
    mark: str = ""  # ✎ edited, ✗ removed upstream
    stamp: str = ""  # what it was indexed from: another stamp, and it is indexed again


@dataclass(frozen=True, slots=True)
class Query:
    text: str
    site: str | None = None
    since_ms: int | None = None
    until_ms: int | None = None  # exclusive
    limit: int = 20
    offset: int = 0


@dataclass(frozen=True, slots=True)
class Hit:
    path: str
    site: str
    published_ms: int
    title: str
    mark: str
    in_title: bool  # the query matched the title (these come first)


@dataclass(frozen=True, slots=True)
class Results:
    hits: tuple[Hit, ...]
    terms: tuple[str, ...]  # the folded terms, for highlighting
    more: bool  # more hits after these


class SearchIndex(Protocol):
    def put(self, docs: Iterable[SearchDoc]) -> None:
        """Index these articles (an article indexed before is replaced)."""

    def remove(self, paths: Iterable[str]) -> None: ...

    def stamps(self) -> dict[str, str]:
        """{path: stamp} of every indexed article."""

    def set_marks(self, marks: dict[str, str]) -> None:
        """Change articles' marks without indexing their text again."""

    def search(self, query: Query) -> Results:
        """Title matches first, newest first; then body matches, newest first."""

    def count(self) -> int: ...

    def clear(self) -> None:
        """Empty the index for a build from the archive (`needs_rebuild` until it is done)."""

    def finish_build(self) -> None:
        """The build from the archive is done."""

    def needs_rebuild(self) -> bool:
        """The index should be built from the archive again (a build cut short, say)."""

    def close(self) -> None: ...
