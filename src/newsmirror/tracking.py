"""Following archived stories through a feed reading: the pass's hands for the decisions of
`decide.stories`. Known items that changed are edits (the file rewritten in place, the
earlier text kept as a version); unknown items may be re-issues of a story (an edit too, under
a new identity) or its copy in another script (archived as a variant); stories gone from the
feed before their time are marked removed. Everything the index must record comes back as
`StoryUpdate`s; the only files written are the edited articles.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from newsmirror.clean.fingerprint import body_hash, entry_hash, features, paragraphs
from newsmirror.clean.text import js_trim
from newsmirror.config import Site
from newsmirror.decide import stories
from newsmirror.errors import ArticleFormatError
from newsmirror.records import (
    ArchivedArticle,
    Article,
    Candidate,
    Change,
    Enrichment,
    KnownArticle,
    StoryState,
    StoryUpdate,
    Version,
)
from newsmirror.store import article as article_format
from newsmirror.store.base import Store
from newsmirror.store.files import AtomicWriter


@dataclass(frozen=True, slots=True)
class Sorted:
    """A feed's candidates against the index: the known ones by path (and whether an alias
    named them), and the rest."""

    known: dict[str, tuple[Candidate, bool]]
    unknown: list[Candidate]


def sort_out(index: Store, site: Site, candidates: Sequence[Candidate]) -> Sorted:
    hashes = [c.key_hash for c in candidates]
    links = [c.link_key for c in candidates]
    names = index.identities(site.slug, hashes, links)
    known: dict[str, tuple[Candidate, bool]] = {}
    unknown = []
    for candidate in candidates:
        hit = names.get(("k", candidate.key_hash)) or (
            names.get(("l", candidate.link_key)) if candidate.link_key else None
        )
        if hit is None:
            unknown.append(candidate)
        elif hit[0] not in known:
            known[hit[0]] = (candidate, hit[1])
    return Sorted(known, unknown)


def raw_hash(candidate: Candidate) -> str:
    """The item as sent: what must differ before anything is cleaned and compared."""
    entry = candidate.entry
    if entry is None:
        return entry_hash(candidate.article.title, candidate.link_key, candidate.article.body)
    return entry_hash(
        js_trim(entry.title),
        candidate.link_key,
        entry.content,
        *entry.other_bodies,
        entry.media_body,
    )


def text_of(candidate: Candidate) -> stories.StoryText:
    """A cleaned candidate as stories are compared."""
    fingerprint, chars, traditional = features(candidate.article.title, candidate.article.body)
    return stories.StoryText(
        title=candidate.article.title,
        fingerprint=fingerprint,
        chars=chars,
        traditional=traditional,
        published_ms=candidate.article.published_ms,
    )


def with_features(state: StoryState, title: str, body: str) -> StoryState:
    """A story's state with the fingerprint, length and script of this text."""
    fingerprint, chars, traditional = features(title, body)
    return replace(state, fingerprint=fingerprint, text_chars=chars, traditional=traditional)


def state_for_new(
    path: str,
    candidate: Candidate,
    sent: str,
    now_ms: int,
    variant_of: str | None,
    text: stories.StoryText | None = None,
) -> StoryState:
    """The state of a story archived now (`sent`: the `raw_hash` of its item; `text`: its
    `text_of`, when already known)."""
    text = text or text_of(candidate)
    return StoryState(
        path,
        entry_hash=sent,
        text_hash=body_hash(candidate.article.body),
        fingerprint=text.fingerprint,
        traditional=text.traditional,
        text_chars=text.chars,
        archived_ms=now_ms,
        seen_ms=now_ms,
        variant_of=variant_of,
    )


class Tracker:
    """One feed reading's story work for one site."""

    def __init__(
        self,
        index: Store,
        site: Site,
        root_read: Callable[[str], str],
        writer: AtomicWriter | None,
        prepare: Callable[[Candidate], Candidate],
        now_ms: int,
        owe: Callable[[str, Candidate], Enrichment | None] = lambda path, c: None,
    ) -> None:
        self.index = index
        self.site = site
        self.read = root_read
        self.writer = writer  # None: a dry run, nothing written
        self.prepare = prepare
        self.now_ms = now_ms
        self.owe = owe  # the work an edited body is owed (its page, its pictures)
        self.updates: list[StoryUpdate] = []
        self.owed: list[Enrichment] = []
        self.sent: dict[str, str] = {}  # raw hashes of the items, by key hash, before cleaning
        self.seen: list[str] = []  # stories seen again as they were (their `seen_ms` is now)
        self.present: set[str] = set()
        self.texts: dict[str, stories.StoryText] = {}  # unknown items' texts, by key hash

    # --- known items ----------------------------------------------------------------

    def follow(self, known: dict[str, tuple[Candidate, bool]]) -> None:
        """Known items: seen again, edited, back after a removal."""
        self.present |= set(known)
        for candidate, _ in known.values():
            self.sent[candidate.key_hash] = raw_hash(candidate)
        for found in self.index.known_paths(sorted(known)):
            candidate, by_alias = known[found.article.path]
            self._follow_one(found, candidate, by_alias)

    def _follow_one(self, found: KnownArticle, candidate: Candidate, by_alias: bool) -> None:
        state = replace(found.state, seen_ms=self.now_ms)
        change = None
        if state.removed_signal == "feed":  # back in its feed (a 404 stays evidence)
            state = stories.restored(state)
            change = Change(
                self.site.slug, found.article.path, "restored", self.now_ms, found.article.title
            )
        sent = self.sent[candidate.key_hash]
        row = found.article if change is not None else None  # back: its pages change
        if by_alias or sent == found.state.entry_hash:
            if change is None and found.state.entry_hash is not None:
                self.seen.append(found.article.path)  # the common case: only seen again
            else:
                self.updates.append(
                    StoryUpdate(replace(state, entry_hash=sent), row, change=change)
                )
            return
        ready = self.prepare(candidate)
        new_hash = body_hash(ready.article.body)
        if found.state.entry_hash is None and found.state.text_hash is None:
            # From before histories: this reading is the baseline, not an edit.
            self.updates.append(
                StoryUpdate(replace(state, entry_hash=sent, text_hash=new_hash), row, change=change)
            )
            return
        changed = stories.changes_of(found, ready.article.title, ready.link_key, new_hash)
        state = replace(state, entry_hash=sent)
        if not changed:
            self.updates.append(StoryUpdate(replace(state, text_hash=new_hash), row, change=change))
            return
        self.updates.append(self._edit(found, state, ready, changed, new_hash))

    # --- unknown items --------------------------------------------------------------

    def note_sent(self, candidates: Sequence[Candidate]) -> None:
        """Remember how these (not yet cleaned) items were sent."""
        for candidate in candidates:
            self.sent.setdefault(candidate.key_hash, raw_hash(candidate))

    def recognise(self, fresh: list[Candidate]) -> tuple[list[Candidate], dict[str, str]]:
        """Unknown (cleaned) items that are re-issues become edits; the others stay new,
        with {key hash: the story} for those that are copies in another script — the story's
        path, or `#` and its key hash when it is new in this reading too (`placed_variants`)."""
        texts = {c.key_hash: text_of(c) for c in fresh}
        self.texts.update(texts)
        long_enough = [t for t in texts.values() if t.chars >= stories.SHORT_CHARS]
        if not long_enough:
            return fresh, {}
        start = min(t.published_ms for t in long_enough) - stories.WINDOW_MS
        end = max(t.published_ms for t in long_enough) + stories.WINDOW_MS + 1
        nearby = [
            self._with_fingerprint(k)
            for k in self.index.published_between(self.site.slug, start, end)
        ]
        still_new, variants = [], {}
        for candidate in fresh:
            text = texts[candidate.key_hash]
            match = stories.recognise(text, stories.close(text, nearby), self.present)
            if match is None:
                still_new.append(candidate)
                nearby.append(_unplaced(candidate, text))  # a copy may follow in this reading
                self.present.add(f"#{candidate.key_hash}")
            elif match.kind == "variant":
                variants[candidate.key_hash] = match.known.article.path
                still_new.append(candidate)
            else:
                self._reissued(match.known, candidate)
        return still_new, variants

    def _with_fingerprint(self, known: KnownArticle) -> KnownArticle:
        """A nearby story with its fingerprint, computed from its file when the index has
        none yet (and kept, through an update)."""
        if known.state.fingerprint is not None:
            return known
        try:
            body = article_format.parse(self.read(known.article.path)).body
        except (OSError, UnicodeDecodeError, ArticleFormatError):
            return known
        state = with_features(known.state, known.article.title, body)
        self.updates.append(StoryUpdate(state))
        return replace(known, state=state)

    def _reissued(self, known: KnownArticle, candidate: Candidate) -> None:
        self.present.add(known.article.path)
        new_hash = body_hash(candidate.article.body)
        changed = stories.changes_of(known, candidate.article.title, candidate.link_key, new_hash)
        if "link" not in changed:
            changed = (*changed, "link")  # a new guid under the same link is a new identity
        sent = self.sent.get(candidate.key_hash, raw_hash(candidate))
        state = replace(known.state, seen_ms=self.now_ms, entry_hash=sent)
        aliases = (("k", candidate.key_hash),)  # its new guid (the new link is the row's)
        self.updates.append(self._edit(known, state, candidate, changed, new_hash, aliases))

    # --- edits ----------------------------------------------------------------------

    def _edit(
        self,
        found: KnownArticle,
        state: StoryState,
        ready: Candidate,
        changed: tuple[str, ...],
        new_hash: str,
        aliases: tuple[tuple[str, str], ...] = (),
    ) -> StoryUpdate:
        """Rewrite the article in place with what changed (a title edit keeps the body the
        file has, which may be a page's full text), and keep the text it replaces."""
        path = found.article.path
        try:
            old = article_format.parse(self.read(path))
            readable = True
        except (OSError, UnicodeDecodeError, ArticleFormatError):
            old = Article(found.article.published_ms, found.article.title, found.article.url, "")
            readable = False  # (a file gone or spoilt: the feed's text is all there is)
        new = Article(
            old.published_ms,
            ready.article.title if "title" in changed else old.title,
            ready.article.url if "link" in changed and ready.article.url else old.url,
            ready.article.body if "body" in changed or not readable else old.body,
        )
        old_hash = found.state.text_hash or body_hash(old.body)
        earlier = self.index.version_count(path)
        seen = found.state.edited_ms or found.state.archived_ms or found.article.published_ms
        version = Version(
            path,
            earlier + 1,
            seen,
            self.now_ms,
            changed,
            old_hash,
            new_hash,
            old.title,
            old.url,
            old.body,
        )
        if self.writer is not None:
            self.writer.write(path, article_format.render(new))
            if "body" in changed and (work := self.owe(path, ready)) is not None:
                self.owed.append(work)
        added, deleted = body_change(old.body, new.body) if "body" in changed else (0, 0)
        change = Change(
            self.site.slug,
            path,
            "edited",
            self.now_ms,
            new.title,
            old_title=old.title if "title" in changed else "",
            changed=changed,
            added=added,
            deleted=deleted,
        )
        row = replace(
            found.article,
            title=new.title,
            url=new.url,
            link_key=ready.link_key
            if "link" in changed and ready.link_key
            else found.article.link_key,
        )
        if "link" in changed and found.article.link_key and row.link_key != found.article.link_key:
            aliases = (*aliases, ("l", found.article.link_key))  # the old link still names it
        state = with_features(  # the story as it reads now, for its next re-issue
            replace(state, text_hash=new_hash, edited_ms=self.now_ms), new.title, new.body
        )
        return StoryUpdate(state, row, version, change, aliases)

    def written(
        self, placed: Sequence[tuple[str, Candidate]], variants: dict[str, str]
    ) -> list[StoryUpdate]:
        """The states of the stories archived now."""
        return [
            StoryUpdate(
                state_for_new(
                    path,
                    c,
                    self.sent[c.key_hash],
                    self.now_ms,
                    variants.get(c.key_hash),
                    self.texts.get(c.key_hash),
                )
            )
            for path, c in placed
        ]

    # --- removals -------------------------------------------------------------------

    def dropouts(self, last_seen_ms: int | None, feed_published: Sequence[int]) -> None:
        """Stories the last reading saw that this one does not, though older items stay."""
        if last_seen_ms is None:
            return
        missing = [
            p for p in self.index.seen_at(self.site.slug, last_seen_ms) if p not in self.present
        ]
        before = self.index.known_paths(missing) if missing else []
        for gone in stories.dropped(before, self.present, feed_published):
            state = stories.removed(gone.state, self.now_ms, "feed", None)
            change = Change(
                self.site.slug,
                gone.article.path,
                "removed",
                self.now_ms,
                gone.article.title,
                signal="feed",
            )
            self.updates.append(StoryUpdate(state, gone.article, change=change))


def body_change(old: str, new: str) -> tuple[int, int]:
    """(characters added, characters removed) between two bodies' visible texts, white
    space not counted: paragraphs compared first, characters only within those that differ
    (a long body costs little)."""
    a, b = ([_solid(p) for p in paragraphs(body)] for body in (old, new))
    added = deleted = 0
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "replace":
            x, y = "".join(a[i1:i2]), "".join(b[j1:j2])
            for op2, k1, k2, m1, m2 in difflib.SequenceMatcher(
                None, x, y, autojunk=False
            ).get_opcodes():
                deleted += k2 - k1 if op2 in ("replace", "delete") else 0
                added += m2 - m1 if op2 in ("replace", "insert") else 0
        elif op == "delete":
            deleted += sum(len(p) for p in a[i1:i2])
        elif op == "insert":
            added += sum(len(p) for p in b[j1:j2])
    return added, deleted


def _solid(text: str) -> str:
    return "".join(text.split())


def _unplaced(candidate: Candidate, text: stories.StoryText) -> KnownArticle:
    """A story new in this reading, as the next items of it are compared with (its path is
    not known yet: `#` and its key hash stand for it)."""
    article = ArchivedArticle(
        "",
        f"#{candidate.key_hash}",
        text.published_ms,
        text.title,
        candidate.article.url,
        candidate.key_hash,
        candidate.link_key,
    )
    state = StoryState(
        article.path,
        fingerprint=text.fingerprint,
        traditional=text.traditional,
        text_chars=text.chars,
    )
    return KnownArticle(article, state)


def placed_variants(
    variants: dict[str, str], placed: Sequence[tuple[str, Candidate]]
) -> dict[str, str]:
    """Copies' stories by path, now that the stories new in this reading have theirs."""
    paths = {f"#{c.key_hash}": path for path, c in placed}
    return {
        key: paths.get(of, of)
        for key, of in variants.items()
        if not of.startswith("#") or of in paths
    }


def with_variant(article: ArchivedArticle, variants: dict[str, str]) -> ArchivedArticle:
    of = variants.get(article.key_hash)
    return replace(article, variant_of=of) if of else article
