"""Source health: backoff, freshness, Retry-After, moves, staleness, status.md and exit codes."""

from __future__ import annotations

import random
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import git, git_mirror, rss, rss_item, write_config
from newsmirror.cli import EXIT_STALE, main
from newsmirror.config import Site
from newsmirror.decide.health import is_stale
from newsmirror.decide.schedule import (
    BACKOFF_BASE_MS,
    DUE_TOLERANCE_MS,
    HOUR_MS,
    RETRY_AFTER,
    RETRY_AFTER_LIMIT_MS,
    backoff_ms,
    is_due,
    schedule_after,
)
from newsmirror.records import Fetched, SourceState
from newsmirror.store.sqlite import SqliteStore

NOW = 1_800_000_000_000
DAY_MS = 24 * HOUR_MS
CEILING = 6 * HOUR_MS


def state(**fields) -> SourceState:
    base = dict(
        slug="a",
        url="https://a.org/feed",
        last_attempt_ms=None,
        last_success_ms=None,
        last_error_ms=None,
        last_error_kind=None,
        last_error=None,
        failures=0,
        etag=None,
        last_modified=None,
        body_hash=None,
    )
    return SourceState(**{**base, **fields})


# --- pure decisions -------------------------------------------------------------------------


@given(st.integers(1, 200), st.floats(0, 1, exclude_max=True))
def test_backoff_grows_to_the_ceiling_and_never_stops(failures, jitter):
    wait = backoff_ms(failures, CEILING, jitter)
    full = min(CEILING, BACKOFF_BASE_MS * 2 ** (failures - 1))
    assert full // 2 <= wait <= full  # jitter spreads the upper half only
    assert 0 < wait <= CEILING  # finite: a failing source is always retried


def test_backoff_doubles_per_failure_until_the_ceiling():
    assert [backoff_ms(n, CEILING, 0.999999) // 60_000 for n in range(1, 9)] == [
        4,
        9,
        19,
        39,
        79,
        159,
        319,
        359,
    ]
    waits = {backoff_ms(3, CEILING, random.random()) for _ in range(50)}
    assert len(waits) > 10  # jittered: sources that failed together do not retry together


def test_a_failure_waits_for_retry_after_when_it_is_longer_than_the_backoff():
    asked = Fetched("a", "u", error_kind="http", retry_after_ms=NOW + 3 * HOUR_MS)
    plan = schedule_after(asked, False, 0, NOW, CEILING, 0.5)
    assert plan.next_fetch_ms == NOW + 3 * HOUR_MS and plan.reason == RETRY_AFTER
    greedy = Fetched("a", "u", error_kind="http", retry_after_ms=NOW + 30 * DAY_MS)
    assert schedule_after(greedy, False, 0, NOW, CEILING, 0.5).next_fetch_ms == (
        NOW + RETRY_AFTER_LIMIT_MS
    )
    short = Fetched("a", "u", error_kind="http", retry_after_ms=NOW + 1000)
    plan = schedule_after(short, False, 4, NOW, CEILING, 0.5)
    assert plan.next_fetch_ms == NOW + backoff_ms(5, CEILING, 0.5)
    assert plan.reason == "backing off after 5 failures"


def test_a_fresh_answer_is_not_asked_again_before_it_expires_within_the_ceiling():
    fresh = Fetched("a", "u", status=200, fresh_until_ms=NOW + HOUR_MS)
    assert schedule_after(fresh, True, 3, NOW, CEILING, 0.5).next_fetch_ms == NOW + HOUR_MS
    forever = Fetched("a", "u", status=200, fresh_until_ms=NOW + 400 * DAY_MS)
    assert schedule_after(forever, True, 0, NOW, CEILING, 0.5).next_fetch_ms == NOW + CEILING
    assert schedule_after(Fetched("a", "u"), True, 0, NOW, CEILING, 0.5).next_fetch_ms is None


def test_due_allows_scheduler_drift_except_for_retry_after():
    assert is_due(None, NOW) and is_due(state(), NOW)
    soon = NOW + DUE_TOLERANCE_MS - 1
    assert is_due(state(next_fetch_ms=soon, wait_reason="backing off after 1 failure"), NOW)
    assert not is_due(state(next_fetch_ms=NOW + DUE_TOLERANCE_MS + 1, wait_reason="x"), NOW)
    assert not is_due(state(next_fetch_ms=soon, wait_reason=RETRY_AFTER), NOW)
    assert is_due(state(next_fetch_ms=NOW, wait_reason=RETRY_AFTER), NOW)


def test_stale_means_nothing_new_for_longer_than_the_limit():
    site = Site("A", "a", "https://a.org/feed")
    limit = 3 * DAY_MS
    assert not is_stale(site, None, None, NOW, limit)  # never fetched: nothing to judge by
    assert not is_stale(site, state(first_attempt_ms=NOW - DAY_MS), None, NOW, limit)
    assert is_stale(site, state(first_attempt_ms=NOW - 4 * DAY_MS), None, NOW, limit)
    old = state(first_attempt_ms=NOW - 9 * DAY_MS, last_new_ms=NOW - 4 * DAY_MS)
    assert is_stale(site, old, NOW - 5 * DAY_MS, NOW, limit)
    recent = state(first_attempt_ms=NOW - 9 * DAY_MS, last_new_ms=NOW - 2 * DAY_MS)
    assert not is_stale(site, recent, NOW - 5 * DAY_MS, NOW, limit)
    # an adopted archive's newest article counts; a date in the future does not
    adopted = state(first_attempt_ms=NOW - 9 * DAY_MS)
    assert not is_stale(site, adopted, NOW - DAY_MS, NOW, limit)
    assert is_stale(site, adopted, NOW + DAY_MS, NOW, limit)
    archive_only = Site("B", "b", "", enabled=False)
    assert not is_stale(archive_only, old, None, NOW, limit)


# --- through whole passes -------------------------------------------------------------------


def _index(root: Path) -> SqliteStore:
    return SqliteStore(root / ".newsmirror" / "index.sqlite")


def test_retry_after_makes_later_passes_wait_and_force_asks_anyway(tmp_path, feed_server, capsys):
    root = tmp_path / "m"
    url = feed_server.serve("/busy.xml", "", status=503, Retry_After="7200")
    write_config(root, [{"name": "Busy", "slug": "busy", "url": url}])
    assert main(["-C", str(root), "run", "--no-commit"]) == 5  # every source failed
    assert "FAILED Busy (busy): http: HTTP 503" in capsys.readouterr().out
    asked = len(feed_server.requests)
    assert main(["-C", str(root), "run", "--no-commit"]) == 5  # waiting, and still failing
    out = capsys.readouterr().out
    assert "waiting Busy (busy) until" in out and "Retry-After" in out
    assert "0 sources (0 ok, 0 failed, 1 waiting)" in out
    assert len(feed_server.requests) == asked  # the publisher was left alone
    feed_server.serve("/busy.xml", rss(rss_item(1)))
    assert main(["-C", str(root), "run", "--no-commit", "--force"]) == 0
    assert "1 new article from 1 source" in capsys.readouterr().out
    index = _index(root)
    try:
        after = index.source("busy")
        assert after is not None and after.failures == 0 and after.next_fetch_ms is None
    finally:
        index.close()


def test_a_failing_source_backs_off_with_growing_waits(tmp_path, feed_server, monkeypatch):
    root = tmp_path / "m"
    url = feed_server.serve("/down.xml", "", status=500)
    write_config(root, [{"name": "Down", "slug": "down", "url": url}])
    real_time = time.time
    waits = []
    for n in range(1, 6):
        clock = real_time() + n * 7 * 3600  # each pass long after the last wait ended
        monkeypatch.setattr(time, "time", lambda clock=clock: clock)
        assert main(["-C", str(root), "run", "--no-commit"]) == 5
        index = _index(root)
        try:
            source = index.source("down")
        finally:
            index.close()
        assert source is not None and source.failures == n
        waits.append(source.next_fetch_ms - int(clock * 1000))
    assert all(BACKOFF_BASE_MS * 2 ** (n - 1) // 2 <= w for n, w in enumerate(waits, 1))
    assert waits[-1] <= 6 * HOUR_MS and waits[-1] > waits[0]


def test_a_permanent_redirect_moves_the_source_and_is_reported(tmp_path, feed_server, capsys):
    root = tmp_path / "m"
    new_url = feed_server.serve("/new.xml", rss(rss_item(1)))
    old_url = feed_server.serve("/old.xml", "", status=301, Location="/new.xml")
    temp_url = feed_server.serve("/temp.xml", "", status=302, Location="/new.xml")
    write_config(
        root,
        [
            {"name": "Moved", "slug": "moved", "url": old_url},
            {"name": "Temp", "slug": "temp", "url": temp_url},
        ],
    )
    assert main(["-C", str(root), "run", "--no-commit"]) == 0
    out = capsys.readouterr().out
    assert f"MOVED Moved (moved): permanently redirected from {old_url} to {new_url}" in out
    assert "MOVED Temp" not in out
    index = _index(root)
    try:
        moved, temp = index.source("moved"), index.source("temp")
        assert moved is not None and moved.url == new_url and moved.moved_from == old_url
        assert temp is not None and temp.url == temp_url and temp.moved_from is None
    finally:
        index.close()
    status = (root / "status.md").read_text(encoding="utf-8")
    assert f"permanently redirected from {old_url} to {new_url}" in status
    feed_server.requests.clear()
    assert main(["-C", str(root), "run", "--no-commit"]) == 0
    paths = [path for path, _ in feed_server.requests]
    assert "/old.xml" not in paths and "/temp.xml" in paths  # asked where it lives now


def test_status_md_shows_a_source_that_is_down_and_one_that_is_stale(
    tmp_path, feed_server, monkeypatch, capsys
):
    root = tmp_path / "m"
    fresh = feed_server.serve("/fresh.xml", rss(rss_item("f1")))
    quiet = feed_server.serve("/quiet.xml", rss(rss_item("q1")))
    down = feed_server.serve("/down.xml", rss(rss_item("d1")))
    write_config(
        root,
        [
            {"name": "Fresh", "slug": "fresh", "url": fresh},
            {"name": "Quiet", "slug": "quiet", "url": quiet},
            {"name": "Down", "slug": "down", "url": down},
        ],
        stale_hours=72.0,
    )
    git(root, "init", "-q")
    assert main(["-C", str(root), "run"]) == 0
    assert main(["-C", str(root), "run", "--check-stale"]) == 0  # nothing stale yet
    capsys.readouterr()
    # Four days later: Fresh has news, Quiet has none, Down answers 500.
    later = time.time() + 4 * 86400
    monkeypatch.setattr(time, "time", lambda: later)
    feed_server.serve("/fresh.xml", rss(rss_item("f2"), rss_item("f1")))
    feed_server.serve("/down.xml", "", status=500)
    assert main(["-C", str(root), "run", "--check-stale"]) == EXIT_STALE
    captured = capsys.readouterr()
    assert "Stale (nothing new for too long): quiet, down" in captured.out
    assert "FAILED Down (down): http: HTTP 500" in captured.out
    status = (root / "status.md").read_text(encoding="utf-8")
    print(status)
    assert "3 sources fetched: 2 ok, 1 failing, 2 stale" in status
    rows = {line.split(" | ")[0]: line for line in status.splitlines() if line.startswith("| ")}
    assert "| ok |" in rows["| Fresh (fresh)"]
    assert "| **stale** |" in rows["| Quiet (quiet)"]
    assert (
        "| **failing, stale** |" in rows["| Down (down)"] and "http | 1 |" in rows["| Down (down)"]
    )
    assert "- Quiet (quiet): nothing new for 4 days." in status
    assert "- Down (down): http: HTTP 500 Internal Server Error (1 in a row; next attempt" in status
    assert "status.md" in git(root, "show", "--name-only", "--format=", "HEAD")
    assert main(["-C", str(root), "status", "--check-stale"]) == EXIT_STALE
    out = capsys.readouterr().out
    assert "3 sources: 1 failing (down), 2 stale (quiet, down)." in out
    assert main(["-C", str(root), "status"]) == 0


def test_status_md_is_not_rewritten_for_timestamps_alone(tmp_path, feed_server):
    root = tmp_path / "m"
    url = feed_server.serve("/a.xml", rss(rss_item(1)))
    write_config(root, [{"name": "A", "slug": "a", "url": url}])
    git_mirror(root)
    assert main(["-C", str(root), "run"]) == 0
    commits = git(root, "rev-list", "--count", "HEAD")
    assert main(["-C", str(root), "run"]) == 0  # nothing new, health unchanged
    assert git(root, "rev-list", "--count", "HEAD") == commits
    feed_server.serve("/a.xml", "", status=404)
    assert main(["-C", str(root), "run"]) == 5  # the source broke: that is news
    assert git(root, "log", "-1", "--format=%s").strip() == "Update source status"
    assert "**failing**" in (root / "status.md").read_text(encoding="utf-8")


def test_an_index_of_the_previous_schema_is_upgraded_keeping_fetch_state(tmp_path):
    import sqlite3

    path = tmp_path / "index.sqlite"
    db = sqlite3.connect(path)
    db.executescript(
        "CREATE TABLE sources (slug TEXT PRIMARY KEY, url TEXT NOT NULL DEFAULT '',"
        " last_attempt_ms INTEGER, last_success_ms INTEGER, last_error_ms INTEGER,"
        " last_error_kind TEXT, last_error TEXT, failures INTEGER NOT NULL DEFAULT 0,"
        " etag TEXT, last_modified TEXT, body_hash TEXT);"
        "INSERT INTO sources (slug, url, failures, etag) VALUES ('a', 'https://a.org/', 2, 'E');"
        "PRAGMA user_version=1;"
    )
    db.close()
    index = SqliteStore(path)
    try:
        kept = index.source("a")
        assert kept is not None and kept.etag == "E" and kept.failures == 2
        assert kept.next_fetch_ms is None and index.pending() == []
    finally:
        index.close()


def test_an_index_of_schema_2_gains_the_notes_of_fetches(tmp_path):
    import sqlite3

    path = tmp_path / "index.sqlite"
    db = sqlite3.connect(path)
    db.executescript(
        "CREATE TABLE fetches (id INTEGER PRIMARY KEY, site TEXT NOT NULL, started_ms INTEGER"
        " NOT NULL, elapsed_ms INTEGER NOT NULL, status INTEGER NOT NULL, outcome TEXT NOT NULL,"
        " error_kind TEXT, error TEXT, items INTEGER NOT NULL, new_items INTEGER NOT NULL);"
        "INSERT INTO fetches (site, started_ms, elapsed_ms, status, outcome, items, new_items)"
        " VALUES ('a', 1, 2, 200, 'fetched', 3, 1);"
        "PRAGMA user_version=2;"
    )
    db.close()
    index = SqliteStore(path)
    try:
        rows = index.db.execute("SELECT site, items, notes FROM fetches").fetchall()
        assert rows == [("a", 3, None)]  # kept, with the new column
    finally:
        index.close()


@pytest.mark.parametrize("bad", ["-1"])
def test_a_negative_wait_is_a_usage_error(tmp_path, bad, capsys):
    write_config(tmp_path, [])
    assert main(["-C", str(tmp_path), "run", "--wait", bad]) == 2
    assert "--wait" in capsys.readouterr().err


def test_a_new_url_in_the_configuration_starts_the_source_afresh(tmp_path, feed_server):
    root = tmp_path / "m"
    old = feed_server.serve("/old.xml", rss(rss_item(1)), ETag='"old-tag"')
    write_config(root, [{"name": "A", "slug": "a", "url": old}])
    assert main(["-C", str(root), "run", "--no-commit"]) == 0
    new = feed_server.serve("/new.xml", "", status=500)
    write_config(root, [{"name": "A", "slug": "a", "url": new}])
    assert main(["-C", str(root), "run", "--no-commit"]) == 5
    index = _index(root)
    try:
        source = index.source("a")
        assert source is not None and source.url == new and source.config_url == new
        assert source.etag is None and source.failures == 1  # not the old feed's
    finally:
        index.close()
    feed_server.serve("/new.xml", rss(rss_item(2)))
    feed_server.requests.clear()
    assert main(["-C", str(root), "run", "--no-commit", "--force"]) == 0
    assert "if-none-match" not in feed_server.requests[-1][1]  # the old tag is not sent


def test_a_hostile_error_message_cannot_put_markup_into_status_md():
    from newsmirror.decide.health import health_of
    from newsmirror.publish.status import render_status
    from test_hostile_pass import MARKDOWN_SCRIPT_LINK
    from test_sanitize import dangers

    hostile = "HTTP 500 [click](javascript:alert(1)) <script>x()</script> | col\nrow"
    site = Site("A|B", "a", "https://a.org/feed")
    failing = state(
        last_attempt_ms=NOW, last_error_ms=NOW, last_error_kind="http", last_error=hostile,
        failures=3, first_attempt_ms=NOW - DAY_MS,
    )  # fmt: skip
    text = render_status([health_of(site, failing, 0, None, NOW, 3 * DAY_MS)], NOW, 480, "t")
    assert not list(dangers(text)) and not MARKDOWN_SCRIPT_LINK.search(text)
    table_rows = [line for line in text.splitlines() if line.startswith("| A")]
    assert len(table_rows) == 1 and table_rows[0].count(" | ") == 6  # the row stays one row
    assert "\\[click\\](javascript:alert(1)) &lt;script>" in text


def test_status_works_while_a_run_holds_the_lock(tmp_path, feed_server, capsys):
    from newsmirror.mirror import Mirror

    root = tmp_path / "m"
    url = feed_server.serve("/a.xml", rss(rss_item(1)))
    write_config(root, [{"name": "A", "slug": "a", "url": url}])
    with Mirror.open(root).lock():  # the very first run
        assert main(["-C", str(root), "status"]) == 0
    assert "no pass has completed" in capsys.readouterr().out
    assert main(["-C", str(root), "run", "--no-commit"]) == 0
    capsys.readouterr()
    with Mirror.open(root).lock():
        assert main(["-C", str(root), "status"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("A run is in progress") and "1 source: 0 failing, 0 stale." in out
