"""The mirror's lock: one run at a time works on a mirror (an advisory lock on a file)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from newsmirror.errors import LockedError


@contextmanager
def hold(path: Path, what: str, wait: float = 0) -> Iterator[None]:
    """Hold the lock at `path` for the block. A second holder waits up to `wait` seconds for
    it, then gets LockedError naming `what` and the holder; it never goes on without it."""
    handle = open(path, "a+")  # noqa: SIM115 - held for the whole block
    try:
        deadline = time.monotonic() + max(0.0, wait)
        while not _try_lock(handle):
            if time.monotonic() >= deadline:
                handle.seek(0)
                holder = handle.read().strip() or "another process"
                waited = f" after waiting {wait:g} s" if wait > 0 else ""
                raise LockedError(
                    f"another newsmirror run holds the lock of {what} ({holder})"
                    f"{waited}; try again later or use --wait SECONDS"
                )
            time.sleep(0.1)
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}")
        handle.flush()
        yield
    finally:
        handle.close()


def _try_lock(handle) -> bool:  # type: ignore[no-untyped-def]
    try:
        import fcntl
    except ImportError:  # Windows: no advisory locks here; runs there are not concurrent
        return True
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True
