"""Plain git operations on the mirror's repository: where it is, what changed, committing.

Every call runs `git -C <mirror root>`, so paths are the mirror's own even when its repository
is a larger one that holds the mirror in a subfolder. Pushing and replaying live in `remote`.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from newsmirror.errors import MirrorError

IDENTITY = ("-c", "user.name=newsmirror", "-c", "user.email=newsmirror@localhost")
# Never wait for a password prompt or an editor: a scheduled run has nobody to answer them.
_ENV = {"GIT_TERMINAL_PROMPT": "0", "GIT_EDITOR": "true", "GIT_ASKPASS": "", "LC_ALL": "C"}


def run(
    root: Path, *args: str, check: bool = True, timeout: float | None = None
) -> subprocess.CompletedProcess[str]:
    """`git -C root ARGS`; a failure (with `check`) is a MirrorError carrying git's words."""
    env = {**os.environ, **_ENV}
    try:
        return subprocess.run(
            ["git", "-C", str(root), *args],
            capture_output=True,
            text=True,
            check=check,
            env=env,
            timeout=timeout,
        )
    except FileNotFoundError as exc:
        raise MirrorError("git is not installed") from exc
    except subprocess.TimeoutExpired as exc:
        raise MirrorError(f"git {args[0]} gave no answer within {timeout:g} s") from exc
    except subprocess.CalledProcessError as exc:
        raise MirrorError(f"git {args[0]} failed: {exc.stderr.strip()}") from exc


def is_repo(root: Path) -> bool:
    try:
        result = run(root, "rev-parse", "--is-inside-work-tree", check=False)
    except MirrorError:
        return False
    return result.returncode == 0 and result.stdout.strip() == "true"


def init(root: Path) -> None:
    run(root, "init", "-q")


def top_level(root: Path) -> Path | None:
    """The work tree of the repository `root` is in, or None outside any repository."""
    try:
        result = run(root, "rev-parse", "--show-toplevel", check=False)
    except MirrorError:
        return None
    if result.returncode != 0 or not result.stdout.strip():
        return None
    return Path(result.stdout.strip()).resolve()


@dataclass(frozen=True, slots=True)
class Placement:
    """Where a mirror folder stands with respect to git.

    kind: `own` (the folder is a repository's top level), `parent` (a folder of a larger
    repository that tracks files in it), `nested` (inside a repository that tracks nothing in it,
    or ignores it), or `none` (outside any repository). `enclosing` is the larger repository.
    """

    kind: str
    enclosing: Path | None = None
    ignored: bool = False


def placement(root: Path) -> Placement:
    root = root.resolve()
    top = top_level(root)
    if top is None:
        return Placement("none")
    if top == root:
        return Placement("own")
    relative = os.path.relpath(root, top)
    ignored = run(top, "check-ignore", "-q", "--", relative, check=False).returncode == 0
    if not ignored and _tracks_files_under(root):
        return Placement("parent", top)
    return Placement("nested", top, ignored)


def make_committable(root: Path) -> tuple[bool, str | None]:
    """Whether a pass can commit in `root`, and what the operator should be told. A mirror
    folder inside a repository that ignores it (where nothing could ever be committed) is given
    a repository of its own first."""
    where = placement(root)
    if where.kind == "nested" and where.ignored:
        init(root)
        return True, (
            f"{root} is inside the repository {where.enclosing}, which ignores it:"
            " created a repository of its own there, so that the mirror can be committed"
        )
    return where.kind != "none", None


def _tracks_files_under(root: Path) -> bool:
    result = run(root, "ls-files", "-z", "--", ".", check=False)
    return result.returncode == 0 and bool(result.stdout.strip("\0"))


def head(root: Path) -> str | None:
    result = run(root, "rev-parse", "-q", "--verify", "HEAD", check=False)
    return result.stdout.strip() or None


def head_of(root: Path) -> str | None:
    """HEAD of the repository `root` is in, or None when it is in none (or has no commit)."""
    return head(root) if is_repo(root) else None


def has_commit(root: Path, commit: str) -> bool:
    result = run(root, "cat-file", "-e", f"{commit}^{{commit}}", check=False)
    return result.returncode == 0


def changed_between(root: Path, old: str, new: str, under: str) -> list[tuple[str, str]] | None:
    """(status letter, path) of files under `under` that differ between two commits,
    or None when git cannot tell (an unknown commit, say)."""
    result = run(
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
    return _name_status(result.stdout)


def _name_status(output: str) -> list[tuple[str, str]]:
    fields = output.split("\0")
    return [(fields[i], fields[i + 1]) for i in range(0, len(fields) - 1, 2)]


# Without /proc to ask whether a process still holds a lock file, only an old one is stale.
_LOCK_AGE_WITHOUT_PROC = 600.0


def git_dir(root: Path) -> Path | None:
    result = run(root, "rev-parse", "--absolute-git-dir", check=False)
    path = Path(result.stdout.strip()) if result.returncode == 0 else None
    return path if path is not None and path.is_dir() else None


def clear_stale_locks(root: Path) -> list[str]:
    """Remove lock files a killed git process left behind (index.lock, HEAD.lock, ref locks):
    git refuses to work while they exist, so one power loss would stop every later run.
    A lock some process still has open is left alone."""
    folder = git_dir(root)
    if folder is None:
        return []
    locks = [folder / "index.lock", folder / "HEAD.lock", *(folder / "refs").rglob("*.lock")]
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
    result = run(root, "ls-files", "--others", "--exclude-standard", "-z", "--", under, check=False)
    if result.returncode != 0:
        return None
    return [p for p in result.stdout.split("\0") if p]


def stage(root: Path, paths: Sequence[str]) -> None:
    """Stage these paths as they are on disk (a path that no longer exists is staged as
    removed, when git tracked it)."""
    existing = [p for p in paths if (root / p).exists()]
    if existing:
        for start in range(0, len(existing), 1000):  # keep the command line bounded
            run(root, "add", "-A", "--", *existing[start : start + 1000])
    gone = [p for p in paths if not (root / p).exists()]
    if gone:
        run(root, "rm", "-q", "--cached", "--ignore-unmatch", "--", *gone)


def staged(root: Path) -> list[tuple[str, str]]:
    """(status letter, path relative to root) of every change staged for the next commit."""
    result = run(root, "diff", "--cached", "--relative", "--name-status", "--no-renames", "-z")
    return _name_status(result.stdout)


def commit_staged(root: Path, message: str, amend: bool = False, allow_empty: bool = False) -> bool:
    """Commit what is staged; False when nothing is (unless `allow_empty`)."""
    nothing = run(root, "diff", "--cached", "--quiet", check=False).returncode == 0
    if nothing and not amend and not allow_empty:
        return False
    extra = ("--amend",) if amend else ("--allow-empty",) if nothing else ()
    run(root, *identity_args(root), "commit", "-q", *extra, "-m", message)
    return True


def commit(root: Path, paths: Sequence[str], message: str) -> bool:
    """Stage `paths` and commit them; False when there was nothing to commit."""
    stage(root, paths)
    return commit_staged(root, message)


def identity_args(root: Path) -> tuple[str, ...]:
    """A committer identity for git, unless the repository or user has one."""
    has = bool(run(root, "config", "user.email", check=False).stdout.strip())
    return () if has else IDENTITY


def last_commit_ms(root: Path) -> int | None:
    """When HEAD was committed (epoch ms), or None without a commit."""
    result = run(root, "log", "-1", "--format=%ct", check=False)
    text = result.stdout.strip()
    return int(text) * 1000 if result.returncode == 0 and text.isdigit() else None


def commit_message_of(root: Path, commit: str = "HEAD") -> str:
    return run(root, "log", "-1", "--format=%B", commit).stdout


def is_shallow(root: Path) -> bool:
    result = run(root, "rev-parse", "--is-shallow-repository", check=False)
    return result.stdout.strip() == "true"


class Repository:
    """The history a mirror's files come from, as the store's rebuild and recovery ask about
    it (`store.rebuild.History`): git here; a mirror outside git has `NoHistory`."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def head(self) -> str | None:
        return head(self.root)

    def has(self, commit: str) -> bool:
        return has_commit(self.root, commit)

    def changes(self, old: str, new: str, under: str) -> list[tuple[str, str]] | None:
        return changed_between(self.root, old, new, under)

    def untracked(self, under: str) -> list[str] | None:
        return untracked(self.root, under)


class NoHistory:
    """A mirror that is not in a repository: no commits to follow, every file to list."""

    def head(self) -> str | None:
        return None

    def has(self, commit: str) -> bool:
        return False

    def changes(self, old: str, new: str, under: str) -> list[tuple[str, str]] | None:
        return None

    def untracked(self, under: str) -> list[str] | None:
        return None


def history_of(root: Path) -> Repository | NoHistory:
    return Repository(root) if is_repo(root) else NoHistory()
