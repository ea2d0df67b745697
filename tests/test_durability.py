"""Two durability rules: the pass's sync covers every article it wrote (whichever process wrote
it), and a source's recorded state follows its configured URL by one rule."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from conftest import rss, rss_item, write_config
from newsmirror.cli import main
from newsmirror.store import files


def _count_syncs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every way the pass could make files durable, counted (in this process, the parent)."""
    calls: list[str] = []
    real_sync = os.sync
    monkeypatch.setattr(os, "sync", lambda: (calls.append("os.sync"), real_sync())[1])
    if hasattr(files, "sync_filesystem"):
        real = files.sync_filesystem
        monkeypatch.setattr(
            files, "sync_filesystem", lambda root: (calls.append("syncfs"), real(root))[1]
        )
    return calls


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs worker processes started by fork")
def test_the_sync_covers_articles_only_a_worker_process_wrote(tmp_path, feed_server, monkeypatch):
    # Two hosts, so two shards: the first (this process) has nothing new, only the second (a
    # worker process) writes articles. Their files must be made durable before the index
    # records them.
    quiet = tmp_path / "quiet.xml"
    quiet.write_text(rss(), encoding="utf-8")
    busy = feed_server.serve("/busy.xml", rss(rss_item(1), rss_item(2)))
    root = tmp_path / "m"
    write_config(
        root,
        [
            {"name": "静", "slug": "quiet", "url": quiet.as_uri()},
            {"name": "忙", "slug": "busy", "url": busy},
        ],
        workers=2,
    )
    calls = _count_syncs(monkeypatch)
    assert main(["-C", str(root), "run", "--no-commit"]) == 0
    assert len(list((root / "articles" / "busy").rglob("*.md"))) == 2
    assert calls, "the pass recorded articles whose files were never synced"


def test_a_pass_that_wrote_nothing_does_not_sync(tmp_path, feed_server, monkeypatch):
    feed = feed_server.serve("/a.xml", rss(rss_item(1)))
    root = tmp_path / "m"
    write_config(root, [{"name": "甲", "slug": "a", "url": feed}])
    assert main(["-C", str(root), "run", "--no-commit"]) == 0
    calls = _count_syncs(monkeypatch)
    assert main(["-C", str(root), "run", "--no-commit"]) == 0  # nothing new
    assert calls == []


def _schema_1_index(root: Path, url: str) -> None:
    """An index written by the first version: a source row without `config_url`."""
    state = root / ".newsmirror"
    state.mkdir(parents=True)
    db = sqlite3.connect(state / "index.sqlite")
    db.executescript(
        "CREATE TABLE sources (slug TEXT PRIMARY KEY, url TEXT NOT NULL DEFAULT '',"
        " last_attempt_ms INTEGER, last_success_ms INTEGER, last_error_ms INTEGER,"
        " last_error_kind TEXT, last_error TEXT, failures INTEGER NOT NULL DEFAULT 0,"
        " etag TEXT, last_modified TEXT, body_hash TEXT);"
        f"INSERT INTO sources (slug, url, failures, etag, last_modified)"
        f" VALUES ('a', '{url}', 2, '\"old-tag\"', 'Mon, 05 Jul 2021 10:00:00 GMT');"
        "PRAGMA user_version=1;"
    )
    db.close()


def _source(root: Path):  # type: ignore[no-untyped-def]
    from newsmirror.mirror import Mirror

    with Mirror.open(root).open_index() as index:
        return index.source("a")


def test_a_schema_1_source_whose_url_changed_starts_afresh_everywhere(tmp_path, feed_server):
    """The fetch starts afresh for a new URL, and so must the failure count and validators:
    the old feed's ETag is never sent to the new URL, its failures never count against it."""
    root = tmp_path / "m"
    _schema_1_index(root, "https://old.example/feed.xml")
    new = feed_server.serve("/new.xml", "", status=500)
    write_config(root, [{"name": "A", "slug": "a", "url": new}])
    assert main(["-C", str(root), "run", "--no-commit"]) == 5
    state = _source(root)
    assert state.failures == 1, "the old URL's failures were counted against the new one"
    assert state.etag is None and state.last_modified is None
    feed_server.serve("/new.xml", rss(rss_item(1)))  # answers without validators of its own
    feed_server.requests.clear()
    assert main(["-C", str(root), "run", "--no-commit", "--force"]) == 0
    feed_server.requests.clear()
    assert main(["-C", str(root), "run", "--no-commit"]) == 0
    sent = feed_server.requests[-1][1]
    assert "if-none-match" not in sent and "if-modified-since" not in sent
