"""Publishing to a remote without ever losing an article: rejected pushes are replayed,
unreachable remotes leave the commit for later, and an index cached between fresh (shallow)
clones, as the GitHub workflow keeps it, never claims an article the repository lacks.

Every remote here is a real bare repository; every clone a real (often shallow) clone."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import git, rss, rss_item, write_config
from newsmirror.cli import EXIT_NOT_PUSHED, main
from newsmirror.mirror import Mirror
from newsmirror.store.article import parse

DAY = "Mon, 0{n} Jul 2021 10:00:00 GMT"


def _feed(*numbers: int) -> str:
    return rss(*(rss_item(n, date=DAY.format(n=n)) for n in numbers))


def _link(n: int) -> str:
    return f"https://example.org/a/{n}.html"


def _bare(tmp_path: Path) -> Path:
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(remote))
    return remote


def _operator_mirror(tmp_path: Path, remote: Path, url: str) -> Path:
    """The mirror as its operator first pushes it: configuration committed, upstream set."""
    seed = tmp_path / "seed"
    write_config(seed, [{"name": "甲", "slug": "a", "url": url}])
    git(seed, "init", "-q", "-b", "main")
    git(seed, "add", "newsmirror.toml")
    git(seed, "commit", "-qm", "config")
    git(seed, "remote", "add", "origin", remote.as_uri())
    git(seed, "push", "-q", "-u", "origin", "main")
    return seed


def _clone(remote: Path, target: Path, shallow: bool = True) -> Path:
    depth = ["--depth", "1"] if shallow else []
    subprocess.run(
        ["git", "clone", "-q", *depth, remote.as_uri(), str(target)],
        check=True,
        capture_output=True,
    )
    return target


def _remote_links(remote: Path) -> list[str]:
    """The link of every article file on the remote's main branch (duplicates included)."""
    names = git(remote, "ls-tree", "-r", "--name-only", "main", "--", "articles").split("\n")
    links = []
    for name in filter(None, names):
        text = git(remote, "show", f"main:{name}")
        links.append(parse(text).url)
    return sorted(links)


def _run(root: Path, *args: str) -> int:
    return main(["-C", str(root), "run", *args])


def _keep_cache(root: Path, cache: Path) -> None:
    """What actions/cache does with the index after a job."""
    shutil.rmtree(cache, ignore_errors=True)
    shutil.copytree(root / ".newsmirror", cache, ignore=shutil.ignore_patterns("lock"))


def _restore_cache(cache: Path, root: Path) -> None:
    shutil.copytree(cache, root / ".newsmirror")


@pytest.fixture
def feed(feed_server):
    """A feed server that honours ETags (answers 304), as real ones do: an index that sends
    validators for a feed it has not fully archived would never see the missing items."""

    def serve(*numbers: int) -> str:
        etag = '"v' + "-".join(map(str, numbers)) + '"'
        return feed_server.serve("/a.xml", _feed(*numbers), conditional=True, ETag=etag)

    return serve


def test_a_push_rejected_because_someone_pushed_meanwhile_is_replayed(tmp_path, feed, capsys):
    remote = _bare(tmp_path)
    url = feed(1, 2)
    _operator_mirror(tmp_path, remote, url)
    runner = _clone(remote, tmp_path / "runner")
    assert _run(runner, "--push") == 0
    assert _remote_links(remote) == [_link(1), _link(2)]

    # Someone else pushes meanwhile: a note of their own, and a hand edit of a derived page.
    other = _clone(remote, tmp_path / "other", shallow=False)
    (other / "NOTES.md").write_text("operator notes\n", encoding="utf-8")
    readme = other / "README.md"
    readme.write_text(readme.read_text(encoding="utf-8") + "hand edit\n", encoding="utf-8")
    list_page = other / "lists" / "甲.md"
    list_page.write_text(list_page.read_text(encoding="utf-8") + "junk\n", encoding="utf-8")
    git(other, "add", "-A")
    git(other, "commit", "-qm", "by hand")
    git(other, "push", "-q")

    feed(1, 2, 3)
    capsys.readouterr()
    assert _run(runner, "--push") == 0
    out = capsys.readouterr().out
    assert "Pushed to origin/main after replaying on newer commits (1x)." in out
    assert _remote_links(remote) == [_link(1), _link(2), _link(3)]
    assert git(remote, "show", "main:NOTES.md") == "operator notes\n"
    # Derived pages are the mirror's: regenerated from the index, not a merge of both sides.
    listing = git(remote, "show", "main:lists/甲.md")
    assert listing.count("[标题 ") == 3 and "junk" not in listing
    assert "hand edit" not in git(remote, "show", "main:README.md")
    subject = git(remote, "log", "-1", "--format=%s", "main").strip()
    assert subject == "Archive 1 new article from 甲 1"
    assert git(runner, "status", "--porcelain") == ""
    with Mirror.open(runner).open_index() as index:  # the index follows the replayed commit
        assert index.get_meta("head") == git(runner, "rev-parse", "HEAD").strip()


def test_an_unreachable_remote_leaves_the_commit_for_the_next_pass(tmp_path, feed, capsys):
    remote = _bare(tmp_path)
    _operator_mirror(tmp_path, remote, feed(1))
    runner = _clone(remote, tmp_path / "runner", shallow=False)
    away = tmp_path / "away.git"
    remote.rename(away)
    assert _run(runner, "--push") == EXIT_NOT_PUSHED
    err = capsys.readouterr().err
    assert "push to origin/main failed (unreachable)" in err and "next `run --push`" in err
    assert git(runner, "log", "-1", "--format=%s").startswith("Archive 1 new article")
    away.rename(remote)
    assert _run(runner, "--push") == 0  # nothing new, but the commit left behind goes out
    assert "Pushed to origin/main." in capsys.readouterr().out
    assert _remote_links(remote) == [_link(1)]


def _refuse_pushes(remote: Path, refuse: bool) -> None:
    hook = remote / "hooks" / "pre-receive"
    if refuse:
        hook.write_text("#!/bin/sh\necho 'pushes are closed today' >&2\nexit 1\n")
        hook.chmod(0o755)
    else:
        hook.unlink()


def test_the_github_setup_loses_nothing_when_a_push_is_refused(tmp_path, feed, capsys):
    """Fresh shallow clones with the index carried over in a cache, as the workflow runs: a
    pass whose push fails leaves a cached index that knows an article the remote lacks. The
    next pass, from a new clone, must archive it again, although the feed has not changed."""
    remote = _bare(tmp_path)
    cache = tmp_path / "cache"
    _operator_mirror(tmp_path, remote, feed(1, 2))
    first = _clone(remote, tmp_path / "run1")
    assert _run(first, "--push") == 0
    _keep_cache(first, cache)

    feed(1, 2, 3)
    second = _clone(remote, tmp_path / "run2")
    _restore_cache(cache, second)
    _refuse_pushes(remote, True)
    assert _run(second, "--push") == EXIT_NOT_PUSHED
    assert "pushes are closed today" in capsys.readouterr().err
    _keep_cache(second, cache)  # `if: always()`: the index is kept even when the job fails
    _refuse_pushes(remote, False)
    assert _remote_links(remote) == [_link(1), _link(2)]

    third = _clone(remote, tmp_path / "run3")
    _restore_cache(cache, third)
    assert _run(third, "--push") == 0  # same feed, same ETag: a 304 would have lost item 3
    assert "Rebuilt the index" in capsys.readouterr().out
    assert _remote_links(remote) == [_link(1), _link(2), _link(3)]

    fourth = _clone(remote, tmp_path / "run4")
    _keep_cache(third, cache)
    _restore_cache(cache, fourth)
    assert _run(fourth, "--push") == 0
    assert "0 new articles" in capsys.readouterr().out  # and nothing twice
    assert _remote_links(remote) == [_link(1), _link(2), _link(3)]


def test_a_cached_index_from_a_run_that_never_committed_is_corrected(tmp_path, feed, capsys):
    """A run cut short after recording its articles but before committing them (a timeout,
    a kill): its cached index must not make the next clone believe it has them."""
    remote = _bare(tmp_path)
    cache = tmp_path / "cache"
    _operator_mirror(tmp_path, remote, feed(1))
    first = _clone(remote, tmp_path / "run1")
    assert _run(first, "--no-commit") == 0  # recorded, written, not committed
    _keep_cache(first, cache)
    second = _clone(remote, tmp_path / "run2")
    _restore_cache(cache, second)
    assert _run(second, "--push") == 0
    assert _remote_links(remote) == [_link(1)]


def test_a_conflict_in_an_article_file_is_not_forced(tmp_path, feed, capsys):
    remote = _bare(tmp_path)
    _operator_mirror(tmp_path, remote, feed(1))
    runner = _clone(remote, tmp_path / "runner", shallow=False)
    other = _clone(remote, tmp_path / "other", shallow=False)
    assert _run(runner, "--no-commit") == 0
    written = next((runner / "articles").rglob("*.md")).relative_to(runner)
    (other / written).parent.mkdir(parents=True)
    (other / written).write_text("<!--1-->\n[someone else's](https://x.org/)\n------\n\n<p>x</p>\n")
    git(other, "add", "-A")
    git(other, "commit", "-qm", "an article by hand at the same path")
    git(other, "push", "-q")
    assert _run(runner, "--push") == EXIT_NOT_PUSHED
    err = capsys.readouterr().err
    assert "failed (conflict): both sides changed" in err and str(written) in err
    # Nothing half-done: no rebase in progress, the mirror's commit intact, the remote's too.
    assert not (runner / ".git" / "rebase-merge").exists()
    assert git(runner, "status", "--porcelain") == ""
    assert git(runner, "log", "-1", "--format=%s").startswith("Archive 1 new article")
    assert "someone else's" in git(remote, "show", f"main:{written}")


def test_reindex_and_force_recover_what_the_feed_still_offers(tmp_path, feed, capsys):
    root = tmp_path / "m"
    write_config(root, [{"name": "甲", "slug": "a", "url": feed(1, 2)}])
    assert _run(root, "--no-commit") == 0
    first = sorted((root / "articles").rglob("*.md"))[0]
    first.unlink()  # lost outside newsmirror's knowledge (no git to tell)
    assert _run(root, "--no-commit") == 0
    assert not first.exists()  # 304: nothing to see, the index still claims it
    assert _run(root, "--no-commit", "--force") == 0
    assert first.exists()
    first.unlink()
    assert main(["-C", str(root), "reindex"]) == 0
    assert "Every feed will be read in full by the next run." in capsys.readouterr().out
    assert _run(root, "--no-commit") == 0
    assert first.exists()
    assert len(list((root / "articles").rglob("*.md"))) == 2


def test_an_article_removed_by_a_commit_is_archived_again_while_the_feed_offers_it(tmp_path, feed):
    root = tmp_path / "m"
    write_config(root, [{"name": "甲", "slug": "a", "url": feed(1, 2)}])
    git(root, "init", "-q")
    assert _run(root) == 0
    first = sorted((root / "articles").rglob("*.md"))[0]
    git(root, "rm", "-q", str(first.relative_to(root)))
    git(root, "commit", "-qm", "removed by hand")
    assert _run(root) == 0  # the index follows the commit and reads the feed in full
    assert first.exists()


def test_a_replay_cut_short_by_a_kill_is_undone_by_the_next_run(tmp_path, feed):
    remote = _bare(tmp_path)
    _operator_mirror(tmp_path, remote, feed(1))
    runner = _clone(remote, tmp_path / "runner", shallow=False)
    other = _clone(remote, tmp_path / "other", shallow=False)
    for clone, words in ((other, "theirs"), (runner, "ours")):
        (clone / "NOTES.md").write_text(f"{words}\n")
        git(clone, "add", "NOTES.md")
        git(clone, "commit", "-qm", f"notes: {words}")
    git(other, "push", "-q")
    git(runner, "fetch", "-q")
    rebase = subprocess.run(
        ["git", "-C", str(runner), "rebase", "origin/main"], capture_output=True
    )
    assert rebase.returncode != 0 and (runner / ".git" / "rebase-merge").exists()
    mine = git(runner, "rev-parse", "ORIG_HEAD").strip()
    (runner / ".newsmirror").mkdir()
    (runner / ".newsmirror" / "replaying").write_text("replaying\n")  # as a killed run leaves it
    assert _run(runner) == 0
    assert not (runner / ".git" / "rebase-merge").exists()
    assert git(runner, "rev-parse", "HEAD~1").strip() == mine  # its own history, one commit on
    assert git(runner, "log", "-1", "--format=%s").startswith("Archive 1 new article")
    assert (runner / "NOTES.md").read_text() == "ours\n"
