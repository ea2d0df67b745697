"""Search: the index's tokens and queries, the contract of a search index, and the `search`
command on a real mirror."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import rss, rss_item, write_config
from newsmirror.cli import main
from newsmirror.search.base import Query, SearchDoc, SearchIndex
from newsmirror.search.sqlite import ShardedSearch, SqliteSearch
from newsmirror.search.text import parse_query, tokens

DOCS = [
    SearchDoc(
        "a/1.md", "a", 1_000, "美国总统发表讲话", "拜登周一在白宫发表讲话。WHO 报告显示疫情好转。"
    ),
    SearchDoc(
        "a/2.md", "a", 2_000, "香港选举", "香港立法會選舉結果公布，reporters 关注美国的态度。"
    ),
    SearchDoc("b/3.md", "b", 3_000, "臺灣新聞", "台湾地区今天天气晴朗，气温二十度。"),
    SearchDoc("b/4.md", "b", 4_000, "美国经济", "美国经济增长放缓。", mark="✎"),
]


def test_cjk_runs_become_pairs_and_latin_words_stay_words():
    assert tokens("美国总统 WHO报告 Reports") == ["美国", "国总", "总统", "who", "报告", "reports"]
    assert tokens("臺灣") == ["台湾"]  # folded to Simplified
    assert tokens("天") == ["天"]
    assert parse_query("美国总统").expression == '"美国 国总 总统"'
    assert parse_query("WHO 报告").expression == '"who"* AND "报告"'
    assert parse_query('"WHO 报告"').expression == '"who 报告"'
    assert parse_query("  ，。 ") is None


Factory = Callable[[], SearchIndex]


def _contract(make: Factory) -> None:
    index = make()
    try:
        index.put(DOCS)
        paths = lambda q, **kw: [h.path for h in index.search(Query(q, **kw)).hits]  # noqa: E731
        assert paths("美国") == ["b/4.md", "a/1.md", "a/2.md"]  # titles first, newest first
        assert paths("美國") == paths("美国")  # Traditional finds Simplified
        assert paths("立法会") == ["a/2.md"] and paths("台灣") == ["b/3.md"]
        assert paths("美国总统") == ["a/1.md"] and paths("总统美国") == []
        assert paths("WHO 报告") == ["a/1.md"] and paths("repo") == ["a/2.md"]
        assert paths('"白宫发表"') == ["a/1.md"]
        assert paths("美国", site="a") == ["a/1.md", "a/2.md"]
        assert paths("美国", since_ms=1_500, until_ms=3_000) == ["a/2.md"]
        page = index.search(Query("美国", limit=2))
        assert len(page.hits) == 2 and page.more
        assert [h.path for h in index.search(Query("美国", limit=2, offset=2)).hits] == ["a/2.md"]
        assert index.search(Query("美国")).hits[0].mark == "✎"
        index.put([SearchDoc("a/1.md", "a", 1_000, "总统讲话", "白宫发表讲话。")])  # edited
        assert paths("美国") == ["b/4.md", "a/2.md"] and paths("白宫") == ["a/1.md"]
        index.set_marks({"a/1.md": "✗"})
        assert index.search(Query("白宫")).hits[0].mark == "✗"
        index.remove(["a/2.md"])
        assert paths("香港") == [] and index.count() == 3
        assert index.stamps() == {d.path: "" for d in DOCS if d.path != "a/2.md"}
        assert paths("没有这个词") == []
        assert not index.needs_rebuild()
        index.clear()
        assert index.count() == 0 and paths("美国") == [] and index.needs_rebuild()
        index.put(DOCS[:1])
        assert index.needs_rebuild()  # (until the build says it is done)
        index.finish_build()
        assert not index.needs_rebuild() and paths("美国") == ["a/1.md"]
    finally:
        index.close()


def test_the_sqlite_index_passes_the_contract(tmp_path):
    _contract(lambda: SqliteSearch(tmp_path / "search.sqlite"))


@pytest.mark.parametrize("shards", [2, 3])
def test_the_sharded_index_passes_the_contract(tmp_path, shards):
    _contract(lambda: ShardedSearch(tmp_path / "search.sqlite", shards))


def _mirror(tmp_path: Path, feed_server) -> Path:
    items = [
        rss_item(1, title="美国总统发表讲话", body="<p>拜登周一在白宫发表讲话。</p>"),
        rss_item(
            2,
            title="香港選舉",
            body="<p>立法會選舉結果公布，WHO 报告关注。</p>",
            date="Tue, 06 Jul 2021 08:00:00 GMT",
        ),
    ]
    url = feed_server.serve("/a.xml", rss(*items))
    root = tmp_path / "m"
    write_config(root, [{"name": "甲", "slug": "a", "url": url}])
    assert main(["-C", str(root), "run", "--no-commit"]) == 0
    return root


def test_search_finds_by_two_characters_in_either_script(tmp_path, feed_server, capsys):
    root = _mirror(tmp_path, feed_server)
    capsys.readouterr()
    assert main(["-C", str(root), "search", "香港"]) == 0
    said = capsys.readouterr().out
    assert "香港選舉" in said and "1 result for 香港." in said
    assert main(["-C", str(root), "search", "选举", "--json"]) == 0  # Simplified finds 選舉
    found = json.loads(capsys.readouterr().out)["results"]
    assert [r["title"] for r in found] == ["香港選舉"] and "【選舉】" in found[0]["snippet"]
    assert main(["-C", str(root), "search", "没有"]) == 1
    assert "0 results for 没有." in capsys.readouterr().out
    assert main(["-C", str(root), "search", "讲话", "--site", "zz"]) == 1
    assert "no source has the slug 'zz'" in capsys.readouterr().err
    assert main(["-C", str(root), "search", "讲话", "--since", "2021-07"]) == 1
    assert "--since must be a date as YYYY-MM-DD" in capsys.readouterr().err


def test_each_pass_updates_the_index_once_it_exists(tmp_path, feed_server, capsys):
    root = _mirror(tmp_path, feed_server)
    assert main(["-C", str(root), "search", "白宫"]) == 0
    feed_server.serve(
        "/a.xml",
        rss(
            rss_item(1, title="美国总统发表讲话", body="<p>拜登周一在白宫发表讲话。</p>"),
            rss_item(
                3, title="台湾新闻", body="<p>天气晴朗。</p>", date="Wed, 07 Jul 2021 08:00:00 GMT"
            ),
        ),
    )
    assert main(["-C", str(root), "run", "--no-commit"]) == 0
    with ShardedSearch(root / ".newsmirror" / "search.sqlite") as index:
        assert [h.title for h in index.search(Query("天气")).hits] == ["台湾新闻"]
        assert index.count() == 3


@pytest.mark.parametrize("query", ["美国", "WHO 报告"])
def test_search_on_an_empty_mirror_says_nothing_found(tmp_path, query, capsys):
    write_config(tmp_path, [])
    assert main(["-C", str(tmp_path), "search", query]) == 1


def test_search_during_a_run_reads_the_index_as_it_is(tmp_path, feed_server, capsys):
    from newsmirror.mirror import Mirror

    root = _mirror(tmp_path, feed_server)
    assert main(["-C", str(root), "search", "白宫"]) == 0  # builds the index
    with Mirror.open(root).lock():  # as a run holds it
        assert main(["-C", str(root), "search", "白宫"]) == 0
    assert "1 result for 白宫." in capsys.readouterr().out


def test_a_damaged_search_index_is_started_afresh(tmp_path):
    path = tmp_path / "search.sqlite"
    path.write_bytes(b"this is not a database")
    with SqliteSearch(path) as index:
        assert index.count() == 0
        index.put(DOCS[:1])
        assert [h.path for h in index.search(Query("美国")).hits] == ["a/1.md"]


def test_pages_of_many_hits_list_every_hit_once_in_order(tmp_path):
    """Title matches, then body matches, newest first, read in batches that grow: every page
    is the next slice of the one order, ghosts of re-indexed docs skipped."""
    docs = [
        SearchDoc(f"a/{n}.md", "a", 1_000 + n, f"美国 {n}" if n % 3 == 0 else f"新闻 {n}", "美国。")
        for n in range(90)
    ]
    with SqliteSearch(tmp_path / "search.sqlite") as index:
        index.put(docs)
        index.put(docs[::7])  # indexed again: their old rows are ghosts
        titles = [f"a/{n}.md" for n in range(89, -1, -1) if n % 3 == 0]
        bodies = [f"a/{n}.md" for n in range(89, -1, -1) if n % 3]
        seen = []
        for offset in range(0, 91, 7):
            seen += [h.path for h in index.search(Query("美国", limit=7, offset=offset)).hits]
        assert seen == titles + bodies
        assert not index.search(Query("美国", limit=7, offset=83)).more  # (90 hits)
        assert index.search(Query("美国", limit=7, offset=82)).more


def test_a_search_index_of_an_older_layout_is_made_afresh(tmp_path):
    path = tmp_path / "search.sqlite"
    with SqliteSearch(path) as index:
        index.put(DOCS)
        index.db.execute("DROP TABLE titles")  # as the first layout had it
        index.db.execute("PRAGMA user_version = 0")
    with SqliteSearch(path) as index:
        assert index.count() == 0  # (so the next search builds it from the archive)
        index.put(DOCS)
        assert [h.path for h in index.search(Query("美国")).hits] == ["b/4.md", "a/1.md", "a/2.md"]


def _fail_on_hong_kong(root: str, found):
    """Reading a build's batch, as `sync._read_and_tokenize` does, but failing on one article
    (at module level: a build's processes find it by name)."""
    from newsmirror.search import sync

    if any("香港" in k.article.title for k in found):
        raise RuntimeError("cut short")
    return sync.tokenized_batch(root, found)


def test_a_build_cut_short_is_done_again_by_the_next_search(tmp_path, feed_server, monkeypatch):
    """A first build interrupted (Ctrl-C in a big mirror's first `search`, a failure) leaves a
    part of the archive indexed: the next search builds it whole, not only the pass's work."""
    from newsmirror.mirror import Mirror
    from newsmirror.search import sync

    root = _mirror(tmp_path, feed_server)
    mirror = Mirror.open(root)
    monkeypatch.setattr(sync, "_BUILD_BATCH", 1)
    monkeypatch.setattr(sync, "_read_and_tokenize", _fail_on_hong_kong)
    store, _ = mirror.fresh_index()
    with store, mirror.open_search() as search, pytest.raises(RuntimeError, match="cut short"):
        sync.sync(mirror.root, store, search)
    with mirror.open_search() as search:
        assert search.count() == 1 and search.needs_rebuild()  # (one of two)
    monkeypatch.undo()
    assert main(["-C", str(root), "search", "白宫"]) == 0
    assert main(["-C", str(root), "search", "香港"]) == 0
    with mirror.open_search() as search:
        assert search.count() == 2 and not search.needs_rebuild()


def _slow_batch(root: str, found):
    """A build's batch read slowly: while one process is at it, the other takes the next."""
    import time

    from newsmirror.search import sync

    time.sleep(0.3)
    return sync.tokenized_batch(root, found)


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="a build uses one process on one core")
def test_a_first_build_writes_every_file_of_the_index(tmp_path, feed_server, monkeypatch):
    """Two processes, a file each: both files hold articles, and searches see all of them."""
    from newsmirror.mirror import Mirror
    from newsmirror.search import sync

    root = _mirror(tmp_path, feed_server)
    mirror = Mirror.open(root)
    monkeypatch.setattr(sync, "_BUILD_BATCH", 1)
    monkeypatch.setattr(sync, "_read_and_tokenize", _slow_batch)
    store, _ = mirror.fresh_index()
    with store, mirror.open_search() as search:
        assert sync.sync(mirror.root, store, search) == 2
        assert [shard.count() for shard in search.shards] == [1, 1]
        assert [h.title for h in search.search(Query("香港")).hits] == ["香港選舉"]
        assert [h.title for h in search.search(Query("讲话")).hits] == ["美国总统发表讲话"]
