"""The mirror's git repository: commit what a pass changed, push when asked."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

from newsmirror.errors import MirrorError

_IDENTITY = ("-c", "user.name=newsmirror", "-c", "user.email=newsmirror@localhost")


def _git(root: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            ["git", "-C", str(root), *args], capture_output=True, text=True, check=check
        )
    except FileNotFoundError as exc:
        raise MirrorError("git is not installed") from exc
    except subprocess.CalledProcessError as exc:
        raise MirrorError(f"git {args[0]} failed: {exc.stderr.strip()}") from exc


def is_repo(root: Path) -> bool:
    try:
        result = _git(root, "rev-parse", "--is-inside-work-tree", check=False)
    except MirrorError:
        return False
    return result.returncode == 0 and result.stdout.strip() == "true"


def init(root: Path) -> None:
    _git(root, "init", "-q")


def head(root: Path) -> str | None:
    result = _git(root, "rev-parse", "-q", "--verify", "HEAD", check=False)
    return result.stdout.strip() or None


def changed_between(root: Path, old: str, new: str, under: str) -> list[tuple[str, str]] | None:
    """(status letter, path) of files under `under` that differ between two commits,
    or None when git cannot tell (an unknown commit, say)."""
    result = _git(
        root,
        "diff",
        "--relative",
        "--name-status",
        "--no-renames",
        "-z",
        old,
        new,
        "--",
        under,
        check=False,
    )
    if result.returncode != 0:
        return None
    fields = result.stdout.split("\0")
    return [(fields[i], fields[i + 1]) for i in range(0, len(fields) - 1, 2)]


# Without /proc to ask whether a process still holds a lock file, only an old one is stale.
_LOCK_AGE_WITHOUT_PROC = 600.0


def clear_stale_locks(root: Path) -> list[str]:
    """Remove lock files a killed git process left behind (index.lock, HEAD.lock, ref locks):
    git refuses to work while they exist, so one power loss would stop every later run.
    A lock some process still has open is left alone."""
    result = _git(root, "rev-parse", "--absolute-git-dir", check=False)
    git_dir = Path(result.stdout.strip()) if result.returncode == 0 else None
    if git_dir is None or not git_dir.is_dir():
        return []
    locks = [git_dir / "index.lock", git_dir / "HEAD.lock", *(git_dir / "refs").rglob("*.lock")]
    removed = []
    for lock in locks:
        if lock.exists() and not _held_open(lock):
            try:
                lock.unlink()
            except OSError:
                continue
            removed.append(str(lock))
    return removed


def _held_open(path: Path) -> bool:
    proc = Path("/proc")
    if not (proc / "self" / "fd").is_dir():
        try:
            return time.time() - path.stat().st_mtime < _LOCK_AGE_WITHOUT_PROC
        except OSError:
            return False
    target = str(path.resolve())
    for pid in os.listdir(proc):
        if not pid.isdigit():
            continue
        try:
            fds = os.listdir(proc / pid / "fd")
        except OSError:
            continue  # gone, or not ours to look at
        for fd in fds:
            try:
                if os.readlink(proc / pid / "fd" / fd) == target:
                    return True
            except OSError:
                continue
    return False


def untracked(root: Path, under: str) -> list[str] | None:
    """Files under `under` that git neither tracks nor ignores, relative to `root`
    (None when git cannot tell)."""
    result = _git(
        root, "ls-files", "--others", "--exclude-standard", "-z", "--", under, check=False
    )
    if result.returncode != 0:
        return None
    return [p for p in result.stdout.split("\0") if p]


def commit(root: Path, paths: Sequence[str], message: str) -> bool:
    """Stage `paths` and commit them; False when there was nothing to commit."""
    existing = [p for p in paths if (root / p).exists()]
    if existing:
        _git(root, "add", "-A", "--", *existing)
    staged = _git(root, "diff", "--cached", "--quiet", check=False)
    if staged.returncode == 0:
        return False
    identity = () if _has_identity(root) else _IDENTITY
    _git(root, *identity, "commit", "-q", "-m", message)
    return True


def _has_identity(root: Path) -> bool:
    return bool(_git(root, "config", "user.email", check=False).stdout.strip())


def push(root: Path) -> None:
    _git(root, "push", "-q")
