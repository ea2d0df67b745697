"""A mirror on disk: where its configuration, archive, store and lock are. The work is done
elsewhere: the store's rebuild and recovery in `store`, pages in `publish`, git and the lock in
`repo`, a pass in `pipeline`."""

from __future__ import annotations

import functools
import os
import sqlite3
from contextlib import AbstractContextManager
from pathlib import Path

from newsmirror import config as config_module
from newsmirror.config import Config
from newsmirror.errors import MirrorError
from newsmirror.publish.site import Pages
from newsmirror.repo import git, lock
from newsmirror.search.sqlite import ShardedSearch
from newsmirror.search.sync import SEARCH_NAME
from newsmirror.store import rebuild
from newsmirror.store.files import AtomicWriter
from newsmirror.store.layout import ARTICLES, folder_of
from newsmirror.store.rebuild import Archive, ReindexReport
from newsmirror.store.sqlite import SqliteStore

__all__ = ["INDEX_NAME", "STATE_DIR", "Mirror", "ReindexReport", "copy_index"]

STATE_DIR = ".newsmirror"
INDEX_NAME = "index.sqlite"
LOCK_NAME = "lock"


class Mirror:
    def __init__(self, root: Path, config: Config, state_dir: Path | None = None) -> None:
        self.root = root
        self.config = config
        self.state_dir = state_dir or root / STATE_DIR
        # Half-written files wait in the state folder, never beside their targets: a killed
        # run leaves nothing in the folders readers and git see.
        self.writer = AtomicWriter(root, root / STATE_DIR / "tmp")
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
        folder = self.root / ARTICLES
        probe = folder / f".newsmirror-probe-{os.getpid()}"
        try:
            folder.mkdir(exist_ok=True)
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            raise MirrorError(f"cannot write to the archive {folder}: {exc.strerror}") from exc

    # --- index ---------------------------------------------------------------------------

    @property
    def search_path(self) -> Path:
        return self.state_dir / SEARCH_NAME

    def open_search(self) -> ShardedSearch:
        """The search index (derived, like the store; made empty when there is none)."""
        return ShardedSearch(self.search_path)

    def open_index(self) -> SqliteStore:
        self._ensure_state_dir()
        return SqliteStore(self.index_path)

    def fresh_index(self) -> tuple[SqliteStore, ReindexReport | None]:
        """The store, made to describe exactly this checkout's files (see `store.rebuild`)."""
        store = self.open_index()
        return store, rebuild.make_fresh(store, self.archive)

    @property
    def archive(self) -> Archive:
        """The archive files the store is derived from, with their history (git, if any)."""
        return Archive(self.root, self._folder_site, git.history_of(self.root), self.site_of)

    @functools.cached_property
    def pages(self) -> Pages:
        """The derived pages (one for the mirror: where it is published is asked once)."""
        return Pages(self.root, self.config, self.writer, self._public_url)

    def _public_url(self) -> str:
        """`public_url`, else where GitHub shows the files (from the remote), else ""."""
        from newsmirror.repo import remote

        return self.config.public_url or remote.public_url(self.root)


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
