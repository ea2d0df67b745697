"""More than one home: `[[remote]]` entries pushed to by `run --push`; one refusing never stops
the others, backs off, and shows in status.md. Real bare repositories as remotes."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from conftest import git, git_mirror, rss, rss_item, write_config
from newsmirror.cli import main
from newsmirror.config import from_dict
from newsmirror.errors import ConfigError


def _bare(path: Path, refuse: bool = False) -> Path:
    subprocess.run(["git", "init", "-q", "--bare", str(path)], check=True)
    if refuse:
        hook = path / "hooks" / "pre-receive"
        hook.write_text("#!/bin/sh\necho 'this host refuses pushes' >&2\nexit 1\n")
        hook.chmod(0o755)
    return path


def _head(repo: Path, branch: str) -> str:
    done = subprocess.run(
        ["git", "--git-dir", str(repo), "rev-parse", f"refs/heads/{branch}"],
        capture_output=True,
        text=True,
    )
    return done.stdout.strip() if done.returncode == 0 else ""


def test_a_refusing_home_does_not_stop_the_others(tmp_path, feed_server, capsys):
    feed = feed_server.serve("/a.xml", rss(rss_item(1)))
    root = tmp_path / "m"
    write_config(root, [{"name": "甲", "slug": "a", "url": feed}])
    origin, good, bad = (
        _bare(tmp_path / n, n == "bad.git") for n in ("o.git", "good.git", "bad.git")
    )
    with (root / "newsmirror.toml").open("a", encoding="utf-8") as handle:
        handle.write(
            f'[[remote]]\nname = "refusing"\nurl = "{bad}"\n'
            f'[[remote]]\nname = "codeberg"\nurl = "{good}"\nbranch = "pages"\n'
        )
    git_mirror(root)
    git(root, "remote", "add", "origin", str(origin))
    branch = git(root, "symbolic-ref", "--short", "HEAD").strip()
    assert main(["-C", str(root), "run", "--push"]) == 0
    out, err = capsys.readouterr()
    head = git(root, "rev-parse", "HEAD").strip()
    assert _head(origin, branch) == head and _head(good, "pages") == head
    assert _head(bad, branch) == ""
    assert "Pushed to codeberg." in out and "push to refusing failed" in err
    # the next pass does not knock again at once; the good home gets the new commit
    feed_server.serve("/a.xml", rss(rss_item(1), rss_item(2)))
    assert main(["-C", str(root), "run", "--push"]) == 0
    out, _ = capsys.readouterr()
    assert "Not pushed to refusing: it failed recently" in out
    assert _head(good, "pages") == git(root, "rev-parse", "HEAD").strip()
    # status.md (written before the pass pushes) shows each home as the last push left it
    status = (root / "status.md").read_text("utf-8")
    assert "## Other homes" in status
    assert "- codeberg (" in status and ": ok, last pushed 20" in status
    assert "- refusing (" in status and "**failing** (1 in a row, last success never)" in status
    assert "this host refuses pushes" in status or "refused" in status


def test_an_unreachable_home_is_data(tmp_path, feed_server, capsys):
    feed = feed_server.serve("/a.xml", rss(rss_item(1)))
    root = tmp_path / "m"
    write_config(root, [{"name": "甲", "slug": "a", "url": feed}])
    with (root / "newsmirror.toml").open("a", encoding="utf-8") as handle:
        handle.write(f'[[remote]]\nname = "gone"\nurl = "{tmp_path / "nowhere.git"}"\n')
    git_mirror(root)
    assert main(["-C", str(root), "run", "--push"]) in (0, 6)  # no origin: exit 6 says so
    assert "push to gone failed" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("remote", "key"),
    [
        ({"url": "x"}, "remote[0].name"),
        ({"name": "Bad Name", "url": "x"}, "remote[0].name"),
        ({"name": "a", "url": "--upload-pack=evil"}, "remote[0].url"),
        ({"name": "a", "url": "x", "extra": 1}, "remote[0].extra"),
    ],
)
def test_bad_remote_tables_name_their_key(remote, key):
    with pytest.raises(ConfigError) as caught:
        from_dict({"remote": [remote]}, Path("newsmirror.toml"))
    assert key in str(caught.value)
