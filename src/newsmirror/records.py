"""Frozen records that cross the boundaries between pipeline stages."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Request:
    """One thing to fetch. Every kind (a feed, an article page, an image, a link being checked)
    goes through the same per-host limits, deadlines, redirect rules, body limits and failure
    classes; `kind` decides the per-pass budget it counts against and what it accepts."""

    key: str  # the caller's name for it (a source's slug, an article's path...)
    url: str
    etag: str | None = None  # validators of a conditional request
    last_modified: str | None = None
    kind: str = "feed"  # feed, page, image, check
    referer: str | None = None  # the page that links to it (image hosts may ask for one)
    max_bytes: int | None = None  # instead of the policy's, e.g. smaller for images
    accept: str | None = None  # the Accept header, instead of the kind's
    # Content types accepted (prefixes such as "image/"): an answer of another type fails
    # with kind `type`, and its body is not read. Empty: anything.
    types: tuple[str, ...] = ()
    method: str = "GET"  # or HEAD (a link check): the answer's status and headers, no body


@dataclass(frozen=True, slots=True)
class Fetched:
    """What the fetch stage hands on for one request: a body, or why there is none."""

    key: str  # the request's key (a source's slug, for a feed)
    url: str
    body: bytes | None = None
    status: int = 0
    content_type: str = ""
    etag: str | None = None
    last_modified: str | None = None
    not_modified: bool = False
    error_kind: str | None = None
    error: str | None = None
    started_ms: int = 0
    elapsed_ms: int = 0
    # The URL a chain of permanent redirects (301/308 only) ended at, if any.
    moved_to: str | None = None
    # The URL the body came from after any redirects (None: `url` itself); relative links in
    # the feed are relative to it.
    final_url: str | None = None
    # Epoch ms before which the publisher asked not to be asked again: Retry-After on 429/503.
    retry_after_ms: int | None = None
    # Epoch ms until which the answer is fresh: Cache-Control max-age or Expires.
    fresh_until_ms: int | None = None

    @property
    def ok(self) -> bool:
        return self.error_kind is None


@dataclass(frozen=True, slots=True)
class FeedEntry:
    """One item of a feed, as the parser read it (nothing cleaned yet)."""

    title: str
    link: str
    guid: str
    published_ms: int | None
    content: str  # the body the feed ranks first (full text before summary)
    categories: tuple[str, ...] = ()
    base: str = ""  # xml:base in force for this entry, if any
    # Other bodies the item offers, in the feed's order of preference after `content` (a
    # description or summary): the fullest one is archived.
    other_bodies: tuple[str, ...] = ()
    # A body made of Media RSS fields (a thumbnail and media:description), which is often only
    # a picture's caption: archived when it holds clearly more than the item's own bodies.
    media_body: str = ""
    # The publisher's own URL of the story when the item says so (feedburner:origLink).
    original_link: str = ""
    # False when the date named no zone: it is then in the feed's zone, which the parser
    # cannot know (`published_ms` reads it as UTC).
    zoned: bool = True


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    format: str
    entries: tuple[FeedEntry, ...]
    recovered: bool = False
    language: str = ""  # the feed's declared language (<language>, xml:lang, "language")


@dataclass(frozen=True, slots=True)
class Article:
    """An article as the archive file holds it: the four fields of the format."""

    published_ms: int
    title: str
    url: str
    body: str


@dataclass(frozen=True, slots=True)
class Candidate:
    """A cleaned feed entry with its identity, ready for the new-or-known decision.

    While `body_base` is set, the body is not chosen and cleaned yet: that (the costly part)
    waits until the candidate turns out to be new. `article.body` is then the feed's first body
    and `bodies` all it offers (`FeedEntry` order: content, other bodies, media body);
    `body_base` is what their relative URLs resolve against.
    """

    article: Article
    key_hash: str
    link_key: str
    body_base: str | None = None
    cut: str | None = None  # why the body was cut short (over a size or nesting limit)
    entry: FeedEntry | None = None  # the entry, while its body is still to be chosen


@dataclass(frozen=True, slots=True)
class Skipped:
    """A feed entry that is not archived, and why. `quiet`: as configured (a filter), not
    worth a note."""

    reason: str
    quiet: bool = False


@dataclass(frozen=True, slots=True)
class ArchivedArticle:
    """One archived article as the index records it."""

    site: str
    path: str
    published_ms: int
    title: str
    url: str
    key_hash: str
    link_key: str
    flat_id: int | None = None
    variant_of: str | None = None  # the article this is a copy of in another script


@dataclass(frozen=True, slots=True)
class StoryState:
    """What the index knows of an archived article's story besides its file: the hashes that
    tell an edit from noise, its fingerprint, when it was seen, checked, edited or removed,
    and the article it is another script's copy of. Hashes and fingerprints are None until
    first needed (an index rebuilt from the files computes them then)."""

    path: str
    entry_hash: str | None = None  # of the feed item as sent (noise included): "no change"
    text_hash: str | None = None  # of the title and steady body (`clean.fingerprint`)
    fingerprint: int | None = None  # SimHash of the visible text, Simplified
    traditional: bool = False
    text_chars: int = 0  # visible characters of the body
    archived_ms: int | None = None  # when this mirror first archived it
    seen_ms: int | None = None  # the last pass whose feed held it
    checked_ms: int | None = None  # the last check of its link
    edited_ms: int | None = None
    variant_of: str | None = None  # as the article's (kept here too: a rebuild restores it)
    removed_ms: int | None = None
    removed_signal: str | None = None  # "feed" (dropped from its feed) or "link" (404/410)
    removed_status: int | None = None


@dataclass(frozen=True, slots=True)
class KnownArticle:
    """An archived article with its story state: what edits and re-issues are judged on."""

    article: ArchivedArticle
    state: StoryState


@dataclass(frozen=True, slots=True)
class Version:
    """An earlier text of an article, as it was until an edit replaced it. Versions are
    numbered from 1 (the text first archived); the file holds the one after the last."""

    path: str
    n: int
    seen_ms: int  # when this text was first seen
    replaced_ms: int  # when the edit that replaced it was seen
    changed: tuple[str, ...]  # what the edit changed: "title", "body", "link"
    old_hash: str
    new_hash: str
    title: str
    url: str
    body: str


@dataclass(frozen=True, slots=True)
class Change:
    """One event a changes page lists: an article edited, removed, or back after a removal."""

    site: str
    path: str
    kind: str  # "edited", "removed", "restored"
    ms: int
    title: str  # the article's title now
    old_title: str = ""  # an edit of the title: what it was
    changed: tuple[str, ...] = ()
    added: int = 0  # characters of the body added and removed by an edit
    deleted: int = 0
    signal: str = ""  # a removal's: "feed" or "link"
    status: int | None = None  # the HTTP status a removal was seen with


@dataclass(frozen=True, slots=True)
class StoryUpdate:
    """What a pass learned about one archived story, for the index to record (a file that
    changed is written already): its state, and after an edit its new row, the version it
    replaced, the change to list, and the identities that also name it now."""

    state: StoryState
    article: ArchivedArticle | None = None
    version: Version | None = None
    change: Change | None = None
    # Identities that name it now besides its own row's: ("k", key hash) or ("l", link key).
    aliases: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class SourceOutcome:
    """What a pass did for one source."""

    slug: str
    fetched: Fetched
    written: tuple[ArchivedArticle, ...] = ()
    seen: int = 0
    error_kind: str | None = None
    error: str | None = None
    body_hash: str | None = None
    unchanged: bool = False
    # Not asked this pass: the source is not due before this time (backoff or freshness).
    skipped_until_ms: int | None = None
    # When to ask next, and why not sooner (None: at the next pass).
    next_fetch_ms: int | None = None
    wait_reason: str | None = None
    # What the operator should know about the items: items skipped and why, bodies cut.
    notes: tuple[str, ...] = ()
    # Work owed on the articles written: pages to read, pictures to mirror.
    owed: tuple[Enrichment, ...] = ()
    # What the feed told of stories archived before (and the state of those written now),
    # and the stories it held as they were (seen again, nothing else to record).
    updates: tuple[StoryUpdate, ...] = ()
    seen_again: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.error_kind is None


@dataclass(frozen=True, slots=True)
class SourceState:
    """What is known of one source between passes: where it is fetched, its validators, its
    failures and schedule. Decided by `decide.sources.next_state`, kept by the store."""

    slug: str
    url: str  # where it is fetched now (its configured URL, or where it moved)
    last_attempt_ms: int | None = None
    last_success_ms: int | None = None
    last_error_ms: int | None = None
    last_error_kind: str | None = None
    last_error: str | None = None
    failures: int = 0  # in a row
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None  # of the last body read in full, with the site's settings
    config_url: str | None = None  # the configured URL this state belongs to
    first_attempt_ms: int | None = None
    last_new_ms: int | None = None  # the last pass that archived an article from it
    next_fetch_ms: int | None = None  # None: at the next pass
    wait_reason: str | None = None
    moved_from: str | None = None
    moved_ms: int | None = None


@dataclass(frozen=True, slots=True)
class ListEntry:
    """One article as a list page shows it: `mark` is "✎" (edited) or "✗" (removed upstream),
    `variants` the paths of its copies in another script."""

    path: str
    published_ms: int
    title: str
    mark: str = ""
    variants: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RenderedEntry:
    """One article as the feeds out carry it, rendered once: its Atom `<entry>` and its JSON
    Feed item, in UTF-8 as the feed files hold them (a cold pass's feeds are 140 MB: kept as
    bytes, they are neither decoded from the store nor encoded again for the files). `stamp`
    names what it was rendered from (the file's state, where the mirror is published, the
    site), so that a cached entry is used only while that still holds."""

    path: str
    stamp: str
    published_ms: int
    atom: bytes
    json: bytes


@dataclass(frozen=True, slots=True)
class Known:
    """What the store already holds for one site, restricted to the keys asked about."""

    key_hashes: frozenset[str]
    link_keys: frozenset[str]


@dataclass(frozen=True, slots=True)
class FetchRecord:
    """One fetch of a source, as its history keeps it."""

    started_ms: int
    elapsed_ms: int
    status: int
    outcome: str  # fetched, unchanged, not-modified, failed
    error_kind: str | None
    error: str | None
    items: int
    new_items: int
    notes: str | None = None


@dataclass(frozen=True, slots=True)
class Enrichment:
    """The work owed on one archived article after it is written: its page to read for the
    full text, its pictures to mirror. Decided by `decide.enrich`, kept by the store.

    `page` and `images` are each "" (nothing to do), "owed", "done" or "failed" (given up
    after `attempts`); `page` may also be "kept" (the page held no fuller text: the feed's body
    stays). `body_from` says where the archived body came from: "feed" or "page"."""

    path: str
    site: str
    url: str  # the article's link: the page read for its full text, the pictures' Referer
    page: str = ""
    images: str = ""
    attempts: int = 0
    next_ms: int = 0
    error: str = ""
    body_from: str = "feed"

    @property
    def owed(self) -> bool:
        return "owed" in (self.page, self.images)


@dataclass(frozen=True, slots=True)
class Asset:
    """A picture stored in the mirror (`assets/<2 hex>/<sha256>.<ext>`), as downloaded from
    `url`: the bytes it had and the bytes stored (after re-encoding, if it was too large)."""

    url: str
    path: str
    media_type: str
    original_bytes: int
    stored_bytes: int
    width: int
    height: int


@dataclass(frozen=True, slots=True)
class RemoteState:
    """How pushing to one `[[remote]]` home has gone: decided by `decide.remotes`, kept by the
    store (as meta), shown in status.md."""

    name: str
    url: str
    last_success_ms: int | None = None
    last_error_ms: int | None = None
    last_error: str = ""
    failures: int = 0  # in a row
    next_ms: int = 0  # not tried again before this
