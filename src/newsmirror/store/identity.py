"""Pure decisions: which candidates are new, and which file each new one becomes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from newsmirror.records import Candidate


@dataclass(frozen=True, slots=True)
class Known:
    """What the index already holds for one site, restricted to the keys asked about."""

    key_hashes: frozenset[str]
    link_keys: frozenset[str]


def new_candidates(candidates: Iterable[Candidate], known: Known) -> list[Candidate]:
    """Candidates matching no archived article (by guid hash or canonical link) and no
    earlier candidate of the same feed, oldest first (the order they are numbered in)."""
    seen_hashes, seen_links = set(known.key_hashes), set(known.link_keys)
    fresh: list[Candidate] = []
    for candidate in candidates:
        if candidate.key_hash in seen_hashes or (
            candidate.link_key and candidate.link_key in seen_links
        ):
            continue
        seen_hashes.add(candidate.key_hash)
        if candidate.link_key:
            seen_links.add(candidate.link_key)
        fresh.append(candidate)
    fresh.sort(key=lambda c: c.article.published_ms)
    return fresh
