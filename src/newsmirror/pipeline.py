"""One pass of the mirror: sources → fetch → parse → clean → decide → write → index → publish.

Each source is processed as soon as its feed arrives; whatever goes wrong with one source is
recorded as its outcome and never stops the others.
"""

from __future__ import annotations

import hashlib
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path

from newsmirror.clean.entry import identify, with_clean_body
from newsmirror.config import Config, Site
from newsmirror.errors import ParseError
from newsmirror.fetch.http import FetchPolicy, Request, fetch_all
from newsmirror.health import HOUR_MS, SourceHealth, is_due, schedule_after
from newsmirror.mirror import Mirror, ReindexReport
from newsmirror.parse import parse_feed
from newsmirror.publish import git
from newsmirror.publish.pages import list_path
from newsmirror.publish.status import STATUS_PATH
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
    recovered: int = 0
    stale: tuple[str, ...] = ()

    @property
    def new_articles(self) -> int:
        return sum(len(o.written) for o in self.outcomes)

    @property
    def failures(self) -> list[SourceOutcome]:
        return [o for o in self.outcomes if not o.ok]

    @property
    def waiting(self) -> list[SourceOutcome]:
        return [o for o in self.outcomes if o.skipped_until_ms is not None]


def run_pass(
    mirror: Mirror, commit: bool = True, push: bool = False, force: bool = False, wait: float = 0
) -> PassReport:
    """One pass. `force` asks every source, even those backing off or still fresh; `wait` is
    how long to wait for another run's lock before giving up."""
    started = time.monotonic()
    with mirror.lock(wait):
        mirror.check_writable()
        index, reindexed = mirror.fresh_index()
        with index:
            recovered = mirror.recover(index)
            outcomes = _archive_all(mirror, index, force)
            healths = mirror.healths(index)
            changed = _publish(mirror, index, healths)
            committed = False
            is_repo = git.is_repo(mirror.root)
            if commit and changed and is_repo:
                git.clear_stale_locks(mirror.root)  # a killed git leaves them; git then refuses
                committed = git.commit(mirror.root, changed, commit_message(mirror, outcomes))
                if committed and push:
                    git.push(mirror.root)
            with index.transaction():
                if commit or not is_repo:  # committed, or nothing to commit to
                    index.clear_todo("commit", changed)
                index.set_meta("head", mirror.current_head() or "")
            mirror.finished(index)
            stale = tuple(h.site.slug for h in healths if h.stale)
    sites = {s.slug: s for s in mirror.config.sites}
    return PassReport(
        tuple(outcomes),
        tuple(changed),
        committed,
        time.monotonic() - started,
        reindexed,
        sites,
        recovered,
        stale,
    )


def _archive_all(mirror: Mirror, index: Index, force: bool = False) -> list[SourceOutcome]:
    """Fetch and archive every enabled source that is due (over several processes for large
    mirrors), then make the files durable and record everything in one transaction."""
    config = mirror.config
    now_ms = int(time.time() * 1000)
    sites, states, waiting = [], {}, []
    for site in config.sites:
        if not site.enabled:
            continue
        state = current_state(site, index.source(site.slug))
        if force or state is None or is_due(state, now_ms):
            sites.append(site)
            states[site.slug] = state
        else:
            waiting.append(_waiting(site, state))
    shards = plan_shards(sites, worker_count(config.workers, len(sites)))
    outcomes = run_shards(
        shards,
        here=lambda shard: archive_sources(mirror, index, shard, states, now_ms),
        child=partial(_archive_in_child, mirror.root, config, states=states, now_ms=now_ms),
        failed=lambda shard, exc: [_internal_failure(s, exc) for s in shard],
    )
    mirror.writer.sync()  # one sync for the pass: files are durable before the index has them
    by_slug = {s.slug: s for s in config.sites}
    with index.transaction():
        for outcome in outcomes:
            index.add_articles(outcome.written)
            index.record_outcome(outcome, now_ms, by_slug[outcome.slug].url)
        if not any(o.error_kind in _JOURNAL_LEFT for o in outcomes):
            index.clear_pending()  # every journaled file of this pass is written and indexed
        index.add_todo("list", {o.slug for o in outcomes if o.written})
        index.add_todo("commit", (a.path for o in outcomes for a in o.written))
    return outcomes + waiting


# Failures after which journaled files may exist that no outcome lists (a worker that died, an
# exception or a full disk half-way through a source): the next pass's recovery sorts them out.
_JOURNAL_LEFT = frozenset({"internal", "write"})


def _waiting(site: Site, state: SourceState) -> SourceOutcome:
    fetched = Fetched(site.slug, state.url)
    return SourceOutcome(
        site.slug,
        fetched,
        skipped_until_ms=state.next_fetch_ms,
        wait_reason=state.wait_reason,
    )


def _archive_in_child(
    root: Path,
    config: Config,
    shard: list[Site],
    states: dict[str, SourceState | None],
    now_ms: int,
) -> list:
    mirror = Mirror(root, config)
    with mirror.open_index() as index:  # its own connection: the parent's is not shared
        return archive_sources(mirror, index, shard, states, now_ms)


def current_state(site: Site, state: SourceState | None) -> SourceState | None:
    """A source's recorded state, unless it belongs to another URL than the configured one:
    a new `url` starts afresh (no validators, no failures, no schedule). The state of an index
    from before moves were recorded knows only `url`, which was then the configured one."""
    if state is None or (state.config_url or state.url) != site.url:
        return None
    return state


def archive_sources(
    mirror: Mirror,
    index: Index,
    sites: list[Site],
    states: dict[str, SourceState | None],
    now_ms: int,
) -> list[SourceOutcome]:
    """Fetch these sources concurrently and archive each one's new items as it arrives.
    `states` holds each source's `current_state`."""
    config = mirror.config
    by_slug = {site.slug: site for site in sites}
    requests = [_request(site, states[site.slug]) for site in sites]
    policy = FetchPolicy(
        config.concurrency,
        config.timeout,
        config.max_bytes,
        per_host=config.per_host,
        connect_timeout=config.connect_timeout,
    )
    ceiling_ms = int(config.retry_ceiling_hours * HOUR_MS)
    outcomes: list[SourceOutcome] = []

    def on_result(fetched: Fetched) -> None:
        site = by_slug[fetched.slug]
        state = states[site.slug]
        try:
            outcome = process_source(mirror, index, site, fetched, state, now_ms)
        except Exception as exc:  # a bug or an input we did not foresee: one source fails
            outcome = _internal_failure(site, exc, fetched)
        failures = state.failures if state is not None else 0
        plan = schedule_after(fetched, outcome.ok, failures, now_ms, ceiling_ms, random.random())
        outcomes.append(
            replace(
                outcome,
                fetched=replace(fetched, body=None),  # free the body
                next_fetch_ms=plan.next_fetch_ms,
                wait_reason=plan.reason,
            )
        )

    fetch_all(requests, policy, on_result)
    return outcomes


def _internal_failure(
    site: Site, exc: BaseException, fetched: Fetched | None = None
) -> SourceOutcome:
    fetched = fetched or Fetched(site.slug, site.url)
    error = f"{type(exc).__name__}: {exc}"
    return SourceOutcome(site.slug, fetched, error_kind="internal", error=error)


def _request(site: Site, state: SourceState | None) -> Request:
    """Ask where the source now lives (a permanent redirect may have moved it), with its
    validators."""
    if state is None:
        return Request(site.slug, site.url)
    return Request(site.slug, state.url or site.url, state.etag, state.last_modified)


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
        feed = parse_feed(fetched.body, fetched.content_type)
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
    feed_url = fetched.final_url or fetched.url  # relative links are relative to this
    candidates = [c for e in entries if (c := identify(e, site, feed_url, now_ms)) is not None]
    known = index.known(
        site.slug, [c.key_hash for c in candidates], [c.link_key for c in candidates]
    )
    fresh = new_candidates(candidates, known)
    if not fresh:
        return []
    fresh = [with_clean_body(c) for c in fresh]  # only new articles pay for cleaning
    offset = mirror.config.offset_minutes
    wanted = [date_path(site.slug, c.article.published_ms, c.key_hash, offset) for c in fresh]
    lowest = index.lowest_flat_id(site.slug) if site.layout == "flat" else None
    placed = place(site, fresh, offset, lowest, index.taken_paths(wanted), wanted)
    archived = [_archived(site, path, c) for path, c in placed]
    index.add_pending(archived)  # journal first: a crash after this leaves nothing unknown
    for path, candidate in placed:
        mirror.writer.write(path, article_format.render(candidate.article))
    return archived


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


def _publish(mirror: Mirror, index: Index, healths: list[SourceHealth]) -> list[str]:
    """Rewrite the lists of sites that got articles (in this pass or in one that was
    interrupted), the README and status.md when they changed; every path to commit."""
    owed = set(index.todo("list"))
    to_commit = []
    for site in mirror.config.sites:
        if site.slug in owed:
            mirror.write_list(index, site)  # owed to git even when unchanged by this pass
            to_commit.append(list_path(site))
    lists_changed = bool(to_commit)
    if mirror.write_readme():
        to_commit.append("README.md")
    if mirror.write_status(index, healths, force=lists_changed):
        to_commit.append(STATUS_PATH)
    with index.transaction():
        index.add_todo("commit", to_commit)
        index.clear_todo("list", owed)
    return index.todo("commit")


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
        if any(not o.ok for o in outcomes):
            subject = "Update source status"
    failed = [o for o in outcomes if not o.ok]
    lines = [subject]
    if failed:
        lines += ["", f"{len(failed)} source(s) failed:"]
        lines += [
            f"- {names.get(o.slug, o.slug)} ({o.slug}): {o.error_kind}: {o.error}" for o in failed
        ]
    return "\n".join(lines) + "\n"
