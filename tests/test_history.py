"""Edits, re-issues, copies in another script and removals, through real passes against a
loopback feed server."""

from __future__ import annotations

import html
import json
from pathlib import Path

import opencc

from conftest import rss, rss_item, shared_path, write_config
from newsmirror.cli import main
from newsmirror.store import article as article_format
from newsmirror.store.sqlite import SqliteStore

LONG = (
    "<p>虽然刚刚遭到拘留获释，他并未停止对执政当局的尖锐批评。根据他提供给不同中文媒体的公开信，"
    "他感念校友募款，也再次针砭时局，说官媒的报导看似平静，但半个中国泡在水中。</p>"
    "<p>他在信中再次大力抨击政权，批评极权必败，自由终将降临。他在信中感叹庙堂华奢，而同胞多数"
    "不过勉强温饱和苦力挣扎。他感叹士人善作靡靡之音、官场上下虚与委蛇，对于目前因为各种议题与"
    "不同国家杠上，他也强调，政体恶质不改，全球诸邦防范，早成孤家寡人。</p>"
    "<p>他强调自己只要一息尚存，就会继续发声：吾人一日不死，便一日呼唤。</p>"
)
DAY = "Mon, 05 Jul 2021 {h:02d}:00:00 GMT"


def _run(root: Path) -> None:
    assert main(["-C", str(root), "run", "--no-commit", "--force"]) == 0


def _mirror(tmp_path: Path, feed_server, *items: str) -> Path:
    url = feed_server.serve("/a.xml", rss(*items))
    root = tmp_path / "m"
    write_config(root, [{"name": "甲", "slug": "a", "url": url}])
    _run(root)
    return root


def _serve(feed_server, *items: str) -> None:
    feed_server.serve("/a.xml", rss(*items))


def _files(root: Path) -> list[Path]:
    return sorted((root / "articles").rglob("*.md"))


def _store(root: Path) -> SqliteStore:
    return SqliteStore(root / ".newsmirror" / "index.sqlite")


def test_a_title_fix_rewrites_the_file_in_place_and_keeps_the_earlier_title(tmp_path, feed_server):
    root = _mirror(
        tmp_path, feed_server, rss_item(1, title="王文涛会见代表团", date=DAY.format(h=1))
    )
    (path,) = _files(root)
    _serve(feed_server, rss_item(1, title="汪文涛会见代表团", date=DAY.format(h=1)))
    _run(root)
    assert _files(root) == [path]  # no second article
    assert article_format.parse(path.read_text("utf-8")).title == "汪文涛会见代表团"
    relative = str(path.relative_to(root))
    with _store(root) as store:
        (version,) = store.versions(relative)
        assert (version.n, version.title, version.changed) == (1, "王文涛会见代表团", ("title",))
        (change,) = store.changes("a", 10)
        assert (change.kind, change.old_title, change.title) == (
            "edited",
            "王文涛会见代表团",
            "汪文涛会见代表团",
        )
    assert "汪文涛会见代表团](/articles/" in (root / "lists" / "甲.md").read_text("utf-8")
    assert ") ✎" in (root / "lists" / "甲.md").read_text("utf-8")
    _run(root)  # the same again: nothing more
    with _store(root) as store:
        assert len(store.versions(relative)) == 1


def test_noise_is_not_an_edit(tmp_path, feed_server):
    footer = (
        '<br><hr><div>获取更多RSS：<br><a href="https://feedx.net" target="_blank">'
        'https://feedx.net</a> <br><a href="https://{d}" target="_blank">https://{d}</a><br></div>'
    )
    body = '<p>正文<a href="https://example.org/x">链接</a></p>'
    root = _mirror(tmp_path, feed_server, rss_item(1, body=body + footer.format(d="feedx.top")))
    noisy = body.replace("/x", "/x?utm_source=rss&amp;utm_medium=feed").replace("<p>", "<p>\n  ")
    _serve(feed_server, rss_item(1, body=noisy + footer.format(d="feedx.best")))
    _run(root)
    with _store(root) as store:
        assert store.changes(None, 10) == []
        (path,) = _files(root)
        assert store.versions(str(path.relative_to(root))) == []


def test_a_body_edit_keeps_the_earlier_body_and_counts_what_changed(tmp_path, feed_server):
    root = _mirror(tmp_path, feed_server, rss_item(1, body=LONG))
    _serve(feed_server, rss_item(1, body=LONG + "<p>（更新）当局尚未回应。</p>"))
    _run(root)
    (path,) = _files(root)
    assert "当局尚未回应" in path.read_text("utf-8")
    with _store(root) as store:
        (version,) = store.versions(str(path.relative_to(root)))
        assert version.changed == ("body",) and "当局尚未回应" not in version.body
        (change,) = store.changes("a", 10)
        assert change.added == len("（更新）当局尚未回应。") and change.deleted == 0


def test_a_reissue_under_a_new_guid_and_link_is_the_same_story(tmp_path, feed_server):
    first = rss_item(1, title="获释后首发声 许章润：极权必败", body=LONG, date=DAY.format(h=1))
    root = _mirror(tmp_path, feed_server, rss_item(0, date=DAY.format(h=0)), first)
    again = rss_item(
        "1b",
        title="获释后首发声 许章润:极权必败",
        body=LONG,
        date=DAY.format(h=7),
        link="https://example.org/a/1-reissued.html",
    )
    _serve(feed_server, rss_item(0, date=DAY.format(h=0)), again)
    _run(root)
    assert len(_files(root)) == 2  # item 0 and the one story
    with _store(root) as store:
        (change,) = store.changes("a", 10)  # an edit, and no removal of the first copy
        assert change.kind == "edited" and set(change.changed) == {"title", "link"}
        (version,) = store.versions(change.path)
        assert version.url == "https://example.org/a/1.html"
    story = article_format.parse((root / change.path).read_text("utf-8"))
    assert story.url == "https://example.org/a/1-reissued.html"
    _run(root)  # the re-issue again: known by its new identity now
    with _store(root) as store:
        assert len(store.changes("a", 10)) == 1 and len(_files(root)) == 2
    for link in ("https://example.org/a/1.html", "https://example.org/a/1-reissued.html"):
        assert main(["-C", str(root), "history", link]) == 0  # either link names it
    old_link = rss_item(2, link="https://example.org/a/1.html", body=LONG, date=DAY.format(h=1))
    _serve(feed_server, rss_item(0, date=DAY.format(h=0)), old_link)
    _run(root)  # the first link again, under yet another guid: still the same story
    assert len(_files(root)) == 2


def test_serial_parts_and_look_alike_briefs_stay_apart(tmp_path, feed_server):
    brief = "<p>据中国地震台网测定，{c}附近发生4.{m}级地震，震源深度10公里，暂无人员伤亡报告。</p>"
    root = _mirror(
        tmp_path,
        feed_server,
        rss_item(1, title="不正确的历史记忆（一）", body=LONG, date=DAY.format(h=1)),
        rss_item(3, title="快讯：成都发生4.1级地震", body=brief.format(c="成都", m=1)),
    )
    _serve(
        feed_server,
        rss_item(1, title="不正确的历史记忆（一）", body=LONG, date=DAY.format(h=1)),
        rss_item(2, title="不正确的历史记忆（二）", body=LONG, date=DAY.format(h=2)),
        rss_item(3, title="快讯：成都发生4.1级地震", body=brief.format(c="成都", m=1)),
        rss_item(4, title="快讯：昆明发生4.3级地震", body=brief.format(c="昆明", m=3)),
    )
    _run(root)
    assert len(_files(root)) == 4
    with _store(root) as store:
        assert store.changes("a", 10) == []


def test_a_traditional_copy_is_a_variant_listed_once(tmp_path, feed_server):
    to_traditional = opencc.OpenCC("s2t").convert
    simplified = rss_item(1, title="获释后首发声", body=LONG, date=DAY.format(h=1))
    root = _mirror(tmp_path, feed_server, simplified)
    traditional = rss_item(
        "1t",
        title=to_traditional("获释后首发声"),
        body=to_traditional(LONG),
        date=DAY.format(h=2),
        link="https://example.org/zh-hant/1.html",
    )
    _serve(feed_server, simplified, traditional)
    _run(root)
    files = _files(root)
    assert len(files) == 2  # each keeps its own file
    listing = (root / "lists" / "甲.md").read_text("utf-8")
    assert listing.count("](/articles/") == 2  # the story, and its copy linked beside it
    assert len([line for line in listing.splitlines() if line.startswith("7-5 ")]) == 1
    assert "[繁/简](/articles/" in listing
    with _store(root) as store:
        assert store.site_summary("a")[0] == 1  # one story
        (copy,) = [p for p in files if "獲釋" in p.read_text("utf-8")]
        (known,) = store.known_paths([str(copy.relative_to(root))])
        assert known.article.variant_of == str(
            next(p for p in files if p != copy).relative_to(root)
        )


def test_a_story_dropped_before_its_time_is_marked_removed_and_kept(tmp_path, feed_server):
    items = [rss_item(n, date=DAY.format(h=n)) for n in (1, 2, 3)]
    root = _mirror(tmp_path, feed_server, *reversed(items))
    _serve(feed_server, items[2], items[0])  # 2 gone, while the older 1 stays
    _run(root)
    assert len(_files(root)) == 3  # never deleted
    with _store(root) as store:
        (change,) = store.changes("a", 10)
        assert (change.kind, change.signal, change.title) == ("removed", "feed", "标题 2")
    assert "标题 2](/articles/" in (root / "lists" / "甲.md").read_text("utf-8")
    assert ") ✗" in (root / "lists" / "甲.md").read_text("utf-8")
    _serve(feed_server, *reversed(items))  # back
    _run(root)
    with _store(root) as store:
        assert [c.kind for c in store.changes("a", 10)] == ["restored", "removed"]
    assert "✗" not in (root / "lists" / "甲.md").read_text("utf-8")


def test_a_story_that_ages_out_is_not_removed(tmp_path, feed_server):
    items = [rss_item(n, date=DAY.format(h=n)) for n in (1, 2, 3, 4)]
    root = _mirror(tmp_path, feed_server, items[2], items[1], items[0])
    _serve(feed_server, items[3], items[2], items[1])  # the oldest made room
    _run(root)
    with _store(root) as store:
        assert store.changes("a", 10) == []


def test_history_logs_bring_back_versions_and_marks_after_a_rebuild(tmp_path, feed_server):
    items = [rss_item(n, date=DAY.format(h=n)) for n in (1, 2, 3)]
    root = _mirror(tmp_path, feed_server, *reversed(items))
    _serve(feed_server, items[2], rss_item(1, title="新标题", date=DAY.format(h=1)))
    _run(root)
    logs = sorted((root / "history" / "a").glob("*.jsonl"))
    events = [json.loads(line) for line in logs[0].read_text("utf-8").splitlines()]
    assert sorted(e["event"] for e in events) == ["edited", "removed"]
    (root / ".newsmirror" / "index.sqlite").unlink()  # a fresh clone has no index
    assert main(["-C", str(root), "reindex"]) == 0
    with _store(root) as store:
        assert sorted(c.kind for c in store.changes("a", 10)) == ["edited", "removed"]
        edited = next(c for c in store.changes("a", 10) if c.kind == "edited")
        assert store.versions(edited.path)[0].title == "标题 1"
    listing = (root / "lists" / "甲.md").read_text("utf-8")
    assert ") ✎" in listing and ") ✗" in listing


def _corpus_item(path: Path, n: str, date: str) -> str:
    article = article_format.parse(path.read_text("utf-8"))
    return rss_item(
        n,
        title=html.escape(article.title),
        link=html.escape(article.url),
        guid=html.escape(article.url),
        body=article.body,
        date=date,
    )


def test_the_real_dw_title_edit_is_one_story(tmp_path, feed_server):
    folder = shared_path("corpus", "duty-machine-news", "articles", "德国之声")
    earlier = _corpus_item(next(folder.glob("1047813_*")), "x", "Mon, 20 Jul 2020 03:53:06 GMT")
    later = _corpus_item(next(folder.glob("1047809_*")), "y", "Mon, 20 Jul 2020 09:53:55 GMT")
    root = _mirror(tmp_path, feed_server, earlier)
    _serve(feed_server, later)
    _run(root)
    (path,) = _files(root)
    assert "许章润：极权必败" in path.read_text("utf-8")
    with _store(root) as store:
        (change,) = store.changes("a", 10)
        assert change.kind == "edited" and set(change.changed) == {"title", "link"}
        assert change.old_title == "获释后首发声 许章润:极权必败"


def test_the_real_cdt_title_and_body_edit_is_one_story(tmp_path, feed_server):
    folder = shared_path("corpus", "duty-machine-news", "articles", "中国数字时代")
    first, second = sorted(folder.glob("398145_*"), key=lambda p: len(p.name))
    date = "Sun, 19 Jul 2020 01:39:06 GMT"
    root = _mirror(tmp_path, feed_server, _corpus_item(first, "398145", date))
    _serve(feed_server, _corpus_item(second, "398145", date))
    _run(root)
    (path,) = _files(root)
    with _store(root) as store:
        (version,) = store.versions(str(path.relative_to(root)))
        assert set(version.changed) == {"title", "body"}
        assert version.title.endswith("寻衅滋事") and "（一）" in path.read_text("utf-8")


def test_recent_links_answering_404_or_410_mark_their_articles_removed(tmp_path, feed_server):
    links = {n: feed_server.url(f"/story/{n}.html") for n in (1, 2, 3, 4)}
    for n, status in ((1, 404), (2, 410), (3, 200), (4, 404)):
        feed_server.serve(f"/story/{n}.html", "<p>x</p>", status=status)
    feed_server.serve("/story/4.html", "<p>gone</p>", status=404, head_status=405)  # no HEAD
    items = [rss_item(n, link=links[n], date=DAY.format(h=n)) for n in (1, 2, 3, 4)]
    url = feed_server.serve("/a.xml", rss(*items))
    root = tmp_path / "m"
    write_config(root, [{"name": "甲", "slug": "a", "url": url}], recheck_per_pass=3)
    _run(root)
    with _store(root) as store:
        first = {c.path: (c.signal, c.status) for c in store.changes("a", 10)}
    assert len(first) == 2  # three links asked, two of them gone
    _run(root)  # the fourth now; the three asked wait recheck_hours
    with _store(root) as store:
        removed = sorted((c.title, c.signal, c.status) for c in store.changes("a", 10))
    assert removed == [("标题 1", "link", 404), ("标题 2", "link", 410), ("标题 4", "link", 404)]
    methods = [h[":method"] for path, h in feed_server.requests if path == "/story/4.html"]
    assert methods == ["HEAD", "GET"]  # HEAD refused, so GET
    assert len(_files(root)) == 4  # the copies stay
    assert (root / "lists" / "甲.md").read_text("utf-8").count(") ✗") == 3


def test_history_and_diff_show_every_version_of_an_edited_article(tmp_path, feed_server, capsys):
    root = _mirror(tmp_path, feed_server, rss_item(1, title="王文涛会见代表团", body=LONG))
    _serve(feed_server, rss_item(1, title="汪文涛会见代表团", body=LONG))
    _run(root)
    edited = LONG.replace("半个中国泡在水中", "大半个中国泡在洪水中") + "<p>Update: WHO report.</p>"
    _serve(feed_server, rss_item(1, title="汪文涛会见代表团", body=edited))
    _run(root)
    (path,) = _files(root)
    relative = str(path.relative_to(root))
    capsys.readouterr()
    assert main(["-C", str(root), "history", relative]) == 0
    said = capsys.readouterr().out
    assert "v1" in said and "王文涛会见代表团" in said and "[replaced" in said
    assert "v3" in said and "[current]" in said
    assert main(["-C", str(root), "history", "https://example.org/a/1.html?utm_source=x"]) == 0
    assert capsys.readouterr().out == said  # by its link, tracking parameters and all
    assert main(["-C", str(root), "diff", relative, "1", "2"]) == 0
    assert "title: [-王-]{+汪+}文涛会见代表团" in capsys.readouterr().out
    assert main(["-C", str(root), "diff", relative]) == 0  # the last edit
    said = capsys.readouterr().out
    assert "{+大+}半个中国泡在{+洪+}水中" in said and "+ Update: WHO report." in said
    assert main(["-C", str(root), "diff", relative, "1", "9"]) == 1
    assert "has versions 1 to 3, not 9" in capsys.readouterr().err
    assert main(["-C", str(root), "history", "articles/none.md"]) == 1
    assert "no archived article is articles/none.md" in capsys.readouterr().err
    assert main(["-C", str(root), "history", relative, "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert [v["title"] for v in record["versions"]] == [
        "王文涛会见代表团",
        *["汪文涛会见代表团"] * 2,
    ]


def test_changes_pages_and_feeds_mark_edits_and_removals(tmp_path, feed_server):
    items = [rss_item(n, date=DAY.format(h=n)) for n in (1, 2, 3)]
    url = feed_server.serve("/a.xml", rss(*reversed(items)))
    root = tmp_path / "m"
    site = {"name": "甲", "slug": "a", "url": url}
    write_config(root, [site], public_url="https://github.com/o/r/blob/main/")
    _run(root)
    _serve(feed_server, items[2], rss_item(1, title="标题 一", date=DAY.format(h=1)))
    _run(root)
    page = (root / "changes.md").read_text("utf-8")
    assert "✎ [标题 一](articles/a/2021/07/05/" in page and "（甲）：标题 标题 ~~1~~**一**" in page
    assert "[历史](https://github.com/o/r/commits/main/articles/a/2021/07/05/" in page
    assert "✗ [标题 2](articles/a/2021/07/05/" in page and "从源中消失" in page
    own = (root / "lists" / "甲" / "changes.md").read_text("utf-8")
    assert "✎ [标题 一](../../articles/a/" in own and "（甲）" not in own
    assert "[修改与删除 / edits and removals](changes.md)" in (root / "README.md").read_text(
        "utf-8"
    )
    month = (root / "lists" / "甲" / "2021-07.md").read_text("utf-8")
    assert ") ✎" in month and ") ✗" in month
    feed = json.loads((root / "feeds" / "a.json").read_text("utf-8"))
    titles = sorted(item["title"] for item in feed["items"])
    assert titles == ["✎ 标题 一", "✗ 标题 2", "标题 3"]


def test_an_index_from_before_gets_its_link_keys_computed_again(tmp_path, feed_server):
    import sqlite3

    link = "https://www.example.org/a/1.html/?utm_source=rss"
    root = _mirror(tmp_path, feed_server, rss_item(1, link=link, guid="old-guid"))
    db = sqlite3.connect(root / ".newsmirror" / "index.sqlite")
    db.executescript(  # as version 4 kept it: the link as it was, less the utm_ parameter
        "UPDATE articles SET link_key='https://www.example.org/a/1.html/';"
        "DROP TRIGGER count_added; DROP TRIGGER count_removed; DROP TRIGGER count_moved;"
        "DROP TABLE counts; DROP TABLE feed_entries;"
        "DROP INDEX articles_by_variant; ALTER TABLE articles DROP COLUMN variant_of;"
        "DROP TABLE story_state; DROP TABLE aliases; DROP TABLE versions; DROP TABLE changes;"
        "PRAGMA user_version=4;"
    )
    db.close()
    # The publisher drops www. and the slash, and changes its guid: the link still names it.
    _serve(feed_server, rss_item(1, link="https://example.org/a/1.html", guid="new-guid"))
    _run(root)
    assert len(_files(root)) == 1
    with _store(root) as store:
        (known,) = store.known_paths([str(_files(root)[0].relative_to(root))])
        assert known.article.link_key == "https://example.org/a/1.html"


def test_an_edit_of_an_article_whose_file_is_gone_writes_the_feed_text(tmp_path, feed_server):
    root = _mirror(tmp_path, feed_server, rss_item(1, title="旧标题", body=LONG))
    (path,) = _files(root)
    path.unlink()  # deleted by hand
    _serve(feed_server, rss_item(1, title="新标题", body=LONG))
    assert main(["-C", str(root), "run", "--no-commit"]) == 0  # (--force would re-archive it)
    article = article_format.parse(path.read_text("utf-8"))
    assert article.title == "新标题" and "一息尚存" in article.body  # not an empty body
