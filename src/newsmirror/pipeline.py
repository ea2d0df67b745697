"""One pass of the mirror: sources → fetch → parse → clean → decide → write → index → publish.

Each source is processed as soon as its feed arrives; whatever goes wrong with one source is
recorded as its outcome and never stops the others.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path

from newsmirror.clean.entry import to_candidate
from newsmirror.config import Config, Site
from newsmirror.errors import ParseError
from newsmirror.fetch.http import FetchPolicy, Request, fetch_all
from newsmirror.mirror import Mirror, ReindexReport
from newsmirror.parse import parse_feed
from newsmirror.publish import git
from newsmirror.publish.pages import list_path
from newsmirror.records import ArchivedArticle, Candidate, Fetched, SourceOutcome
from newsmirror.store import article as article_format
from newsmirror.store.identity import new_candidates, place
from newsmirror.store.index import Index, SourceState
from newsmirror.store.layout import date_path, flat_id_of
from newsmirror.workers import plan_shards, run_shards, worker_count


@dataclass(frozen=True, slots=True)
class PassReport:
    outcomes: tuple[SourceOutcome, ...]
    changed_paths: tuple[str, ...]
    committed: bool
    seconds: float
    reindexed: ReindexReport | None = None
    sites: dict[str, Site] = field(default_factory=dict)

    @property
    def new_articles(self) -> int:
        return sum(len(o.written) for o in self.outcomes)

    @property
    def failures(self) -> list[SourceOutcome]:
        return [o for o in self.outcomes if not o.ok]


def run_pass(mirror: Mirror, commit: bool = True, push: bool = False) -> PassReport:
    started = time.monotonic()
    with mirror.lock():
        mirror.check_writable()
        index, reindexed = mirror.fresh_index()
        try:
            outcomes = _archive_all(mirror, index)
            changed = _publish(mirror, index, outcomes)
            committed = False
            if commit and changed and git.is_repo(mirror.root):
                committed = git.commit(mirror.root, changed, commit_message(mirror, outcomes))
                if committed and push:
                    git.push(mirror.root)
            with index.transaction():
                index.set_meta("head", mirror.current_head() or "")
        finally:
            index.close()
    sites = {s.slug: s for s in mirror.config.sites}
    return PassReport(
        tuple(outcomes), tuple(changed), committed, time.monotonic() - started, reindexed, sites
    )


def _archive_all(mirror: Mirror, index: Index) -> list[SourceOutcome]:
    """Fetch and archive every enabled source (over several processes for large mirrors),
    then make the files durable and record everything in the index in one transaction."""
    config = mirror.config
    sites = [s for s in config.sites if s.enabled]
    now_ms = int(time.time() * 1000)
    shards = plan_shards(sites, worker_count(config.workers, len(sites)))
    outcomes = run_shards(
        shards,
        here=lambda shard: archive_sources(mirror, index, shard, now_ms),
        child=partial(_archive_in_child, mirror.root, config, now_ms=now_ms),
        failed=lambda shard, exc: [_internal_failure(s, exc) for s in shard],
    )
    mirror.writer.sync()  # one sync for the pass: files are durable before the index has them
    with index.transaction():
        for outcome in outcomes:
            index.add_articles(outcome.written)
            index.record_outcome(outcome, now_ms)
    return outcomes


def _archive_in_child(root: Path, config: Config, shard: list[Site], now_ms: int) -> list:
    mirror = Mirror(root, config)
    index = mirror.open_index()  # its own connection: the parent's is not shared
    try:
        return archive_sources(mirror, index, shard, now_ms)
    finally:
        index.close()


def archive_sources(
    mirror: Mirror, index: Index, sites: list[Site], now_ms: int
) -> list[SourceOutcome]:
    """Fetch these sources concurrently and archive each one's new items as it arrives."""
    config = mirror.config
    by_slug = {site.slug: site for site in sites}
    states = {site.slug: index.source(site.slug) for site in sites}
    requests = [_request(site, states[site.slug]) for site in sites]
    policy = FetchPolicy(config.concurrency, config.timeout, config.max_bytes)
    outcomes: list[SourceOutcome] = []

    def on_result(fetched: Fetched) -> None:
        site = by_slug[fetched.slug]
        try:
            outcome = process_source(mirror, index, site, fetched, states[site.slug], now_ms)
        except Exception as exc:  # a bug or an input we did not foresee: one source fails
            outcome = _internal_failure(site, exc, fetched)
        outcomes.append(replace(outcome, fetched=replace(fetched, body=None)))  # free the body

    fetch_all(requests, policy, on_result)
    return outcomes


def _internal_failure(
    site: Site, exc: BaseException, fetched: Fetched | None = None
) -> SourceOutcome:
    fetched = fetched or Fetched(site.slug, site.url)
    error = f"{type(exc).__name__}: {exc}"
    return SourceOutcome(site.slug, fetched, error_kind="internal", error=error)


def _request(site: Site, state: SourceState | None) -> Request:
    if state is None or state.url != site.url:
        return Request(site.slug, site.url)
    return Request(site.slug, site.url, state.etag, state.last_modified)


def process_source(
    mirror: Mirror,
    index: Index,
    site: Site,
    fetched: Fetched,
    state: SourceState | None,
    now_ms: int,
) -> SourceOutcome:
    """Archive what is new in one fetched feed; every failure becomes the outcome."""
    if not fetched.ok:
        return SourceOutcome(site.slug, fetched, error_kind=fetched.error_kind, error=fetched.error)
    if fetched.not_modified or fetched.body is None:
        return SourceOutcome(site.slug, fetched, unchanged=True)
    body_hash = _body_hash(site, fetched.body)
    if state is not None and state.body_hash == body_hash and state.failures == 0:
        return SourceOutcome(site.slug, fetched, unchanged=True, body_hash=body_hash)
    try:
        feed = parse_feed(fetched.body)
    except ParseError as exc:
        kind = "not_a_feed" if str(exc).startswith("not a feed") else "unparsable"
        return SourceOutcome(site.slug, fetched, error_kind=kind, error=str(exc))
    try:
        written = _archive_new(mirror, index, site, fetched, feed.entries, now_ms)
    except OSError as exc:
        return SourceOutcome(site.slug, fetched, error_kind="write", error=f"cannot write: {exc}")
    return SourceOutcome(
        site.slug, fetched, written=tuple(written), seen=len(feed.entries), body_hash=body_hash
    )


def _body_hash(site: Site, body: bytes) -> str:
    """Same bytes under the same site settings: nothing to parse again."""
    digest = hashlib.sha1(repr(site).encode())
    digest.update(body)
    return digest.hexdigest()


def _archive_new(
    mirror: Mirror, index: Index, site: Site, fetched: Fetched, entries: Sequence, now_ms: int
) -> list[ArchivedArticle]:
    candidates = [
        c for e in entries if (c := to_candidate(e, site, fetched.url, now_ms)) is not None
    ]
    known = index.known(
        site.slug, [c.key_hash for c in candidates], [c.link_key for c in candidates]
    )
    fresh = new_candidates(candidates, known)
    if not fresh:
        return []
    offset = mirror.config.offset_minutes
    wanted = [date_path(site.slug, c.article.published_ms, c.key_hash, offset) for c in fresh]
    lowest = index.lowest_flat_id(site.slug) if site.layout == "flat" else None
    placed = place(site, fresh, offset, lowest, index.taken_paths(wanted), wanted)
    for path, candidate in placed:
        mirror.writer.write(path, article_format.render(candidate.article))
    return [_archived(site, path, c) for path, c in placed]


def _archived(site: Site, path: str, candidate: Candidate) -> ArchivedArticle:
    article = candidate.article
    return ArchivedArticle(
        site=site.slug,
        path=path,
        published_ms=article.published_ms,
        title=article.title,
        url=article.url,
        key_hash=candidate.key_hash,
        link_key=candidate.link_key,
        flat_id=flat_id_of(path),
    )


def _publish(mirror: Mirror, index: Index, outcomes: list[SourceOutcome]) -> list[str]:
    """Rewrite the lists of sites that got articles, and the README if it changed."""
    changed_sites = {o.slug for o in outcomes if o.written}
    changed = [a.path for o in outcomes for a in o.written]
    for site in mirror.config.sites:
        if site.slug in changed_sites and mirror.write_list(index, site):
            changed.append(list_path(site))
    if mirror.write_readme():
        changed.append("README.md")
    return changed


def commit_message(mirror: Mirror, outcomes: Sequence[SourceOutcome]) -> str:
    names = {s.slug: s.name for s in mirror.config.sites}
    total = sum(len(o.written) for o in outcomes)
    with_new = sorted((o for o in outcomes if o.written), key=lambda o: -len(o.written))
    subject = f"Archive {total} new article{'s' if total != 1 else ''}"
    if with_new:
        subject += " from " + ", ".join(
            f"{names.get(o.slug, o.slug)} {len(o.written)}" for o in with_new[:5]
        )
        if len(with_new) > 5:
            subject += f" and {len(with_new) - 5} more sites"
    if total == 0:
        subject = "Update mirror pages"
    failed = [o for o in outcomes if not o.ok]
    lines = [subject]
    if failed:
        lines += ["", f"{len(failed)} source(s) failed:"]
        lines += [
            f"- {names.get(o.slug, o.slug)} ({o.slug}): {o.error_kind}: {o.error}" for o in failed
        ]
    return "\n".join(lines) + "\n"
