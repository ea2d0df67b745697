"""Pure decisions: which candidates are new, and which file each new one becomes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from newsmirror.config import Site
from newsmirror.records import Candidate, Known
from newsmirror.store.layout import date_path, flat_path


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


FIRST_FLAT_ID = 0xFFFFF - 1  # where the old system started a new folder


def place(
    site: Site,
    fresh: list[Candidate],
    offset_minutes: int,
    lowest_flat_id: int | None,
    taken: set[str],
    wanted: list[str] | None = None,
) -> list[tuple[str, Candidate]]:
    """The path each new candidate (oldest first) is written to.

    A flat site continues below its lowest id, numerically, while ids above 0 remain; otherwise
    (and for date sites) the date layout, with `-2`, `-3`... should a path already be `taken`.
    `wanted` may hold the first-choice date paths, already computed by the caller.
    """
    if site.layout == "flat":
        next_id = FIRST_FLAT_ID if lowest_flat_id is None else lowest_flat_id - 1
        if next_id - len(fresh) + 1 >= 1:
            return [(flat_path(site.slug, next_id - i), c) for i, c in enumerate(fresh)]
    used = set(taken)
    placed: list[tuple[str, Candidate]] = []
    for i, candidate in enumerate(fresh):
        published, key = candidate.article.published_ms, candidate.key_hash
        n = 1
        path = wanted[i] if wanted else date_path(site.slug, published, key, offset_minutes)
        while path in used:
            n += 1
            path = date_path(site.slug, published, key, offset_minutes, n)
        used.add(path)
        placed.append((path, candidate))
    return placed


def skip_notes(skipped: Mapping[str, int]) -> tuple[str, ...]:
    """What the operator is told about items left out, by reason."""
    return tuple(f"{_count(n, 'item', 'items')} skipped: {reason}" for reason, n in skipped.items())


def cut_notes(cuts: Mapping[str, int]) -> tuple[str, ...]:
    """What the operator is told about bodies cut short, by reason."""
    return tuple(f"{_count(n, 'body', 'bodies')} cut: {why}" for why, n in cuts.items())


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"
