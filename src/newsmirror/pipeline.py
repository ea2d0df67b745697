"""One pass of the mirror: sources → fetch → parse → clean → decide → write → index → publish.

Each source is processed as soon as its feed arrives; whatever goes wrong with one source is
recorded as its outcome and never stops the others.
"""

from __future__ import annotations

import hashlib
import random
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path

from newsmirror.clean.entry import feed_zone_minutes, identify, with_clean_body
from newsmirror.config import Config, Site
from newsmirror.decide.enrich import owed_for
from newsmirror.decide.health import SourceHealth, all_failing
from newsmirror.decide.items import cut_notes, new_candidates, place, skip_notes
from newsmirror.decide.remotes import after_push, push_due
from newsmirror.decide.schedule import HOUR_MS, heartbeat_due, schedule_after
from newsmirror.decide.sources import (
    asked_now,
    current_state,
    next_state,
    request_for,
    unchanged,
)
from newsmirror.enrich.stage import EnrichReport, enrich_articles, finish_body
from newsmirror.errors import ParseError
from newsmirror.events import Observer, PassPlanned, SourceFinished, SourceStarted, Stage, ignore
from newsmirror.fetch.http import FetchPolicy, fetch_all
from newsmirror.mirror import Mirror, ReindexReport, copy_index
from newsmirror.parse import parse_feed
from newsmirror.publish.archive import MONTH_TODO, months_owed
from newsmirror.publish.changes import CHANGES_TODO
from newsmirror.publish.commits import commit_message
from newsmirror.publish.digests import DAY_TODO, days_owed
from newsmirror.publish.site import healths, is_derived
from newsmirror.publish.status import STATUS_PATH, remote_state_from, remote_state_text
from newsmirror.rechecks import recheck
from newsmirror.records import (
    ArchivedArticle,
    Candidate,
    Enrichment,
    Fetched,
    Known,
    ParsedFeed,
    Request,
    SourceOutcome,
    SourceState,
    StoryUpdate,
)
from newsmirror.repo import git, remote
from newsmirror.repo.remote import PushResult
from newsmirror.search.sync import SEARCH_TODO, sync
from newsmirror.store import article as article_format
from newsmirror.store import files, history, rebuild, recovery
from newsmirror.store.base import Store
from newsmirror.store.layout import date_path, flat_id_of
from newsmirror.tracking import Tracker, placed_variants, sort_out, with_variant
from newsmirror.workers import child_observer, plan_shards, run_shards, worker_count


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
    # Every enabled source is failing after this pass (a scheduler should alert at once).
    all_failing: bool = False
    push: PushResult | None = None
    notes: tuple[str, ...] = ()  # things the operator should know (a repository created...)
    heartbeat: bool = False  # the commit only keeps a quiet mirror's schedule alive
    dry_run: bool = False
    enriched: EnrichReport | None = None  # pages read and pictures stored
    homes: tuple[tuple[str, PushResult | None], ...] = ()  # [[remote]]s: None = not due

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
    mirror: Mirror,
    commit: bool = True,
    push: bool = False,
    force: bool = False,
    wait: float = 0,
    observer: Observer = ignore,
) -> PassReport:
    """One pass. `force` asks every source in full, even those backing off, still fresh or
    unchanged, and archives again what the index knows but the archive lacks; `wait` is how
    long to wait for another run's lock before giving up."""
    started = time.monotonic()
    notes: list[str] = []
    with mirror.lock(wait):
        mirror.check_writable()
        if mirror.replay_marker.exists():  # a run killed while replaying onto the remote's
            git.clear_stale_locks(mirror.root)
            remote.finish_replay(mirror.root, mirror.replay_marker)
        store, reindexed = mirror.fresh_index()
        with store:
            recovered = recovery.recover(store, mirror.archive)
            outcomes = _archive_all(mirror, store, force, observer)
            enriched = _enrich(mirror, store, notes, observer)
            _recheck(mirror, store, notes, observer)
            now_ms = _now_ms()
            found = healths(mirror.config, store, now_ms)
            observer(Stage("pages"))
            changed = mirror.pages.owed(store, found, now_ms)
            _update_search(mirror, store, notes)
            is_repo = commit and _can_commit(mirror.root, notes)
            committed, heartbeat = False, False
            if is_repo:
                observer(Stage("commit"))
                committed, heartbeat = _commit(mirror, store, changed, outcomes, found, now_ms)
            with store.transaction():
                if is_repo or not git.is_repo(mirror.root):  # committed, or nowhere to commit
                    store.clear_todo("commit", changed)
                store.set_meta("head", git.head_of(mirror.root) or "")
            pushed, homes = None, ()
            if push and is_repo:
                observer(Stage("push"))
                pushed = _push(mirror, store, committed)
                homes = _push_homes(mirror, store, _now_ms())
            recovery.finished(store)
            stale = tuple(h.site.slug for h in found if h.stale)
            failing = all_failing(found)
    return PassReport(
        tuple(outcomes),
        tuple(changed),
        committed,
        time.monotonic() - started,
        reindexed,
        {s.slug: s for s in mirror.config.sites},
        recovered,
        stale,
        failing,
        pushed,
        tuple(notes),
        heartbeat,
        enriched=enriched,
        homes=homes,
    )


def dry_run(mirror: Mirror, force: bool = False, observer: Observer = ignore) -> PassReport:
    """Fetch what a pass would fetch and decide what it would archive, writing nothing: the
    index is read from a copy (rebuilt there from the files if it has to be), no file, state
    or commit changes. `written` in the outcomes is what would be written."""
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="newsmirror-dry-run-") as temp:
        view = mirror.with_state_dir(Path(temp))
        copy_index(mirror.index_path, view.index_path)
        store, reindexed = view.fresh_index()
        with store:
            outcomes = _archive_all(view, store, force, observer, dry=True)
    return PassReport(
        tuple(outcomes),
        (),
        False,
        time.monotonic() - started,
        reindexed,
        {s.slug: s for s in mirror.config.sites},
        dry_run=True,
    )


def _commit(
    mirror: Mirror,
    store: Store,
    changed: list[str],
    outcomes: Sequence[SourceOutcome],
    found: list[SourceHealth],
    now_ms: int,
) -> tuple[bool, bool]:
    """Commit the pass's paths with a message counting what the commit holds; with nothing
    to commit for `heartbeat_days`, commit status.md anyway (a heartbeat), so that a schedule
    which stops after weeks without activity (GitHub's) keeps running. (committed, heartbeat)"""
    root = mirror.root
    git.clear_stale_locks(root)  # a killed git leaves them; git then refuses to work
    heartbeat = False
    days = mirror.config.heartbeat_days
    git.stage(root, changed)  # (pages asked for but unchanged stage nothing)
    staged = git.staged(root)
    if not staged and heartbeat_due(git.last_commit_ms(root), now_ms, days):
        mirror.pages.write_status(store, found, now_ms, force=True)
        git.stage(root, [STATUS_PATH])
        staged, heartbeat = git.staged(root), True
    if not staged and not heartbeat:
        return False, False
    message = commit_message(mirror.config, mirror.site_of, staged, outcomes, heartbeat)
    # A heartbeat commits even when status.md came out the same: activity is what counts.
    return git.commit_staged(root, message, allow_empty=heartbeat), heartbeat


def _can_commit(root: Path, notes: list[str]) -> bool:
    committable, note = git.make_committable(root)
    notes += [note] if note else []
    return committable


def _now_ms() -> int:
    return int(time.time() * 1000)


def _push(mirror: Mirror, store: Store, committed: bool) -> PushResult | None:
    """Push what this pass (or an earlier one that could not push) committed; None when the
    remote already has everything."""
    root = mirror.root
    if not committed and not remote.has_unpushed(root):
        return None

    def refresh() -> list[str]:  # after replaying onto someone else's commits
        if not rebuild.catch_up(store, mirror.archive):
            rebuild.reindex(store, mirror.archive)
        return mirror.pages.rewrite(store, _now_ms())

    result = remote.publish(root, refresh, is_derived, mirror.replay_marker)
    with store.transaction():
        store.set_meta("head", git.head_of(root) or "")
    return result


def _enrich(
    mirror: Mirror, store: Store, notes: list[str], observer: Observer
) -> EnrichReport | None:
    """The enrich stage, which never costs the pass: the articles are archived already, and
    if the stage fails (a bug, a full disk) its work stays owed for the next pass."""
    config = mirror.config
    try:
        return enrich_articles(
            mirror.root, config, store, fetch_policy(config), _now_ms(), observer
        )
    except Exception as exc:
        notes.append(
            f"completing articles failed ({type(exc).__name__}: {exc}); the work is kept and"
            " the next pass tries again"
        )
        return None


def _update_search(mirror: Mirror, store: Store, notes: list[str]) -> None:
    """Index what this pass wrote or changed, when the mirror has a search index (`search`,
    `serve` and `site` make it on first use); a failure costs the search, not the pass."""
    if not mirror.search_path.exists():
        with store.transaction():  # the first build will index everything anyway
            store.clear_todo(SEARCH_TODO, store.todo(SEARCH_TODO))
        return
    try:
        with mirror.open_search() as search:
            sync(mirror.root, store, search)
    except Exception as exc:
        notes.append(f"updating the search index failed ({type(exc).__name__}: {exc})")


def _recheck(mirror: Mirror, store: Store, notes: list[str], observer: Observer) -> None:
    """Check recent articles' links for removals; like enriching, it never costs the pass."""
    config = mirror.config
    if config.recheck_per_pass <= 0:
        return
    observer(Stage("recheck"))
    try:
        updates = recheck(config, store, fetch_policy(config), _now_ms())
        by_site: dict[str, list[StoryUpdate]] = {}
        for update in updates:
            if update.change is not None:
                by_site.setdefault(update.change.site, []).append(update)
        logged = [
            path
            for site, found in by_site.items()
            for path in history.append(mirror.root, mirror.writer, site, found)
        ]
        if logged:
            files.sync_filesystem(mirror.root)
        with store.transaction():
            for update in updates:
                _record_updates(store, [update], update.change.site if update.change else "")
            _owe_pages(store, mirror.config, [u for found in by_site.values() for u in found])
            store.add_todo("commit", logged)
    except Exception as exc:
        notes.append(f"checking links failed ({type(exc).__name__}: {exc}); next pass again")


def _push_homes(
    mirror: Mirror, store: Store, now_ms: int
) -> tuple[tuple[str, PushResult | None], ...]:
    """Push to every `[[remote]]` that is due; one failing never stops the others, and backs
    off (its state is in the store and in status.md)."""
    results = []
    for home in mirror.config.remotes:
        key = f"remote:{home.name}"
        state = remote_state_from(store.get_meta(key))
        if not push_due(state, now_ms):
            results.append((home.name, None))
            continue
        result = remote.push_home(mirror.root, home.url, home.branch)
        state = after_push(state, home.name, home.url, result.ok, result.error or "", now_ms)
        with store.transaction():
            store.set_meta(key, remote_state_text(state))
        results.append((home.name, result))
    return tuple(results)


@dataclass(frozen=True, slots=True)
class Asking:
    """How this pass asks its sources: `force` in full (no validators, no "unchanged"
    shortcut, known items checked against the files), `dry` without writing anything."""

    now_ms: int
    force: bool = False
    dry: bool = False


def _archive_all(
    mirror: Mirror,
    index: Store,
    force: bool = False,
    observer: Observer = ignore,
    dry: bool = False,
) -> list[SourceOutcome]:
    """Fetch and archive every enabled source that is due (over several processes for large
    mirrors), then make the files durable and record everything in one transaction."""
    config = mirror.config
    asking = Asking(int(time.time() * 1000), force, dry)
    sites, states, waiting = [], {}, []
    for site in config.sites:
        if not site.enabled:
            continue
        state = current_state(site, index.source(site.slug))
        if asked_now(state, asking.now_ms, force):
            sites.append(site)
            states[site.slug] = state
        else:
            waiting.append(_waiting(site, state))
    observer(PassPlanned(tuple(s.slug for s in sites), len(waiting)))
    workers = 1 if dry else worker_count(config.workers, len(sites))
    shards = plan_shards(sites, workers)
    outcomes = run_shards(
        shards,
        here=lambda shard: archive_sources(mirror, index, shard, states, asking, observer),
        child=partial(_archive_in_child, mirror.root, config, states=states, asking=asking),
        failed=lambda shard, exc: [_internal_failure(s, exc) for s in shard],
        observer=observer,
    )
    if dry:
        return outcomes + waiting
    observer(Stage("index"))
    # One sync for the pass, whichever process wrote the files: durable before the store has
    # them. A failure that may have left journaled files counts too (recovery reads them).
    logged = [
        path
        for o in outcomes
        if o.updates
        for path in history.append(mirror.root, mirror.writer, o.slug, o.updates)
    ]
    if logged or any(o.written or o.error_kind in _JOURNAL_LEFT for o in outcomes):
        files.sync_filesystem(mirror.root)
    by_slug = {s.slug: s for s in config.sites}
    with index.transaction():
        for outcome in outcomes:
            index.add_articles(outcome.written)
            site = by_slug[outcome.slug]
            index.put_source(next_state(states[site.slug], site, outcome, asking.now_ms))
            index.log_fetch(outcome, asking.now_ms)
            _record_stories(index, outcome, asking.now_ms)
        if not any(o.error_kind in _JOURNAL_LEFT for o in outcomes):
            index.clear_pending()  # every journaled file of this pass is written and indexed
        index.put_enrichments(item for o in outcomes for item in o.owed)
        written = [a for o in outcomes for a in o.written]
        _owe_pages(index, config, [u for o in outcomes for u in o.updates])
        index.add_todo("commit", logged)
        index.add_todo("list", {a.site for a in written})
        index.add_todo(MONTH_TODO, months_owed(written, config.offset_minutes))
        index.add_todo(DAY_TODO, days_owed(written, config.offset_minutes))
        index.add_todo("commit", (a.path for a in written))
        index.add_todo(SEARCH_TODO, (a.path for a in written))
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
    asking: Asking,
) -> list:
    mirror = Mirror(root, config)
    with mirror.open_index() as index:  # its own connection: the parent's is not shared
        return archive_sources(mirror, index, shard, states, asking, child_observer())


def fetch_policy(config: Config) -> FetchPolicy:
    return FetchPolicy(
        config.concurrency,
        config.timeout,
        config.max_bytes,
        per_host=config.per_host,
        connect_timeout=config.connect_timeout,
        host_limits=config.hosts,
    )


def archive_sources(
    mirror: Mirror,
    index: Store,
    sites: list[Site],
    states: dict[str, SourceState | None],
    asking: Asking,
    observer: Observer = ignore,
) -> list[SourceOutcome]:
    """Fetch these sources concurrently and archive each one's new items as it arrives.
    `states` holds each source's `current_state`."""
    config = mirror.config
    by_slug = {site.slug: site for site in sites}
    requests = [request_for(site, states[site.slug], asking.force) for site in sites]
    ceiling_ms = int(config.retry_ceiling_hours * HOUR_MS)
    outcomes: list[SourceOutcome] = []

    def on_result(fetched: Fetched) -> None:
        site = by_slug[fetched.key]
        state = states[site.slug]
        try:
            outcome = process_source(mirror, index, site, fetched, state, asking)
        except Exception as exc:  # a bug or an input we did not foresee: one source fails
            outcome = _internal_failure(site, exc, fetched)
        failures = state.failures if state is not None else 0
        now_ms = asking.now_ms
        plan = schedule_after(fetched, outcome.ok, failures, now_ms, ceiling_ms, random.random())
        outcome = replace(
            outcome,
            fetched=replace(fetched, body=None),  # free the body
            next_fetch_ms=plan.next_fetch_ms,
            wait_reason=plan.reason,
        )
        outcomes.append(outcome)
        observer(SourceFinished(outcome))

    def on_start(request: Request) -> None:
        observer(SourceStarted(request.key, request.url))

    fetch_all(requests, fetch_policy(config), on_result, on_start)
    return outcomes


def _internal_failure(
    site: Site, exc: BaseException, fetched: Fetched | None = None
) -> SourceOutcome:
    fetched = fetched or Fetched(site.slug, site.url)
    error = f"{type(exc).__name__}: {exc}"
    return SourceOutcome(site.slug, fetched, error_kind="internal", error=error)


def process_source(
    mirror: Mirror,
    index: Store,
    site: Site,
    fetched: Fetched,
    state: SourceState | None,
    asking: Asking,
) -> SourceOutcome:
    """Archive what is new in one fetched feed; every failure becomes the outcome."""
    if not fetched.ok:
        return SourceOutcome(site.slug, fetched, error_kind=fetched.error_kind, error=fetched.error)
    if fetched.not_modified or fetched.body is None:
        return SourceOutcome(site.slug, fetched, unchanged=True)
    body_hash = _body_hash(site, fetched.body)
    if unchanged(state, body_hash, asking.force):
        return SourceOutcome(site.slug, fetched, unchanged=True, body_hash=body_hash)
    try:
        feed = parse_feed(fetched.body, fetched.content_type)
    except ParseError as exc:
        return SourceOutcome(site.slug, fetched, error_kind=exc.kind, error=str(exc))
    try:
        archived = _archive_new(mirror, index, site, fetched, feed, asking)
        written, notes, owed, updates, seen_again = archived
    except OSError as exc:
        return SourceOutcome(site.slug, fetched, error_kind="write", error=f"cannot write: {exc}")
    return SourceOutcome(
        site.slug,
        fetched,
        written=tuple(written),
        seen=len(feed.entries),
        body_hash=body_hash,
        notes=notes,
        owed=tuple(owed),
        updates=tuple(updates),
        seen_again=tuple(seen_again),
    )


def _body_hash(site: Site, body: bytes) -> str:
    """Same bytes under the same site settings: nothing to parse again."""
    digest = hashlib.sha1(repr(site).encode())
    digest.update(body)
    return digest.hexdigest()


def _archive_new(
    mirror: Mirror,
    index: Store,
    site: Site,
    fetched: Fetched,
    feed: ParsedFeed,
    asking: Asking,
) -> tuple[list[ArchivedArticle], tuple[str, ...], list[Enrichment], list[StoryUpdate], list[str]]:
    """Write the feed's new items and follow its known ones (edits, re-issues, copies in
    another script, removals); (what was written, notes on skipped items and cut bodies, the
    work owed on articles: pages to read, pictures to mirror, what the index must record of
    stories, and the paths of stories seen again as they were)."""
    feed_url = fetched.final_url or fetched.url  # relative links are relative to this
    zone = feed_zone_minutes(site, feed.language)
    candidates, skipped = [], Counter()
    for entry in feed.entries:
        found = identify(entry, site, feed_url, asking.now_ms, zone)
        if isinstance(found, Candidate):
            candidates.append(found)
        elif not found.quiet:
            skipped[found.reason] += 1
    notes = skip_notes(skipped)
    hashes, links = [c.key_hash for c in candidates], [c.link_key for c in candidates]
    if asking.force and not asking.dry:
        _forget_known_without_files(mirror, index, site, hashes, links)
    config = mirror.config
    images = config.images_of(site)
    entries = {c.key_hash: c.entry for c in candidates}

    def prepare(candidate: Candidate) -> Candidate:
        ready = with_clean_body(candidate)  # only new and changed items pay for cleaning
        if config.strip_feedx_footer or images == "proxy":
            ready = _finished(ready, site, config)
        return ready

    def owe(path: str, c: Candidate) -> Enrichment | None:
        return owed_for(site, images, path, c.article.url, entries.get(c.key_hash), c.article.body)

    tracker = Tracker(
        index,
        site,
        lambda path: (mirror.root / path).read_text(encoding="utf-8"),
        None if asking.dry else mirror.writer,
        prepare,
        asking.now_ms,
        owe,
    )
    sorted_out = sort_out(index, site, candidates)
    tracker.follow(sorted_out.known)
    unknown = new_candidates(sorted_out.unknown, _NOTHING_KNOWN)
    tracker.note_sent(unknown)
    fresh = [prepare(c) for c in unknown]
    fresh, variants = tracker.recognise(fresh)
    tracker.dropouts(_last_seen(index, site), [c.article.published_ms for c in candidates])
    owed = list(tracker.owed)
    if not fresh:
        return [], notes, owed, tracker.updates, tracker.seen
    notes += cut_notes(Counter(c.cut for c in fresh if c.cut))
    offset = mirror.config.offset_minutes
    wanted = [date_path(site.slug, c.article.published_ms, c.key_hash, offset) for c in fresh]
    lowest = index.lowest_flat_id(site.slug) if site.layout == "flat" else None
    placed = place(site, fresh, offset, lowest, index.taken_paths(wanted), wanted)
    variants = placed_variants(variants, placed)
    archived = [with_variant(_archived(site, path, c), variants) for path, c in placed]
    if asking.dry:
        return archived, notes, [], [], []
    owed += [item for path, c in placed if (item := owe(path, c))]
    updates = tracker.updates + tracker.written(placed, variants)
    index.add_pending(archived)  # journal first: a crash after this leaves nothing unknown
    texts = [(path, article_format.render(candidate.article)) for path, candidate in placed]
    for path, text in texts:
        mirror.writer.write(path, text)
    mirror.pages.remember_feed_entries(index, site, texts)  # (here: in the worker, at hand)
    return archived, notes, owed, updates, tracker.seen


def _record_stories(index: Store, outcome: SourceOutcome, now_ms: int) -> None:
    """What a feed reading learned of stories, into the index (part of the pass's one
    transaction). A feed read in full marks when, for the next reading's dropped stories."""
    _record_updates(index, outcome.updates, outcome.slug)
    index.mark_seen(outcome.seen_again, now_ms)
    if outcome.ok and outcome.seen and not outcome.unchanged:
        index.set_meta(f"seen:{outcome.slug}", str(now_ms))


def _record_updates(index: Store, updates: Sequence[StoryUpdate], site: str) -> None:
    """Updates into the index, the rows of each kind in one statement (a cold pass has
    10,000 story states)."""
    index.add_articles(u.article for u in updates if u.article is not None)
    index.put_states(u.state for u in updates)
    for update in updates:
        if update.version is not None:
            index.add_version(update.version)
        if update.change is not None:
            index.add_change(update.change)
        for kind, value in update.aliases:
            index.add_alias(site, kind, value, update.state.path)


def _owe_pages(index: Store, config: Config, updates: Sequence[StoryUpdate]) -> None:
    """The pages that show these stories' marks: their lists, months, days, changes."""
    touched = [u.article for u in updates if u.article is not None]
    index.add_todo(CHANGES_TODO, {u.change.site for u in updates if u.change is not None})
    index.add_todo("list", {a.site for a in touched})
    index.add_todo(MONTH_TODO, months_owed(touched, config.offset_minutes))
    index.add_todo(DAY_TODO, days_owed(touched, config.offset_minutes))
    index.add_todo("commit", (a.path for a in touched))
    index.add_todo(SEARCH_TODO, (a.path for a in touched))


_NOTHING_KNOWN = Known(frozenset(), frozenset())  # (known items are sorted out before)


def _last_seen(index: Store, site: Site) -> int | None:
    """When the site's feed was last read in full (its stories then are in `seen_at`)."""
    value = index.get_meta(f"seen:{site.slug}")
    return int(value) if value else None


def _finished(candidate: Candidate, site: Site, config: Config) -> Candidate:
    article = replace(candidate.article, body=finish_body(candidate.article.body, site, config))
    return replace(candidate, article=article)


def _forget_known_without_files(
    mirror: Mirror, index: Store, site: Site, hashes: list[str], links: list[str]
) -> None:
    """`run --force`: an item the index knows but whose file is gone (deleted by hand, say)
    is forgotten, so that it is archived again."""
    paths = index.paths_of_known(site.slug, hashes, links)
    missing = [p for p in paths if not (mirror.root / p).exists()]
    if missing:
        with index.transaction():
            index.remove_paths(missing)


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
