"""The command line as people use it: -C anywhere, progress on a terminal, plain lines
elsewhere, -q/-v, Ctrl-C, `check`, `run --dry-run`, per-host limits, heartbeats, exit codes."""

from __future__ import annotations

import hashlib
import os
import pty
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import REPO, git, git_mirror, rss, rss_item, write_config
from faultserver import FaultServer
from newsmirror.cli import EXIT_INTERRUPTED, EXIT_SOURCES_FAILED, main
from newsmirror.store.sqlite import SqliteStore

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\r")


def _env() -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(REPO / "src"), "TERM": "xterm", "COLUMNS": "120"}
    env.update(GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@t", GIT_COMMITTER_NAME="t")
    env["GIT_COMMITTER_EMAIL"] = "t@t"
    return env


def _two_sources(root: Path, fast: str, slow: str, **mirror: object) -> None:
    write_config(
        root,
        [
            {"name": "快", "slug": "fast", "url": fast},
            {"name": "慢", "slug": "slow", "url": slow},
        ],
        **mirror,
    )


def test_c_goes_before_or_after_the_command(tmp_path, feed_server, capsys):
    root = tmp_path / "m"
    write_config(
        root, [{"name": "甲", "slug": "a", "url": feed_server.serve("/a", rss(rss_item(1)))}]
    )
    assert main(["run", "-C", str(root), "--no-commit"]) == 0
    assert "1 new article from 1 source" in capsys.readouterr().out
    assert main(["-C", str(tmp_path / "elsewhere"), "status", "-C", str(root)]) == 0  # last wins
    with pytest.raises(SystemExit) as done:
        main(["status", "--help"])
    assert done.value.code == 0 and "-C DIR" in capsys.readouterr().out


def test_quiet_and_verbose(tmp_path, feed_server, capsys):
    root = tmp_path / "m"
    feed = feed_server.serve("/a", rss(rss_item(1)))
    write_config(root, [{"name": "甲", "slug": "a", "url": feed}])
    assert main(["-q", "-C", str(root), "run", "--no-commit"]) == 0
    out = capsys.readouterr().out
    assert "new of" not in out and out.startswith("1 new article from 1 source")
    assert main(["-C", str(root), "run", "-v", "--no-commit"]) == 0
    assert "甲 (a): nothing new: feed unchanged in " in capsys.readouterr().out


def test_plain_output_has_a_line_per_source_as_it_finishes(tmp_path, capsys):
    with FaultServer() as server:
        root = tmp_path / "m"
        _two_sources(
            root, server.url("/feed.xml", items=2), server.url("/feed.xml", items=3, delay=1.5)
        )
        assert main(["-C", str(root), "run", "--no-commit"]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out  # no terminal codes in a log
    fast, slow = out.index("快 (fast): 2 new of 2"), out.index("慢 (slow): 3 new of 3")
    assert fast < slow < out.index("5 new articles from 2 sources (2 ok, 0 failed)")


def _run_on_a_terminal(args: list[str], timeout: float = 60) -> tuple[int, str]:
    """Run newsmirror with a pseudo-terminal as its output, as a person at a terminal does."""
    master, slave = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "newsmirror", *args],
        stdout=slave,
        stderr=slave,
        stdin=subprocess.DEVNULL,
        env=_env(),
    )
    os.close(slave)
    chunks = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            data = os.read(master, 65536)
        except OSError:  # the terminal closed: the process is done
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    return process.wait(timeout=10), b"".join(chunks).decode("utf-8", "replace")


def test_a_terminal_shows_progress_and_names_the_slow_source(tmp_path):
    with FaultServer() as server:
        root = tmp_path / "m"
        _two_sources(
            root, server.url("/feed.xml", items=2), server.url("/feed.xml", items=3, delay=5)
        )
        status, screen = _run_on_a_terminal(["-C", str(root), "run", "--no-commit"])
    assert status == 0, screen
    text = ANSI.sub("", screen)
    assert "fetching 1/2 sources · 2 new articles" in text
    assert re.search(r"slow: slow [3-5] s", text), text
    assert "快 (fast): 2 new of 2" in text and "慢 (slow): 3 new of 3" in text
    assert "5 new articles from 2 sources (2 ok, 0 failed)" in text


def test_ctrl_c_ends_with_one_line_and_loses_nothing(tmp_path):
    with FaultServer() as fast_server, FaultServer() as slow_server:
        root = tmp_path / "m"
        slow = slow_server.url("/feed.xml", items=3, delay=30)
        _two_sources(root, fast_server.url("/feed.xml", items=2), slow, workers=2)
        git_mirror(root)
        process = subprocess.Popen(
            [sys.executable, "-m", "newsmirror", "-C", str(root), "run"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=_env(),
            start_new_session=True,
            text=True,
        )
        deadline = time.monotonic() + 30
        while not list((root / "articles").rglob("*.md")) and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)
        os.killpg(process.pid, signal.SIGINT)  # what a terminal's Ctrl-C does
        out, err = process.communicate(timeout=30)
    assert process.returncode == EXIT_INTERRUPTED, (out, err)
    assert "Traceback" not in err and "Traceback" not in out
    assert err.strip().splitlines() == [
        "newsmirror: interrupted; what was written is kept, and the next run finishes it"
    ]
    with FaultServer() as fast_server, FaultServer() as slow_server:
        _two_sources(
            root,
            fast_server.url("/feed.xml", items=2),
            slow_server.url("/feed.xml", items=3),
            workers=2,
        )
        git(root, "commit", "-qam", "servers moved")
        assert main(["-C", str(root), "run"]) == 0
    files = list((root / "articles").rglob("*.md"))
    assert len(files) == 5  # each item once
    assert git(root, "status", "--porcelain", "--untracked-files=all") == ""
    index = SqliteStore(root / ".newsmirror" / "index.sqlite")
    try:
        assert len(index.all_paths()) == 5 and index.pending() == []
    finally:
        index.close()


def test_check_validates_and_writes_nothing(tmp_path, feed_server, capsys):
    root = tmp_path / "m"
    good = feed_server.serve("/a.xml", rss(rss_item(1), rss_item(2)))
    write_config(
        root,
        [
            {"name": "甲", "slug": "a", "url": good},
            {"name": "乙", "slug": "b", "url": feed_server.url("/missing.xml")},
        ],
    )
    before = sorted(p.name for p in root.iterdir())
    assert main(["-C", str(root), "check"]) == 0
    out = capsys.readouterr().out
    assert "newsmirror.toml: valid; 2 sites, 2 fetched, 0 archive only." in out
    assert "git: not a repository" in out
    assert main(["-C", str(root), "check", "--fetch"]) == EXIT_SOURCES_FAILED
    out = capsys.readouterr().out
    assert "ok a: rss2.0, 2 items" in out and "FAILED b: http: HTTP 404" in out
    assert "1 of 2 sources answered with a feed." in out
    assert sorted(p.name for p in root.iterdir()) == before  # no index, no lock, nothing
    (root / "newsmirror.toml").write_text("[mirror]\nper_host = 1.5\n")
    assert main(["-C", str(root), "check"]) == 2
    assert "mirror.per_host: must be an integer, not 1.5" in capsys.readouterr().err
    (root / "newsmirror.toml").write_text("[mirror]\n")
    assert main(["-C", str(root), "check"]) == 0
    assert "no [[site]] tables: there is nothing to fetch" in capsys.readouterr().err


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_dry_run_says_what_would_be_archived_and_writes_nothing(tmp_path, feed_server, capsys):
    root = tmp_path / "m"
    feed = feed_server.serve("/a.xml", rss(rss_item(1), rss_item(2)))
    write_config(root, [{"name": "甲", "slug": "a", "url": feed}])
    assert main(["-C", str(root), "run", "--dry-run"]) == 0  # never run: no index yet
    out = capsys.readouterr().out
    assert "甲 (a): would archive 2 of 2" in out and "nothing was written" in out
    assert sorted(p.name for p in root.iterdir()) == ["newsmirror.toml"]
    git_mirror(root)
    assert main(["-C", str(root), "run"]) == 0
    feed_server.serve("/a.xml", rss(rss_item(1), rss_item(2), rss_item(3, title="第三")))
    index_file = root / ".newsmirror" / "index.sqlite"
    state = (_digest(index_file), git(root, "rev-parse", "HEAD"))
    files = sorted((root / "articles").rglob("*"))
    capsys.readouterr()
    assert main(["-C", str(root), "run", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "甲 (a): would archive 1 of 3" in out
    would = re.search(r"(articles/a/\S+\.md)  第三", out).group(1)
    assert "Dry run: 1 new article would be archived from 1 source" in out
    assert (_digest(index_file), git(root, "rev-parse", "HEAD")) == state
    assert sorted((root / "articles").rglob("*")) == files
    assert git(root, "status", "--porcelain", "--untracked-files=all") == ""
    assert main(["-C", str(root), "run"]) == 0
    assert (root / would).exists()  # the very file the dry run named


def test_a_host_can_take_more_requests_than_per_host(tmp_path):
    with FaultServer() as server:
        sites = [
            {
                "name": f"n{i}",
                "slug": f"s{i}",
                "url": server.url("/feed.xml", items=1, delay=0.6, n=i),
            }
            for i in range(8)
        ]
        root = tmp_path / "m"
        write_config(root, sites, workers=1)
        assert main(["-C", str(root), "run", "--no-commit", "--force"]) == 0
        assert server.max_in_flight("/feed.xml") <= 2  # the default per_host
        server.requests.clear()
        config = (root / "newsmirror.toml").read_text()
        (root / "newsmirror.toml").write_text(
            config + f'\n[hosts."127.0.0.1:{server.port}"]\nper_host = 8\n'
        )
        assert main(["-C", str(root), "run", "--no-commit", "--force"]) == 0
        assert server.max_in_flight("/feed.xml") >= 6
        (root / "newsmirror.toml").write_text(config + '\n[hosts."127.0.0.1"]\nper_host = 4\n')
        server.requests.clear()
        assert main(["-C", str(root), "run", "--no-commit", "--force"]) == 0
        assert 3 <= server.max_in_flight("/feed.xml") <= 4  # a name covers every port


@pytest.mark.parametrize(
    "table, message",
    [
        ('[hosts."https://a.org"]\nper_host = 4\n', 'hosts."https://a.org": must be a lower-case'),
        ('[hosts."a.org"]\nper_host = 0\n', 'hosts."a.org".per_host: must be'),
        ('[hosts."a.org"]\nper = 4\n', 'hosts."a.org".per: unknown key'),
        ('[hosts."a.org"]\n', 'hosts."a.org".per_host: is required'),
        ('[hosts]\n"a.org" = 4\n', 'hosts."a.org": must be a table'),
    ],
)
def test_host_settings_are_checked(tmp_path, capsys, table, message):
    (tmp_path / "newsmirror.toml").write_text(table)
    assert main(["-C", str(tmp_path), "check"]) == 2
    assert message in capsys.readouterr().err


def _age_head(root: Path, days: float) -> None:
    """Make the last commit look `days` old (as a quiet mirror's would be)."""
    when = f"@{int(time.time() - days * 86400)} +0000"
    subprocess.run(
        ["git", "-C", str(root), "commit", "-q", "--amend", "--no-edit", "--date", when],
        check=True,
        env={**_env(), "GIT_COMMITTER_DATE": when},
    )


def test_a_quiet_mirror_commits_a_heartbeat_at_most_every_heartbeat_days(tmp_path, feed_server):
    root = tmp_path / "m"
    write_config(
        root, [{"name": "甲", "slug": "a", "url": feed_server.serve("/a", rss(rss_item(1)))}]
    )
    git_mirror(root)
    assert main(["-C", str(root), "run"]) == 0
    commits = int(git(root, "rev-list", "--count", "HEAD"))
    _age_head(root, 29)
    assert main(["-C", str(root), "run"]) == 0  # quiet, but not for long enough
    assert int(git(root, "rev-list", "--count", "HEAD")) == commits
    _age_head(root, 31)
    assert main(["-C", str(root), "run"]) == 0
    assert git(root, "log", "-1", "--format=%s").startswith("Heartbeat: nothing new to commit")
    assert int(git(root, "rev-list", "--count", "HEAD")) == commits + 1
    assert main(["-C", str(root), "run"]) == 0  # the heartbeat is recent: nothing more
    assert int(git(root, "rev-list", "--count", "HEAD")) == commits + 1
    write_config(
        root,
        [{"name": "甲", "slug": "a", "url": feed_server.url("/a")}],
        heartbeat_days=0,
    )
    git(root, "commit", "-qam", "no heartbeat")
    _age_head(root, 400)
    assert main(["-C", str(root), "run"]) == 0
    assert git(root, "log", "-1", "--format=%s").strip() == "no heartbeat"


def test_skipped_items_are_said_under_their_source(tmp_path, feed_server, capsys):
    root = tmp_path / "m"
    feed = feed_server.serve("/a", rss(rss_item(1), "<item></item>", "<item/>"))
    write_config(root, [{"name": "甲", "slug": "a", "url": feed}])
    assert main(["-C", str(root), "run", "--no-commit"]) == 0
    out = capsys.readouterr().out
    assert "甲 (a): 1 new of 3\n    2 items skipped: empty (no title, link or body)\n" in out
