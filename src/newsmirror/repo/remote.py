"""Publishing the mirror's commits to its remote, without ever losing one.

A push that is rejected because someone pushed meanwhile is resolved the way a person would:
fetch, replay the mirror's commits on top (pages newsmirror derives from the archive are taken
from the remote and then regenerated, so they never conflict for real), push again; a bounded
number of times. A remote that cannot be reached leaves the commits where they are: the next
pass pushes them (the branch is ahead of its upstream).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from newsmirror.errors import MirrorError
from newsmirror.repo import git

ATTEMPTS = 3
NETWORK_TIMEOUT = 300.0  # seconds for one fetch or push: a hung remote must not hang the pass


@dataclass(frozen=True, slots=True)
class Upstream:
    remote: str
    branch: str
    tracking: bool  # the local branch has this as its upstream already


@dataclass(frozen=True, slots=True)
class PushResult:
    ok: bool
    attempts: int = 0
    replayed: int = 0  # times the commits were replayed on top of someone else's
    kind: str | None = None  # no-remote, unreachable, refused, conflict, replay
    error: str | None = None
    target: str = ""  # remote/branch

    @property
    def summary(self) -> str:
        if self.ok:
            again = f" after replaying on newer commits ({self.replayed}x)" if self.replayed else ""
            return f"pushed to {self.target}{again}"
        return f"push to {self.target or 'the remote'} failed ({self.kind}): {self.error}"


def upstream(root: Path) -> Upstream | None:
    """Where the current branch is pushed: its upstream, else `origin` (or the only remote)
    and a branch of the same name; None when there is no remote at all (or no branch)."""
    branch = git.run(root, "symbolic-ref", "-q", "--short", "HEAD", check=False).stdout.strip()
    if not branch:
        return None  # a detached HEAD: nothing to push to by name
    remote = git.run(root, "config", f"branch.{branch}.remote", check=False).stdout.strip()
    merge = git.run(root, "config", f"branch.{branch}.merge", check=False).stdout.strip()
    if remote and merge.startswith("refs/heads/") and remote != ".":
        return Upstream(remote, merge.removeprefix("refs/heads/"), True)
    remotes = git.run(root, "remote", check=False).stdout.split()
    if not remotes:
        return None
    chosen = "origin" if "origin" in remotes else remotes[0]
    return Upstream(chosen, branch, False)


def push_home(root: Path, url: str, branch: str) -> PushResult:
    """Push HEAD to another home (a `[[remote]]`) as `branch` (default: the current branch),
    by URL. No replay: the mirror's own upstream is the one history, a home that has diverged
    refuses and says so."""
    if not branch:
        branch = git.run(root, "symbolic-ref", "-q", "--short", "HEAD", check=False).stdout.strip()
    if not branch:
        return PushResult(False, kind="no-remote", error="a detached HEAD: no branch to push")
    target = Upstream(url, branch, True)
    pushed = _push(root, target)
    if pushed.ok:
        return PushResult(True, 1, target=f"{url} {branch}")
    return PushResult(False, 1, kind=pushed.kind, error=pushed.error, target=f"{url} {branch}")


def public_url(root: Path) -> str:
    """Where GitHub shows this repository's files (`https://github.com/OWNER/REPO/blob/BRANCH/`),
    from the remote the branch is pushed to; "" when that is not GitHub (or there is none)."""
    from newsmirror.publish.feeds import public_url_for

    target = upstream(root) if git.is_repo(root) else None
    if target is None:
        return ""
    url = git.run(root, "remote", "get-url", target.remote, check=False).stdout.strip()
    return public_url_for(url, target.branch)


def ahead(root: Path, target: Upstream) -> int | None:
    """Commits on HEAD that the remote branch (as last fetched) lacks; None when unknown."""
    ref = f"refs/remotes/{target.remote}/{target.branch}"
    result = git.run(root, "rev-list", "--count", f"{ref}..HEAD", check=False)
    text = result.stdout.strip()
    return int(text) if result.returncode == 0 and text.isdigit() else None


def has_unpushed(root: Path) -> bool:
    """Whether HEAD has commits its remote branch (as last fetched) lacks, or nobody can
    tell (no upstream yet): then a push is tried."""
    target = upstream(root)
    return target is None or not target.tracking or ahead(root, target) != 0


def publish(
    root: Path,
    refresh: Callable[[], Sequence[str]],
    is_derived: Callable[[str], bool],
    marker: Path,
    attempts: int = ATTEMPTS,
) -> PushResult:
    """Push HEAD to its upstream. On a rejection, replay onto what the remote now has, call
    `refresh()` (bring the index up to the new HEAD and rewrite derived pages; it returns the
    paths it changed, which are folded into the last commit), and try again. `marker` exists
    while a replay may be under way: a run killed meanwhile leaves it for `finish_replay`."""
    marker.write_text("replaying\n", encoding="utf-8")
    try:
        return _publish(root, refresh, is_derived, attempts)
    finally:
        marker.unlink(missing_ok=True)


def finish_replay(root: Path, marker: Path) -> bool:
    """Undo a replay that a killed run left half-done (its marker is there), so that the
    repository is as the commit left it; True when one was undone."""
    if not marker.exists():
        return False
    folder = git.git_dir(root)
    busy = folder is not None and any(
        (folder / name).exists() for name in ("rebase-merge", "rebase-apply")
    )
    if busy:
        git.run(root, "rebase", "--abort", check=False)
    marker.unlink(missing_ok=True)
    return busy


def _publish(
    root: Path,
    refresh: Callable[[], Sequence[str]],
    is_derived: Callable[[str], bool],
    attempts: int,
) -> PushResult:
    target = upstream(root)
    if target is None:
        return PushResult(
            False,
            kind="no-remote",
            error="the repository has no remote: add one with `git remote add origin URL`",
        )
    name = f"{target.remote}/{target.branch}"
    for attempt in range(1, attempts + 1):
        replayed = attempt - 1  # each attempt after the first follows one replay
        pushed = _push(root, target)
        if pushed.ok:
            return PushResult(True, attempt, replayed, target=name)
        if pushed.kind != "rejected" or attempt == attempts:
            kind = "refused" if pushed.kind == "rejected" else pushed.kind
            return PushResult(False, attempt, replayed, kind, pushed.error, name)
        fetched = _fetch(root, target)
        if fetched is not None:
            return PushResult(False, attempt, replayed, "unreachable", fetched, name)
        message = git.commit_message_of(root)
        theirs = git.run(root, "rev-parse", "FETCH_HEAD").stdout.strip()
        conflict = replay(root, "FETCH_HEAD", is_derived)
        if conflict is not None:
            return PushResult(False, attempt, replayed, "conflict", conflict, name)
        _fold_in(root, refresh(), message, amend=git.head(root) != theirs)
    raise AssertionError("unreachable")  # the loop returns on its last attempt


@dataclass(frozen=True, slots=True)
class _Pushed:
    ok: bool
    kind: str | None = None  # rejected (fetch first / non-fast-forward), refused, unreachable
    error: str | None = None


def _push(root: Path, target: Upstream) -> _Pushed:
    args = ["push", "--porcelain"]
    if not target.tracking:
        args.append("--set-upstream")
    args += [target.remote, f"HEAD:refs/heads/{target.branch}"]
    try:
        result = git.run(root, *args, check=False, timeout=NETWORK_TIMEOUT)
    except MirrorError as exc:
        return _Pushed(False, "unreachable", str(exc))
    if result.returncode == 0:
        return _Pushed(True)
    words = _last_words(result)
    for line in result.stdout.splitlines():
        if line.startswith("!"):  # a ref the remote did not take
            if "[rejected]" in line and ("fetch first" in line or "non-fast-forward" in line):
                return _Pushed(False, "rejected", line.split("\t")[-1])
            return _Pushed(False, "refused", f"{line.split(chr(9))[-1]}; {words}")
    return _Pushed(False, "unreachable", words)


def _fetch(root: Path, target: Upstream) -> str | None:
    """Fetch the remote branch into FETCH_HEAD (and its remote-tracking ref); None when done,
    else git's reason."""
    refspec = f"+refs/heads/{target.branch}:refs/remotes/{target.remote}/{target.branch}"
    try:
        result = git.run(
            root, "fetch", "-q", target.remote, refspec, check=False, timeout=NETWORK_TIMEOUT
        )
    except MirrorError as exc:
        return str(exc)
    return None if result.returncode == 0 else _last_words(result)


def replay(root: Path, onto: str, is_derived: Callable[[str], bool]) -> str | None:
    """Rebase HEAD's own commits onto `onto`. Conflicts in derived pages are settled in favour
    of `onto` (they are regenerated afterwards); any other conflict aborts the replay, leaving
    everything as it was, and is returned as a message. None when the replay succeeded."""
    identity = git.identity_args(root)
    result = git.run(root, *identity, "rebase", "-q", "--autostash", onto, check=False)
    steps = 0
    while result.returncode != 0:
        steps += 1
        unmerged = _unmerged(root)
        others = [p for p in unmerged if not is_derived(p)]
        if not unmerged or others or steps > 1000:
            git.run(root, "rebase", "--abort", check=False)
            if others:
                return "both sides changed " + ", ".join(others[:5])
            return f"cannot replay onto the remote's commits: {_last_words(result)}"
        for path in unmerged:
            # During a rebase "ours" is the side being rebased onto: the remote's page.
            taken = git.run(root, "checkout", "--ours", "--", path, check=False)
            if taken.returncode == 0:
                git.run(root, "add", "--", path)
            else:  # the remote removed it
                git.run(root, "rm", "-q", "--cached", "--ignore-unmatch", "--", path)
        empty = git.run(root, "diff", "--cached", "--quiet", check=False).returncode == 0
        step = "--skip" if empty else "--continue"
        result = git.run(root, *identity, "rebase", step, check=False)
    return None


def _unmerged(root: Path) -> list[str]:
    result = git.run(
        root, "diff", "--name-only", "--relative", "--diff-filter=U", "-z", check=False
    )
    return sorted({p for p in result.stdout.split("\0") if p})


def _fold_in(root: Path, paths: Sequence[str], message: str, amend: bool) -> None:
    """Put the pages `refresh` rewrote into the mirror's last replayed commit, or into a new one
    when the replay left none of its own (the remote already had all of it)."""
    if not paths:
        return
    git.stage(root, paths)
    if git.run(root, "diff", "--cached", "--quiet", check=False).returncode != 0:
        git.commit_staged(root, message, amend=amend)


def _last_words(result) -> str:  # type: ignore[no-untyped-def]
    lines = [line.strip() for line in (result.stderr or "").splitlines() if line.strip()]
    useful = [line for line in lines if not line.startswith(("hint:", "To "))]
    return "; ".join(useful[-2:]) or f"git exited with {result.returncode}"
