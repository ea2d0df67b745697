"""Feeds out: Atom 1.0 and JSON Feed 1.1 per site and for the whole mirror, checked against
the specs' requirements and read back with feedparser; links from the GitHub remote; rewritten
only when their entries change."""

from __future__ import annotations

import json
import re
import shutil
import uuid
from datetime import datetime
from pathlib import Path

import feedparser
from lxml import etree

from conftest import git, git_mirror, rss, rss_item, write_config
from newsmirror.cli import main
from newsmirror.publish.feeds import public_url_for
from newsmirror.store.sqlite import SqliteStore

ATOM = "{http://www.w3.org/2005/Atom}"
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")


def _check_atom(path: Path) -> etree._Element:
    """RFC 4287's MUSTs that a feed like ours can break."""
    feed = etree.fromstring(path.read_bytes())
    assert feed.tag == f"{ATOM}feed"
    for name in ("id", "title", "updated"):
        assert len(feed.findall(f"{ATOM}{name}")) == 1, name
    assert RFC3339.match(feed.findtext(f"{ATOM}updated"))
    entries = feed.findall(f"{ATOM}entry")
    has_feed_author = feed.find(f"{ATOM}author/{ATOM}name") is not None
    ids = []
    for entry in entries:
        for name in ("id", "title", "updated"):
            assert len(entry.findall(f"{ATOM}{name}")) == 1, name
        assert RFC3339.match(entry.findtext(f"{ATOM}updated"))
        ids.append(entry.findtext(f"{ATOM}id"))
        assert has_feed_author or entry.find(f"{ATOM}author") is not None
        alternates = [
            (link.get("type"), link.get("hreflang"))
            for link in entry.findall(f"{ATOM}link")
            if link.get("rel", "alternate") == "alternate"
        ]
        assert len(alternates) == len(set(alternates))  # one alternate per type and language
        content = entry.find(f"{ATOM}content")
        assert content is not None and content.get("type") == "html"
        assert ":" in ids[-1]  # an IRI
    assert len(ids) == len(set(ids))
    return feed


def _check_json(path: Path) -> dict:
    feed = json.loads(path.read_text("utf-8"))
    assert feed["version"] == "https://jsonfeed.org/version/1.1" and feed["title"]
    ids = [item["id"] for item in feed["items"]]
    assert len(ids) == len(set(ids)) and all(isinstance(i, str) and i for i in ids)
    for item in feed["items"]:
        assert "content_html" in item or "content_text" in item  # one must be present
        datetime.fromisoformat(item["date_published"].replace("Z", "+00:00"))
    return feed


def _mirror(tmp_path, feed_server, **mirror) -> Path:
    body = '<p>正文 &amp; <b>加粗</b></p><img src="https://pics.example/a.jpg">'
    a = feed_server.serve(
        "/a.xml",
        rss(*(rss_item(n, body=body, date=f"Mon, 0{n} Aug 2021 08:00:00 GMT") for n in (1, 2, 3))),
    )
    b = feed_server.serve("/b.xml", rss(rss_item(9, title="乙 &lt;新闻&gt; &amp; 更多")))
    root = tmp_path / "m"
    sites = [{"name": "甲", "slug": "a", "url": a}, {"name": "乙", "slug": "b", "url": b}]
    write_config(root, sites, **mirror)
    return root


def test_feeds_validate_and_read_back_with_full_content(tmp_path, feed_server):
    root = _mirror(tmp_path, feed_server, public_url="https://github.com/o/r/blob/main")
    assert main(["-C", str(root), "run", "--no-commit"]) == 0
    feeds = root / "feeds"
    assert sorted(p.name for p in feeds.iterdir()) == [
        "a.json",
        "a.xml",
        "all.json",
        "all.xml",
        "b.json",
        "b.xml",
    ]
    for xml in feeds.glob("*.xml"):
        _check_atom(xml)
    for js in feeds.glob("*.json"):
        _check_json(js)
    parsed = feedparser.parse((feeds / "a.xml").read_bytes())
    assert not parsed.bozo and len(parsed.entries) == 3
    newest = parsed.entries[0]
    assert newest.title == "标题 3"
    assert newest.link.startswith("https://github.com/o/r/blob/main/articles/a/2021/08/03/")
    related = [link.href for link in newest.links if link.rel == "related"]
    assert related == ["https://example.org/a/3.html"]  # the publisher's link is kept
    assert "<b>加粗</b>" in newest.content[0].value and "&amp;" in newest.content[0].value
    everything = feedparser.parse((feeds / "all.xml").read_bytes())
    assert len(everything.entries) == 4
    assert "乙 <新闻> & 更多" in [e.title for e in everything.entries]
    js = json.loads((feeds / "all.json").read_text("utf-8"))
    assert [i["title"] for i in js["items"]][:3] == ["标题 9", "标题 3", "标题 2"] or len(
        js["items"]
    ) == 4
    item = next(i for i in js["items"] if i["title"] == "标题 1")
    assert item["url"].startswith("https://github.com/o/r/blob/main/articles/a/")
    assert item["external_url"] == "https://example.org/a/1.html"
    assert js["feed_url"] == "https://github.com/o/r/blob/main/feeds/all.json"


def test_feeds_are_rewritten_only_when_their_entries_change(tmp_path, feed_server):
    root = _mirror(tmp_path, feed_server)
    assert main(["-C", str(root), "run", "--no-commit"]) == 0
    stamps = {p.name: p.stat().st_mtime_ns for p in (root / "feeds").iterdir()}
    assert main(["-C", str(root), "run", "--no-commit", "--force"]) == 0  # nothing new
    assert {p.name: p.stat().st_mtime_ns for p in (root / "feeds").iterdir()} == stamps
    feed_server.serve("/b.xml", rss(rss_item(9, title="乙 &lt;新闻&gt; &amp; 更多"), rss_item(10)))
    assert main(["-C", str(root), "run", "--no-commit"]) == 0
    after = {p.name: p.stat().st_mtime_ns for p in (root / "feeds").iterdir()}
    assert {n for n in after if after[n] != stamps[n]} == {"b.xml", "b.json", "all.xml", "all.json"}


def test_without_a_public_url_entries_link_the_publisher(tmp_path, feed_server):
    root = _mirror(tmp_path, feed_server)
    assert main(["-C", str(root), "run", "--no-commit"]) == 0
    parsed = feedparser.parse((root / "feeds" / "a.xml").read_bytes())
    assert parsed.entries[0].link == "https://example.org/a/3.html"


def test_the_public_url_comes_from_a_github_remote(tmp_path, feed_server):
    root = _mirror(tmp_path, feed_server)
    git_mirror(root)
    git(root, "remote", "add", "origin", "git@github.com:someone/news-mirror.git")
    branch = git(root, "symbolic-ref", "--short", "HEAD").strip()
    assert main(["-C", str(root), "run"]) == 0
    parsed = feedparser.parse((root / "feeds" / "a.xml").read_bytes())
    assert parsed.entries[0].link.startswith(
        f"https://github.com/someone/news-mirror/blob/{branch}/articles/a/"
    )
    assert "feeds/a.xml" in git(root, "ls-files", "feeds")


def test_github_remote_forms():
    expected = "https://github.com/o/r/blob/main/"
    for url in ("https://github.com/o/r.git", "git@github.com:o/r.git", "https://github.com/o/r"):
        assert public_url_for(url, "main") == expected
    assert public_url_for("https://gitlab.com/o/r.git", "main") == ""
    assert public_url_for("/srv/git/r.git", "main") == ""


def test_entries_rendered_in_an_earlier_pass_give_the_same_feeds(tmp_path, feed_server):
    root = _mirror(tmp_path, feed_server)
    assert main(["-C", str(root), "run", "--no-commit"]) == 0
    feed_server.serve("/b.xml", rss(rss_item(9, title="乙 &lt;新闻&gt; &amp; 更多"), rss_item(10)))
    assert main(["-C", str(root), "run", "--no-commit"]) == 0  # a.* and half of all.* cached
    passed = {p.name: p.read_bytes() for p in (root / "feeds").iterdir()}
    with SqliteStore(root / ".newsmirror" / "index.sqlite") as store:
        cached = [str(p.relative_to(root)) for p in (root / "articles").rglob("*.md")]
        assert len(store.feed_entries(cached)) == 5  # every article of both feeds
        store.keep_feed_entries([])
    shutil.rmtree(root / "feeds")
    assert main(["-C", str(root), "build"]) == 0  # everything rendered afresh
    assert {p.name: p.read_bytes() for p in (root / "feeds").iterdir()} == passed


def test_an_article_file_that_changed_is_rendered_again(tmp_path, feed_server):
    root = _mirror(tmp_path, feed_server)
    assert main(["-C", str(root), "run", "--no-commit"]) == 0
    (path,) = (root / "articles" / "b").rglob("*.md")
    path.write_text(path.read_text("utf-8").replace("</p>", "（更正）</p>", 1), "utf-8")
    assert main(["-C", str(root), "build"]) == 0
    items = json.loads((root / "feeds" / "b.json").read_text("utf-8"))["items"]
    assert "（更正）" in items[0]["content_html"]
    assert "（更正）" in (root / "feeds" / "all.xml").read_text("utf-8")


def test_entry_ids_are_name_based_uuids_of_the_path():
    from newsmirror.publish.feeds import _id

    namespace = uuid.UUID("9f6e0d1c-6a53-4c51-8d0e-6b3f3c6f1a10")
    for path in ("articles/a/2021/07/01/120000-abc.md", "lists/甲.md", "feeds/all.xml"):
        assert _id(path) == f"urn:uuid:{uuid.uuid5(namespace, path)}"


def test_a_pass_renders_its_new_entries_where_it_writes_them(tmp_path, feed_server, monkeypatch):
    """The feeds of a pass's new articles are made without reading those files back: their
    entries were rendered, and cached, by the process that wrote them (a worker, with two)."""
    from newsmirror.publish.site import Pages

    root = _mirror(tmp_path, feed_server, workers=2)
    read_back: list[str] = []
    original_read, original_write_feeds = Path.read_text, Pages.write_feeds
    inside = []

    def counting_read(self, *args, **kwargs):
        if inside and "articles" in self.parts:
            read_back.append(self.name)
        return original_read(self, *args, **kwargs)

    def watched_write_feeds(self, *args, **kwargs):
        inside.append(True)
        try:
            return original_write_feeds(self, *args, **kwargs)
        finally:
            inside.pop()

    monkeypatch.setattr(Path, "read_text", counting_read)
    monkeypatch.setattr(Pages, "write_feeds", watched_write_feeds)
    assert main(["-C", str(root), "run", "--no-commit"]) == 0
    assert read_back == [], read_back
    written = {p.name: p.read_bytes() for p in (root / "feeds").iterdir()}
    assert len(feedparser.parse(written["a.xml"]).entries) == 3
    # The same bytes as entries rendered afresh from the files.
    with SqliteStore(root / ".newsmirror" / "index.sqlite") as store:
        store.keep_feed_entries([])
    shutil.rmtree(root / "feeds")
    assert main(["-C", str(root), "build"]) == 0
    assert {p.name: p.read_bytes() for p in (root / "feeds").iterdir()} == written


def test_an_index_with_text_feed_entries_is_migrated_and_gives_the_same_feeds(
    tmp_path, feed_server
):
    """Schema 7 keeps rendered entries as bytes; a schema-6 cache of text is dropped and the
    feeds come out the same."""
    import sqlite3

    root = _mirror(tmp_path, feed_server)
    assert main(["-C", str(root), "run", "--no-commit"]) == 0
    written = {p.name: p.read_bytes() for p in (root / "feeds").iterdir()}
    index = root / ".newsmirror" / "index.sqlite"
    db = sqlite3.connect(index)
    assert {row[0] for row in db.execute("SELECT typeof(atom) FROM feed_entries")} == {"blob"}
    db.execute("UPDATE feed_entries SET atom=CAST(atom AS TEXT), json=CAST(json AS TEXT)")
    db.execute("PRAGMA user_version=6")
    db.commit()
    db.close()
    shutil.rmtree(root / "feeds")
    assert main(["-C", str(root), "build"]) == 0
    assert {p.name: p.read_bytes() for p in (root / "feeds").iterdir()} == written
    with SqliteStore(index) as store:
        types = {row[0] for row in store.db.execute("SELECT typeof(json) FROM feed_entries")}
    assert types == {"blob"}
