"""The operator's first hour: the README's commands on a fresh clone of the project, and a
mirror folder wherever it is (inside another repository, outside any, a repository of its own).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from conftest import REPO, git, rss, rss_item, write_config
from newsmirror.cli import main

# Loaded by every Python started with this folder on PYTHONPATH: name look-ups of anything but
# loopback fail at once, so that the default sources fail as they would offline, without a
# single packet leaving the machine.
NETWORK_GUARD = """\
import socket
_real = socket.getaddrinfo
def _loopback_only(host, *args, **kwargs):
    if host not in ("127.0.0.1", "localhost", "::1", None):
        raise socket.gaierror(socket.EAI_NONAME, f"offline: {host}")
    return _real(host, *args, **kwargs)
socket.getaddrinfo = _loopback_only
"""


def _clean(root: Path) -> bool:
    return git(root, "status", "--porcelain", "--untracked-files=all") == ""


def _make(project: Path, target: str, guard: Path | None, **variables: str) -> tuple[int, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS")}
    if guard is not None:
        env["PYTHONPATH"] = str(guard)
    args = ["make", "-C", str(project), target, *(f"{k}={v}" for k, v in variables.items())]
    done = subprocess.run(args, capture_output=True, text=True, env=env, timeout=900)
    return done.returncode, done.stdout + done.stderr


@pytest.fixture(scope="module")
def fresh_clone(tmp_path_factory) -> Path:
    """The project as a new user gets it: a clone, its environment made by `make venv`."""
    if not (REPO / ".git").exists():
        pytest.skip("not a git checkout of the project")
    project = tmp_path_factory.mktemp("fresh") / "newsmirror"
    subprocess.run(["git", "clone", "-q", str(REPO), str(project)], check=True)
    status, output = _make(project, "venv", None)
    if status != 0:
        pytest.skip(f"could not create the environment (no package index?): {output[-500:]}")
    return project


def test_make_run_and_make_demo_work_on_a_fresh_clone(fresh_clone, tmp_path):
    guard = tmp_path / "guard"
    guard.mkdir()
    (guard / "sitecustomize.py").write_text(NETWORK_GUARD)

    status, output = _make(fresh_clone, "run", guard)
    assert status == 0, output
    mirror = fresh_clone / "mirror"
    assert "is inside the repository" in output and "created a repository of its own" in output
    assert "every source failed in this pass" in output  # offline here: said, not fatal
    assert git(mirror, "rev-parse", "--show-toplevel").strip() == str(mirror)
    assert _clean(mirror) and _clean(fresh_clone)  # the project's own clone stays clean
    files = git(mirror, "ls-files").split()
    assert {"newsmirror.toml", ".gitignore", "README.md", "status.md"} <= set(files)
    assert "dns" in (mirror / "status.md").read_text(encoding="utf-8")
    status, output = _make(fresh_clone, "run", guard)  # and again: no git error, no new repo
    assert status == 0 and "git add failed" not in output, output

    status, output = _make(fresh_clone, "demo", guard)
    assert status == 0, output
    demo = fresh_clone / "demo-mirror"
    assert "7 new articles from 3 sources (3 ok, 0 failed)" in output
    assert git(demo, "rev-parse", "--show-toplevel").strip() == str(demo)
    assert git(demo, "log", "-1", "--format=%s").startswith("Archive 7 new articles")
    assert _clean(demo) and _clean(fresh_clone)


def test_make_run_commits_a_mirror_outside_any_repository(fresh_clone, tmp_path, feed_server):
    outside = tmp_path / "outside"
    feed = feed_server.serve("/a.xml", rss(rss_item(1), rss_item(2)))
    write_config(outside, [{"name": "甲", "slug": "a", "url": feed}])
    status, output = _make(fresh_clone, "run", None, DIR=str(outside))
    assert status == 0, output
    # A configured folder that is no repository is archived without commits, as documented;
    # `init` (what `make run` does for a new folder) gives it one.
    assert "2 new articles" in output and not (outside / ".git").exists()
    new = tmp_path / "new"
    status, output = _make(fresh_clone, "run", None, DIR=str(new))
    assert status == 0, output
    assert (new / ".git").is_dir() and _clean(new)


# --- where a mirror folder is -----------------------------------------------------------------


def _point_at(root: Path, url: str) -> None:
    write_config(root, [{"name": "甲", "slug": "a", "url": url}])
    git(root, "commit", "-qam", "point at the test feed")


def test_init_inside_a_repository_that_ignores_the_folder_makes_its_own(tmp_path, capsys):
    outer = tmp_path / "project"
    git(tmp_path, "init", "-q", str(outer))
    (outer / ".gitignore").write_text("/mirror/\n")
    assert main(["init", str(outer / "mirror")]) == 0
    out = capsys.readouterr().out
    assert f"is inside the repository {outer}, which ignores it" in out
    assert git(outer / "mirror", "rev-parse", "--show-toplevel").strip() == str(outer / "mirror")
    assert _clean(outer / "mirror")


def test_init_inside_a_repository_that_does_not_track_the_folder_makes_its_own(tmp_path, capsys):
    outer = tmp_path / "project"
    git(tmp_path, "init", "-q", str(outer))
    assert main(["init", str(outer / "news")]) == 0
    assert "which does not track it: created a repository of its own" in capsys.readouterr().out
    assert git(outer / "news", "rev-parse", "--show-toplevel").strip() == str(outer / "news")


def test_init_in_a_folder_a_larger_repository_tracks_commits_there(tmp_path, capsys):
    outer = tmp_path / "project"
    git(tmp_path, "init", "-q", str(outer))
    (outer / "news").mkdir()
    (outer / "news" / "NOTES.md").write_text("kept here\n")
    git(outer, "add", "-A")
    git(outer, "commit", "-qm", "notes")
    assert main(["init", str(outer / "news")]) == 0
    out = capsys.readouterr().out
    assert f"commits go to the enclosing repository {outer}" in out and "will not run" in out
    assert not (outer / "news" / ".git").exists()
    assert "news/newsmirror.toml" in git(outer, "ls-files")


def test_init_outside_any_repository_and_in_one_of_its_own(tmp_path, capsys):
    fresh = tmp_path / "fresh"
    assert main(["init", str(fresh)]) == 0
    assert "(new git repository)" in capsys.readouterr().out
    own = tmp_path / "own"
    git(tmp_path, "init", "-q", str(own))
    assert main(["init", str(own)]) == 0
    assert "(new git repository)" not in capsys.readouterr().out
    assert _clean(fresh) and _clean(own)


def test_a_mirror_made_inside_an_ignoring_repository_is_repaired_by_run(
    tmp_path, feed_server, capsys
):
    """A mirror made by an older newsmirror inside a repository that ignores it: every run
    used to fail at `git add`. Now the run gives it a repository and commits."""
    outer = tmp_path / "project"
    git(tmp_path, "init", "-q", str(outer))
    (outer / ".gitignore").write_text("/mirror/\n")
    mirror = outer / "mirror"
    write_config(
        mirror, [{"name": "甲", "slug": "a", "url": feed_server.serve("/a", rss(rss_item(1)))}]
    )
    assert main(["-C", str(mirror), "run"]) == 0
    out = capsys.readouterr().out
    assert "which ignores it: created a repository of its own" in out
    assert "1 new article from 1 source (1 ok, 0 failed)" in out and "committed." in out
    assert git(mirror, "log", "-1", "--format=%s").strip() == "Archive 1 new article from 甲 1"


def test_init_refuses_a_readme_it_did_not_write(tmp_path, capsys):
    root = tmp_path / "m"
    root.mkdir()
    (root / "README.md").write_text("# My project\n")
    assert main(["init", str(root)]) == 1
    err = capsys.readouterr().err
    assert f"{root / 'README.md'} exists and newsmirror did not write it" in err
    assert "`newsmirror init --force`" in err
    assert (root / "README.md").read_text() == "# My project\n"
    assert not (root / "newsmirror.toml").exists() and not (root / ".git").exists()
    assert main(["init", str(root), "--force"]) == 0
    assert f"replaced {root / 'README.md'}" in capsys.readouterr().out


def test_init_refuses_a_folder_holding_an_archive_without_adopt(tmp_path, capsys):
    root = tmp_path / "m"
    (root / "articles" / "voa").mkdir(parents=True)
    (root / "articles" / "voa" / "1.md").write_text("<!--0-->\n[a](https://a.org/)\n------\n\nx\n")
    assert main(["init", str(root)]) == 1
    assert "init --adopt" in capsys.readouterr().err
