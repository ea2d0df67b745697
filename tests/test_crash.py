"""Crash safety: a run killed at any moment leaves nothing the next run cannot finish."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import REPO, git, git_mirror, rss, rss_item, write_config
from newsmirror.cli import main
from newsmirror.mirror import Mirror
from newsmirror.store.article import parse
from newsmirror.store.sqlite import SqliteStore

SOURCES = 24
KILLS = 32
MAX_KILLS = 96
WANT_JOURNALED = 3


def _feed_text(source: int, generation: int) -> str:
    """Generation g of a source's feed: 40 + 6g items, newest first; items stay in the feed,
    so that an item whose every run was killed before reaching it is still there to archive.
    Every third item has no date (it is dated when first seen), every fifth has no guid."""
    items = []
    for n in reversed(range(generation * 6 + 40)):
        date = "" if n % 3 == 0 else f"Mon, {1 + n % 28:02d} Mar 2021 {n % 24:02d}:00:00 GMT"
        items.append(
            rss_item(
                f"{source}-{n}",
                date=date,
                guid="" if n % 5 == 0 else None,
                body=f"<p>第 {n} 篇 {'长文 ' * (n % 50)}</p>",
            )
        )
    return rss(*items)


def _write_feeds(feeds: Path, generation: int) -> None:
    for s in range(SOURCES):
        (feeds / f"f{s}.xml").write_text(_feed_text(s, generation), encoding="utf-8")


def _expected_links(generations: int) -> dict[str, set[str]]:
    return {
        f"s{s}": {
            f"https://example.org/a/{s}-{n}.html" for n in range(0, (generations - 1) * 6 + 40)
        }
        for s in range(SOURCES)
    }


def _start_run(root: Path, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    env.update(GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@t", GIT_COMMITTER_NAME="t")
    env["GIT_COMMITTER_EMAIL"] = "t@t"
    with open(log, "ab") as errors:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(
            [sys.executable, "-m", "newsmirror", "-C", str(root), "run", "--force", "--wait", "60"],
            stdout=subprocess.DEVNULL,
            stderr=errors,
            env=env,
            start_new_session=True,  # its own process group: a kill takes workers and git too
        )


def _check_consistent(root: Path, expected: dict[str, set[str]]) -> None:
    """Every item archived exactly once; index and files agree; nothing half-done remains."""
    files = {
        p.relative_to(root).as_posix()
        for p in (root / "articles").rglob("*")
        if p.is_file() and p.suffix == ".md"
    }
    leftovers = [
        *(root / "articles").rglob("*.tmp"),
        *(root / "lists").glob("*.tmp"),
        *root.glob("*.tmp"),
    ]  # not .git: a background `git gc` may be changing it
    assert not leftovers, leftovers
    index = SqliteStore(root / ".newsmirror" / "index.sqlite")
    try:
        indexed = index.all_paths()
        assert index.pending() == []
        assert index.todo("commit") == [] and index.todo("list") == []
    finally:
        index.close()
    assert indexed == files
    links: dict[str, list[str]] = {}
    for path in files:
        article = parse((root / path).read_text(encoding="utf-8"))
        links.setdefault(path.split("/")[1], []).append(article.url)
    for slug, wanted in expected.items():
        got = links.get(slug, [])
        assert len(got) == len(set(got)), f"{slug}: duplicated articles"
        assert set(got) == wanted, f"{slug}: {len(wanted - set(got))} items lost"
    assert git(root, "status", "--porcelain", "--untracked-files=all") == ""


def _journal_size(root: Path) -> int:
    index = SqliteStore(root / ".newsmirror" / "index.sqlite")
    try:
        return len(index.pending())
    finally:
        index.close()


@pytest.mark.skipif(not hasattr(os, "killpg"), reason="needs POSIX process groups")
def test_a_run_killed_at_random_moments_resumes_without_loss_or_duplicates(tmp_path):
    feeds = tmp_path / "feeds"
    feeds.mkdir()
    root = tmp_path / "m"
    sites = []
    for s in range(SOURCES):
        site = {"name": f"n{s}", "slug": f"s{s}", "url": (feeds / f"f{s}.xml").as_uri()}
        if s % 4 == 0:
            site["layout"] = "flat"
        sites.append(site)
    write_config(root, sites)
    git_mirror(root)
    rng = random.Random(20261127)
    generation = 0
    _write_feeds(feeds, generation)
    log = tmp_path / "errors.log"
    probe = _start_run(root, log)
    assert probe.wait(timeout=120) == 0, log.read_text()
    # How long a run with new items takes here, so that kills land all through one.
    generation += 1
    _write_feeds(feeds, generation)
    started = time.monotonic()
    probe = _start_run(root, log)
    assert probe.wait(timeout=120) == 0, log.read_text()
    span = time.monotonic() - started
    killed_mid_run = journaled = half_written = 0
    attempt = 0
    # At least KILLS kills; more (up to MAX_KILLS) until enough of them have landed inside a
    # run and between journaling and indexing: how often they do depends on this machine.
    while attempt < KILLS or (
        attempt < MAX_KILLS and (killed_mid_run < KILLS // 2 or journaled < WANT_JOURNALED)
    ):
        generation += 1
        _write_feeds(feeds, generation)
        process = _start_run(root, log)
        time.sleep(rng.uniform(0.02, span))
        if process.poll() is None:
            killed_mid_run += 1
        try:
            if attempt % 3 == 2:
                os.kill(process.pid, signal.SIGKILL)  # the main process only
            else:
                os.killpg(process.pid, signal.SIGKILL)  # like a power cut: everything
        except ProcessLookupError:
            pass
        process.wait(timeout=60)
        journaled += _journal_size(root) > 0
        half_written += any((root / "articles").rglob("*.tmp"))
        attempt += 1
    print(
        f"kills: {attempt}, inside a run: {killed_mid_run}, with journaled articles left:"
        f" {journaled}, with half-written files left: {half_written}"
    )
    assert killed_mid_run >= KILLS // 2  # most kills must land inside a run
    assert journaled >= WANT_JOURNALED  # and several between journaling and indexing
    final = _start_run(root, log)
    assert final.wait(timeout=180) == 0, log.read_text()
    _check_consistent(root, _expected_links(generation + 1))
    # and a further pass finds nothing left to do
    assert main(["-C", str(root), "run"]) == 0
    _check_consistent(root, _expected_links(generation + 1))


def test_journaled_articles_are_recovered_or_dropped(tmp_path, feed_server):
    """The journal decides after a crash: a complete file is indexed, a cut one is removed,
    a missing one is forgotten (its item is still in the feed and comes again)."""
    root = tmp_path / "m"
    url = feed_server.serve("/a.xml", rss(rss_item(1), rss_item(2), rss_item(3)))
    write_config(root, [{"name": "A", "slug": "a", "url": url}])
    mirror = Mirror.open(root)
    index, _ = mirror.fresh_index()
    from newsmirror.pipeline import _archive_all
    from newsmirror.store import recovery

    real_write = mirror.writer.write
    written: list[str] = []

    def crash_after_two(path: str, text: str) -> None:
        if len(written) == 2:
            raise KeyboardInterrupt  # the process dies here
        real_write(path, text)
        written.append(path)

    mirror.writer.write = crash_after_two  # type: ignore[method-assign]
    with pytest.raises(KeyboardInterrupt):
        _archive_all(mirror, index)
    assert len(index.pending()) == 3 and index.all_paths() == set()
    (root / written[1]).write_text("# cut short", encoding="utf-8")  # power loss mid-file
    (root / (written[0] + ".123.tmp")).write_text("half", encoding="utf-8")
    assert recovery.recover(index, mirror.archive) == 1
    assert index.all_paths() == {written[0]} and index.pending() == []
    assert not (root / written[1]).exists() and not list(root.rglob("*.tmp"))
    index.close()
    assert main(["-C", str(root), "run", "--no-commit"]) == 0
    assert len(list((root / "articles").rglob("*.md"))) == 3


def test_a_second_run_waits_for_the_lock_or_refuses_clearly(tmp_path, feed_server, capsys):
    root = tmp_path / "m"
    url = feed_server.serve("/a.xml", rss(rss_item(1)))
    write_config(root, [{"name": "A", "slug": "a", "url": url}])
    mirror = Mirror.open(root)
    with mirror.lock():
        assert main(["-C", str(root), "run", "--wait", "0.3"]) == 3
        err = capsys.readouterr().err
        assert "holds the lock" in err and "after waiting 0.3 s" in err
        assert not (root / "articles").exists() or not list((root / "articles").rglob("*.md"))
    # with the lock free again, a waiting run goes ahead
    assert main(["-C", str(root), "run", "--wait", "5"]) == 0


def test_a_run_waits_for_a_lock_released_meanwhile(tmp_path, feed_server):
    root = tmp_path / "m"
    url = feed_server.serve("/a.xml", rss(rss_item(1)))
    write_config(root, [{"name": "A", "slug": "a", "url": url}])
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; sys.path.insert(0, sys.argv[2]);"
            "from pathlib import Path; from newsmirror.mirror import Mirror\n"
            "with Mirror.open(Path(sys.argv[1])).lock():\n"
            "    print('held', flush=True); time.sleep(1.0)",
            str(root),
            str(REPO / "src"),
        ],
        stdout=subprocess.PIPE,
    )
    with holder:
        assert holder.stdout is not None and holder.stdout.readline().strip() == b"held"
        assert main(["-C", str(root), "run", "--no-commit", "--wait", "30"]) == 0
        assert holder.wait(timeout=30) == 0
    assert len(list((root / "articles").rglob("*.md"))) == 1


def test_a_stale_git_lock_left_by_a_killed_commit_does_not_stop_later_runs(tmp_path, feed_server):
    root = tmp_path / "m"
    url = feed_server.serve("/a.xml", rss(rss_item(1)))
    write_config(root, [{"name": "A", "slug": "a", "url": url}])
    git(root, "init", "-q")
    assert main(["-C", str(root), "run"]) == 0
    git(root, "add", "newsmirror.toml")
    git(root, "commit", "-qm", "config")
    (root / ".git" / "index.lock").write_bytes(b"")  # what a killed `git add` leaves
    feed_server.serve("/a.xml", rss(rss_item(1), rss_item(2)))
    assert main(["-C", str(root), "run"]) == 0
    assert git(root, "status", "--porcelain") == ""
    assert not (root / ".git" / "index.lock").exists()
    assert git(root, "log", "-1", "--format=%s").startswith("Archive 1 new article")


def test_changes_left_uncommitted_are_committed_by_the_next_run(tmp_path, feed_server):
    root = tmp_path / "m"
    url = feed_server.serve("/a.xml", rss(rss_item(1)))
    write_config(root, [{"name": "A", "slug": "a", "url": url}])
    git_mirror(root)
    assert main(["-C", str(root), "run", "--no-commit"]) == 0
    assert git(root, "status", "--porcelain")  # written, not committed
    assert main(["-C", str(root), "run"]) == 0  # nothing new in the feed...
    assert git(root, "status", "--porcelain", "--untracked-files=all") == ""  # ...but committed


@pytest.mark.parametrize("in_git", [True, False])
def test_files_whose_index_rows_a_power_cut_lost_are_adopted_not_written_twice(
    tmp_path, feed_server, monkeypatch, in_git
):
    """A power cut before the pass's sync can lose every index write after the durable
    'running' mark while article files reach the disk. The next pass must index those
    files rather than archive their items again (an undated item would get a new name)."""
    import shutil

    root = tmp_path / "m"
    url = feed_server.serve("/a.xml", rss(rss_item(1)))
    write_config(root, [{"name": "A", "slug": "a", "url": url}])
    if in_git:
        git(root, "init", "-q")
    assert main(["-C", str(root), "run"]) == 0
    state = root / ".newsmirror"
    saved = tmp_path / "saved"
    shutil.copytree(state, saved)  # the index as the disk held it before the cut
    undated = rss_item(2, date="")
    feed_server.serve("/a.xml", rss(undated, rss_item(3), rss_item(1)))
    assert main(["-C", str(root), "run", "--no-commit"]) == 0
    written = {p.relative_to(root).as_posix() for p in (root / "articles").rglob("*.md")}
    assert len(written) == 3
    shutil.rmtree(state)
    shutil.copytree(saved, state)
    index = SqliteStore(state / "index.sqlite")
    index.set_meta_durably("running", "4242")  # the mark survived; nothing after it did
    index.close()
    later = time.time() + 3600  # the undated item would now be dated an hour later
    monkeypatch.setattr(time, "time", lambda: later)
    assert main(["-C", str(root), "run"]) == 0
    after = {p.relative_to(root).as_posix() for p in (root / "articles").rglob("*.md")}
    assert after == written  # nothing archived twice
    index = SqliteStore(state / "index.sqlite")
    try:
        assert index.all_paths() == written
    finally:
        index.close()
    if in_git:
        assert git(root, "status", "--porcelain", "--", "articles") == ""  # and committed


def test_articles_of_a_source_that_failed_half_way_are_recovered_next_pass(tmp_path, feed_server):
    root = tmp_path / "m"
    url = feed_server.serve("/a.xml", rss(rss_item(1), rss_item(2), rss_item(3)))
    write_config(root, [{"name": "A", "slug": "a", "url": url}])
    mirror = Mirror.open(root)
    real_write = mirror.writer.write
    calls: list[str] = []

    def disk_full_on_third(path: str, text: str) -> None:
        calls.append(path)
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        real_write(path, text)

    mirror.writer.write = disk_full_on_third  # type: ignore[method-assign]
    from newsmirror.pipeline import run_pass

    report = run_pass(mirror, commit=False)
    assert [o.error_kind for o in report.outcomes] == ["write"]
    index = SqliteStore(root / ".newsmirror" / "index.sqlite")
    try:
        assert len(index.pending()) == 3  # kept: two of its files exist, unindexed
    finally:
        index.close()
    assert main(["-C", str(root), "run", "--no-commit"]) == 0
    files = sorted(p.relative_to(root).as_posix() for p in (root / "articles").rglob("*.md"))
    index = SqliteStore(root / ".newsmirror" / "index.sqlite")
    try:
        assert len(files) == 3 and sorted(index.all_paths()) == files
        assert index.pending() == []
    finally:
        index.close()


def test_pages_an_interrupted_pass_wrote_are_committed_by_the_next(
    tmp_path, feed_server, monkeypatch
):
    from newsmirror.publish.site import Pages

    root = tmp_path / "m"
    url = feed_server.serve("/a.xml", rss(rss_item(1)))
    write_config(root, [{"name": "A", "slug": "a", "url": url}])
    git(root, "init", "-q")
    assert main(["-C", str(root), "run"]) == 0
    git(root, "add", "newsmirror.toml")
    git(root, "commit", "-qm", "config")
    later = rss_item(2, date="Tue, 16 Mar 2021 08:00:00 GMT")
    feed_server.serve("/a.xml", rss(rss_item(1), later))

    def interrupted(*args, **kwargs):  # the pages are written; the pass ends before its records
        raise KeyboardInterrupt

    monkeypatch.setattr(Pages, "write_status", interrupted)
    assert main(["-C", str(root), "run"]) == 130
    monkeypatch.undo()
    assert (root / "digests" / "2021" / "03" / "2021-03-16.md").exists()
    assert main(["-C", str(root), "run"]) == 0
    assert git(root, "status", "--porcelain", "--untracked-files=all") == ""
