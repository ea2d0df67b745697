"""Writing archive files: atomically (temp file + rename), never half a file."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

_CREATE = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0)


class AtomicWriter:
    """Writes files under one root; remembers folders it made so it asks the OS once each.
    With `temp_dir` (on the same filesystem), half-written files wait there, never beside
    their target: a folder readers see then holds only whole files, even after a kill."""

    def __init__(self, root: Path, temp_dir: Path | None = None) -> None:
        self.root = root
        self.temp_dir = temp_dir
        self._made: set[str] = set()
        self.written = 0
        # Every page asked of `write_if_changed`, written or already as asked: a page that an
        # interrupted pass wrote but did not commit is still owed to git (`Pages.owed`).
        self.asked: set[str] = set()

    def write(self, relpath: str, text: str) -> None:
        self.write_bytes(relpath, text.encode("utf-8"))

    def write_bytes(self, relpath: str, data: bytes) -> None:
        target = os.path.join(self.root, relpath)
        folder = os.path.dirname(target)
        if folder not in self._made:
            os.makedirs(folder, exist_ok=True)
            self._made.add(folder)
        temp = f"{target}.{os.getpid()}.tmp"
        if self.temp_dir is not None:
            if str(self.temp_dir) not in self._made:
                os.makedirs(self.temp_dir, exist_ok=True)
                self._made.add(str(self.temp_dir))
            temp = os.path.join(self.temp_dir, f"{os.path.basename(target)}.{os.getpid()}.tmp")
        try:
            fd = os.open(temp, _CREATE, 0o644)
            try:
                while data:  # os.write may write less than asked
                    data = data[os.write(fd, data) :]
            finally:
                os.close(fd)
            os.replace(temp, target)
        except BaseException:
            _remove_quietly(temp)
            raise
        self.written += 1

    def write_if_changed(self, relpath: str, text: str) -> bool:
        """Write unless the file already holds exactly `text` (in UTF-8); True when written."""
        return self.write_bytes_if_changed(relpath, text.encode("utf-8"))

    def write_bytes_if_changed(self, relpath: str, data: bytes) -> bool:
        """Write unless the file already holds exactly `data`; True when written."""
        self.asked.add(relpath)
        try:
            with open(os.path.join(self.root, relpath), "rb") as handle:
                if handle.read() == data:
                    return False
        except FileNotFoundError:
            pass
        self.write_bytes(relpath, data)
        return True


def remove_temp_files(folder: Path) -> int:
    """Remove what a killed run left half-written in a temp folder; how many files."""
    removed = 0
    if folder.is_dir():
        for leftover in folder.glob("*.tmp"):
            _remove_quietly(str(leftover))
            removed += 1
    return removed


def sync_filesystem(root: Path) -> None:
    """Make everything written under `root` durable: one sync for a whole pass's files. The
    filesystem `root` is on is synced (Linux's syncfs), not every disk of the machine; where
    that call does not exist, the system-wide sync."""
    if _syncfs is not None:
        fd = os.open(root, os.O_RDONLY)
        try:
            if _syncfs(fd) == 0:
                return
        finally:
            os.close(fd)
    if hasattr(os, "sync"):
        os.sync()


def _find_syncfs():  # type: ignore[no-untyped-def]
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True).syncfs
    except (OSError, AttributeError):
        return None


_syncfs = _find_syncfs()


def _remove_quietly(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)
