"""A mirror on disk: its configuration, lock, index (kept fresh) and derived pages."""

from __future__ import annotations

import glob
import hashlib
import os
import re
import sqlite3
import time
from contextlib import AbstractContextManager, suppress
from dataclasses import dataclass
from pathlib import Path

from newsmirror import config as config_module
from newsmirror.config import Config, Site
from newsmirror.errors import ArticleFormatError, MirrorError
from newsmirror.health import HOUR_MS, SourceHealth, fingerprint, health_of
from newsmirror.publish.pages import LISTS, list_path, render_list, render_readme
from newsmirror.publish.status import STATUS_PATH, render_status
from newsmirror.repo import git, lock
from newsmirror.store import article as article_format
from newsmirror.store import scan
from newsmirror.store.files import AtomicWriter
from newsmirror.store.index import Index
from newsmirror.store.layout import ARTICLES, folder_of, is_article_name

STATE_DIR = ".newsmirror"
INDEX_NAME = "index.sqlite"
LOCK_NAME = "lock"
_BATCH = 2000
TEMP_NAME = re.compile(r"\.md\.\d+\.tmp$")  # what AtomicWriter leaves when it is killed


@dataclass(frozen=True, slots=True)
class ReindexReport:
    articles: int
    unreadable: tuple[scan.Unreadable, ...]
    seconds: float


class Mirror:
    def __init__(self, root: Path, config: Config, state_dir: Path | None = None) -> None:
        self.root = root
        self.config = config
        self.state_dir = state_dir or root / STATE_DIR
        self.writer = AtomicWriter(root)
        self._folder_site = {
            folder: site.slug for site in config.sites for folder in site.all_folders
        }

    @classmethod
    def open(cls, root: Path) -> Mirror:
        root = root.resolve()
        if not root.is_dir():
            raise MirrorError(f"{root} is not a directory")
        return cls(root, config_module.load(root / config_module.CONFIG_NAME))

    def with_state_dir(self, state_dir: Path) -> Mirror:
        """The same mirror with its index and lock elsewhere (a dry run's scratch copy)."""
        return Mirror(self.root, self.config, state_dir)

    @property
    def index_path(self) -> Path:
        return self.state_dir / INDEX_NAME

    @property
    def replay_marker(self) -> Path:
        """Exists while a push replays the mirror's commits on newer ones."""
        return self.state_dir / "replaying"

    def site_of(self, path: str) -> str:
        """The site an archived path belongs to (its folder's name when no site claims it)."""
        folder = folder_of(path)
        return self._folder_site.get(folder, folder)

    # --- lock ----------------------------------------------------------------------------

    def lock(self, wait: float = 0) -> AbstractContextManager[None]:
        """Hold the mirror's lock. A second run waits up to `wait` seconds for it, then gets
        LockedError; it never touches the mirror without the lock."""
        self._ensure_state_dir()
        return lock.hold(self.state_dir / LOCK_NAME, str(self.root), wait)

    def _ensure_state_dir(self) -> None:
        try:
            self.state_dir.mkdir(exist_ok=True)
            ignore = self.state_dir / ".gitignore"
            if not ignore.exists():  # the index never lands in git, whatever .gitignore says
                ignore.write_text("*\n", encoding="utf-8")
        except OSError as exc:
            raise MirrorError(f"cannot write to {self.state_dir}: {exc.strerror}") from exc
        inside = self.state_dir.parent == self.root  # not a dry run's scratch folder
        if inside and not os.access(self.root, os.W_OK):
            raise MirrorError(f"cannot write to {self.root}")

    def check_writable(self) -> None:
        """Fail before fetching anything when the archive cannot take new files."""
        folder = self.root / "articles"
        probe = folder / f".newsmirror-probe-{os.getpid()}"
        try:
            folder.mkdir(exist_ok=True)
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            raise MirrorError(f"cannot write to the archive {folder}: {exc.strerror}") from exc

    # --- index ---------------------------------------------------------------------------

    def open_index(self) -> Index:
        self._ensure_state_dir()
        return Index(self.index_path)

    def fresh_index(self) -> tuple[Index, ReindexReport | None]:
        """The index, made to describe exactly the files of this checkout: rebuilt from them
        when it is missing, of another schema or configuration, or made for a commit this
        repository does not have (a cached index in a fresh clone, after a push that was lost);
        caught up from the git diff when HEAD moved; and cleared of articles recorded by a run
        whose files this checkout does not have. Whatever it forgets, the feeds are asked for in
        full again (no validators, no "unchanged" shortcut), so that nothing stays lost."""
        index = self.open_index()
        if not index.is_current() or index.get_meta("folders") != self._folders_fingerprint():
            return index, self.reindex(index)
        if not self.catch_up(index):
            return index, self.reindex(index)
        self._forget_missing(index)
        return index, None

    def _folders_fingerprint(self) -> str:
        pairs = sorted(self._folder_site.items())
        return hashlib.sha1(repr(pairs).encode()).hexdigest()

    def catch_up(self, index: Index) -> bool:
        """Bring the index from the commit it was made for to HEAD, from the git diff; False
        when that cannot be done (an unknown commit: the index needs a rebuild)."""
        recorded = index.get_meta("head") or ""
        current = self.current_head()
        if not current or recorded == current:
            return True
        if not recorded or not git.has_commit(self.root, recorded):
            return False
        changes = git.changed_between(self.root, recorded, current, "articles")
        if changes is None:
            return False
        removed = [path for status, path in changes if status.startswith("D")]
        with index.transaction():
            gone_from = index.sites_of(removed)
            index.remove_paths(removed)
            for status, path in changes:
                if status.startswith("D") or not path.endswith(".md"):
                    continue
                try:
                    index.add_articles([scan.read_archived(self.root, path, self.site_of(path))])
                except (OSError, ArticleFormatError):
                    gone_from |= index.sites_of([path])
                    index.remove_paths([path])
            index.forget_validators(gone_from)
            index.set_meta("head", current)
        return True

    def _forget_missing(self, index: Index) -> None:
        """Articles a pass recorded but did not commit must be in this checkout's files; when
        they are not (the index came from another checkout, whose run was cut short or could
        not commit), the index forgets them and their feeds are read afresh."""
        owed = [p for p in index.todo("commit") if p.startswith(f"{ARTICLES}/")]
        missing = [p for p in owed if not os.path.exists(os.path.join(self.root, p))]
        if not missing:
            return
        with index.transaction():
            index.forget_validators(index.sites_of(missing))
            index.remove_paths(missing)
            index.clear_todo("commit", missing)

    def reindex(self, index: Index) -> ReindexReport:
        """Rebuild the index from the archive files alone. Each source's fetch state is kept,
        but not its validators: every feed is read in full once more, so that an item the
        index claimed without a file is archived again."""
        started = time.monotonic()
        index.reset()
        count, unreadable, batch = 0, [], []
        with index.transaction():
            for path in scan.article_paths(self.root):
                try:
                    batch.append(scan.read_archived(self.root, path, self.site_of(path)))
                except (OSError, ArticleFormatError) as exc:
                    unreadable.append(scan.Unreadable(path, str(exc)))
                if len(batch) >= _BATCH:
                    index.add_articles(batch)
                    count += len(batch)
                    batch = []
            index.add_articles(batch)
            count += len(batch)
            index.forget_validators(None)
            index.set_meta("folders", self._folders_fingerprint())
            index.set_meta("head", self.current_head() or "")
            index.set_meta("complete", "1")
        return ReindexReport(count, tuple(unreadable), time.monotonic() - started)

    def recover(self, index: Index) -> int:
        """Finish what an interrupted run left. Articles journaled before their files were
        written are indexed when the file is complete and removed when it is not; temporary
        files are removed; and article files the index does not know (their journal rows lost
        with a power cut) are indexed, so that nothing is archived twice. Returns the number
        of articles recovered."""
        interrupted = bool(index.get_meta("running"))
        if interrupted:
            self._remove_temp_files()
        # Durable before any file of this pass exists: after a power cut, the next pass knows
        # this one was interrupted even if every later index write was lost.
        index.set_meta_durably("running", str(os.getpid()))
        recovered = self._recover_journal(index)
        if interrupted:
            recovered += self._adopt_orphans(index)
        return recovered

    def _recover_journal(self, index: Index) -> int:
        journal = index.pending()
        if not journal:
            return 0
        kept = []
        for entry in journal:
            target = self.root / entry.path
            for temp in glob.glob(glob.escape(str(target)) + ".*.tmp"):
                _unlink_quietly(temp)
            try:
                article_format.parse(target.read_text(encoding="utf-8"))
            except FileNotFoundError:
                continue  # never written: the feed still has the item, the next pass retries
            except (OSError, UnicodeDecodeError, ArticleFormatError):
                _unlink_quietly(str(target))  # cut short by a power loss: write it again
                continue
            kept.append(entry)
        self._record_recovered(index, kept, clear_journal=True)
        return len(kept)

    def _adopt_orphans(self, index: Index) -> int:
        """Index article files no index row or journal row accounts for. Only runs after an
        interrupted pass: it lists the archive (git's untracked files, when it can)."""
        candidates = self._untracked_archive_files()
        if candidates is None:
            known = index.all_paths()
            candidates = [p for p in scan.article_paths(self.root) if p not in known]
        else:
            candidates = sorted(set(candidates) - index.taken_paths(candidates))
        adopted = []
        for path in candidates:
            if path.endswith(".tmp"):
                if TEMP_NAME.search(path):
                    _unlink_quietly(str(self.root / path))
                continue
            try:
                adopted.append(scan.read_archived(self.root, path, self.site_of(path)))
            except (OSError, ArticleFormatError):
                if is_article_name(path):  # ours, cut short by a power loss: written again
                    _unlink_quietly(str(self.root / path))
        self._record_recovered(index, adopted)
        return len(adopted)

    def _untracked_archive_files(self) -> list[str] | None:
        """Files under articles/ that git does not track, or None when this is no repository
        (or git cannot tell): then the whole archive is listed instead."""
        if not git.is_repo(self.root):
            return None
        return git.untracked(self.root, "articles")

    def _record_recovered(self, index: Index, articles: list, clear_journal: bool = False) -> None:
        with index.transaction():
            index.add_articles(articles)
            if clear_journal:
                index.clear_pending()
            index.add_todo("list", {a.site for a in articles})
            index.add_todo("commit", (a.path for a in articles))

    def finished(self, index: Index) -> None:
        """Mark the pass complete: the next one need not look for leftovers."""
        with index.transaction():
            index.set_meta("running", "")

    def _remove_temp_files(self) -> None:
        for pattern in ("*.tmp", "lists/*.tmp", "articles/.newsmirror-probe-*"):
            for temp in glob.glob(os.path.join(glob.escape(str(self.root)), pattern)):
                _unlink_quietly(temp)

    def healths(self, index: Index, now_ms: int | None = None) -> list[SourceHealth]:
        now_ms = int(time.time() * 1000) if now_ms is None else now_ms
        stale_ms = int(self.config.stale_hours * HOUR_MS)
        healths = []
        for site in self.config.sites:
            count, newest = index.site_summary(site.slug)
            state = index.source(site.slug)
            healths.append(health_of(site, state, count, newest, now_ms, stale_ms))
        return healths

    def write_status(self, index: Index, healths: list[SourceHealth], force: bool = False) -> bool:
        """Rewrite status.md when a source's health changed (or `force`, when other pages
        change anyway); timestamps alone do not make a commit every pass."""
        now_ms = int(time.time() * 1000)
        mark = fingerprint(healths)
        if not force and index.get_meta("status") == mark and (self.root / STATUS_PATH).exists():
            return False
        text = render_status(healths, now_ms, self.config.offset_minutes, self.config.title)
        self.writer.write(STATUS_PATH, text)
        with index.transaction():
            index.set_meta("status", mark)
        return True

    def current_head(self) -> str | None:
        return git.head(self.root) if git.is_repo(self.root) else None

    # --- derived pages -------------------------------------------------------------------

    def write_list(self, index: Index, site: Site) -> bool:
        entries = index.newest(site.slug, self.config.list_size)
        return self.writer.write_if_changed(
            list_path(site), render_list(site, entries, self.config)
        )

    def write_readme(self, index: Index) -> bool:
        """The README links the list page of every site that has one (a site with no article
        yet has none: it is named, not linked)."""
        listed = {s.slug for s in self._listed_sites(index)}
        text = render_readme(self.config, listed)
        return self.writer.write_if_changed("README.md", text)

    def build(self, index: Index) -> list[str]:
        """Regenerate every derived page from the index; the paths that changed."""
        changed = [list_path(s) for s in self._listed_sites(index) if self.write_list(index, s)]
        if self.write_readme(index):
            changed.append("README.md")
        if self.write_status(index, self.healths(index), force=True):
            changed.append(STATUS_PATH)
        return changed

    def rewrite_pages(self, index: Index) -> list[str]:
        """Bring every derived page up to the index (after it took in someone else's
        commits); the paths that changed. status.md follows when anything else did."""
        changed = [list_path(s) for s in self._listed_sites(index) if self.write_list(index, s)]
        if self.write_readme(index):
            changed.append("README.md")
        if self.write_status(index, self.healths(index), force=bool(changed)):
            changed.append(STATUS_PATH)
        return changed

    def _listed_sites(self, index: Index) -> list[Site]:
        """Sites that have a list page: those with articles, and those whose page exists."""
        listed = index.sites_with_articles()
        return [
            s for s in self.config.sites if s.slug in listed or (self.root / list_path(s)).exists()
        ]

    def is_derived(self, path: str) -> bool:
        """Pages made from the archive and the index, never edited by hand: in a conflict with
        someone else's commit, either version will do, since they are regenerated."""
        return path in ("README.md", STATUS_PATH) or path.startswith(f"{LISTS}/")


def copy_index(source: Path, target: Path) -> None:
    """A consistent copy of an index (while a run may be writing it), or nothing when there
    is none; the source is opened read-only, never changed."""
    if not source.exists():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        original = sqlite3.connect(f"{source.as_uri()}?mode=ro", uri=True)
    except sqlite3.Error:
        return
    try:
        with sqlite3.connect(target) as copy:
            original.backup(copy)
        copy.close()
    except sqlite3.Error:
        target.unlink(missing_ok=True)  # unreadable: the copy is rebuilt from the files
    finally:
        original.close()


def _unlink_quietly(path: str) -> None:
    with suppress(OSError):
        os.unlink(path)
