"""Writing archive files: atomically (temp file + rename), never half a file."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

_CREATE = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0)


class AtomicWriter:
    """Writes files under one root; remembers folders it made so it asks the OS once each."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._made: set[str] = set()
        self.written = 0

    def write(self, relpath: str, text: str) -> None:
        target = os.path.join(self.root, relpath)
        folder = os.path.dirname(target)
        if folder not in self._made:
            os.makedirs(folder, exist_ok=True)
            self._made.add(folder)
        temp = f"{target}.{os.getpid()}.tmp"
        data = text.encode("utf-8")
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
        """Write unless the file already holds exactly `text`; True when written."""
        try:
            with open(os.path.join(self.root, relpath), encoding="utf-8", newline="") as handle:
                if handle.read() == text:
                    return False
        except (FileNotFoundError, UnicodeDecodeError):
            pass
        self.write(relpath, text)
        return True


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
