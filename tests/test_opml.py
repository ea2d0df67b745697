"""Sources from and to feed readers: `import-opml` (nested folders, markup in titles,
duplicates, odd URLs), `export-opml` and `sources.opml`, `add` and `remove`."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import rss, rss_item, write_config
from newsmirror import config as config_module
from newsmirror import opml
from newsmirror.cli import main

# An export as readers write them (Inoreader/Feedly-like): folders in folders, `text` without
# `title`, case variations of xmlUrl, escaped markup in titles, a duplicate, a non-feed link.
EXPORT = """<?xml version="1.0" encoding="UTF-8"?>
<opml version="1.0">
  <head><title>Subscriptions</title></head>
  <body>
    <outline text="新闻" title="新闻">
      <outline text="BBC 中文" title="BBC 中文" type="rss"
               xmlUrl="https://feeds.bbci.co.uk/zhongwen/simp/rss.xml" htmlUrl="https://www.bbc.com/zhongwen/simp"/>
      <outline text="国际">
        <outline text="&lt;b&gt;DW&lt;/b&gt; &amp;amp; 德国之声" type="rss" xmlurl="https://rss.dw.com/rdf/rss-chi-all"/>
        <outline title="Le Monde: à la une" type="rss" xmlUrl="https://www.lemonde.fr/rss/une.xml"/>
      </outline>
    </outline>
    <outline text="BBC again" type="rss" xmlUrl="https://feeds.bbci.co.uk/zhongwen/simp/rss.xml/"/>
    <outline text="a podcast" type="rss" xmlUrl="itpc://example.org/podcast.xml"/>
    <outline text="已有" type="rss" xmlUrl="HTTPS://Example.ORG/feed.xml"/>
    <outline type="rss" xmlUrl="https://blog.example.net/index.xml"/>
    <outline text="CON" type="rss" xmlUrl="https://con.example.com/feed"/>
  </body>
</opml>
"""


@pytest.fixture
def mirror(tmp_path: Path) -> Path:
    root = tmp_path / "m"
    write_config(root, [{"name": "已有源", "slug": "old", "url": "https://example.org/feed.xml"}])
    text = (root / "newsmirror.toml").read_text("utf-8")
    (root / "newsmirror.toml").write_text("# my own comment\n" + text, "utf-8")
    return root


def test_a_readers_export_is_imported_with_what_was_skipped_said(mirror, tmp_path, capsys):
    export = tmp_path / "subscriptions.opml"
    export.write_text(EXPORT, "utf-8")
    assert main(["-C", str(mirror), "import-opml", str(export)]) == 0
    out = capsys.readouterr().out
    config = config_module.load(mirror / "newsmirror.toml")
    added = {s.slug: s for s in config.sites if s.slug != "old"}
    assert {s.url for s in added.values()} == {
        "https://feeds.bbci.co.uk/zhongwen/simp/rss.xml",
        "https://rss.dw.com/rdf/rss-chi-all",
        "https://www.lemonde.fr/rss/une.xml",
        "https://blog.example.net/index.xml",
        "https://con.example.com/feed",
    }
    names = {s.url: s.name for s in added.values()}
    assert names["https://rss.dw.com/rdf/rss-chi-all"] == "DW & 德国之声"  # markup gone
    assert names["https://www.lemonde.fr/rss/une.xml"] == "Le Monde à la une"  # no ":"
    assert names["https://blog.example.net/index.xml"] == "blog.example.net"  # no title
    assert names["https://con.example.com/feed"] == "CON feed"
    assert all(config_module.SLUG.match(slug) for slug in added)
    assert "skip BBC again: already a source" in out
    assert "skip a podcast: not an http(s) feed URL" in out
    assert "skip 已有: already a source (old)" in out
    assert "8 feeds; added 5 sources, skipped 3." in out
    assert (mirror / "newsmirror.toml").read_text("utf-8").startswith("# my own comment\n")
    # importing again adds nothing
    assert main(["-C", str(mirror), "import-opml", str(export)]) == 0
    assert "added 0 sources, skipped 8." in capsys.readouterr().out


def test_a_dry_run_import_changes_nothing(mirror, tmp_path, capsys):
    export = tmp_path / "s.opml"
    export.write_text(EXPORT, "utf-8")
    before = (mirror / "newsmirror.toml").read_text("utf-8")
    assert main(["-C", str(mirror), "import-opml", "--dry-run", str(export)]) == 0
    assert "would add 5 sources" in capsys.readouterr().out
    assert (mirror / "newsmirror.toml").read_text("utf-8") == before


@pytest.mark.parametrize(
    ("data", "problem"),
    [(b"<html><body/></html>", "not an OPML document"), (b"<opml/>", "without a <body>")],
)
def test_what_is_not_opml_is_refused_by_name(mirror, tmp_path, capsys, data, problem):
    bad = tmp_path / "bad.opml"
    bad.write_bytes(data)
    assert main(["-C", str(mirror), "import-opml", str(bad)]) != 0
    err = capsys.readouterr().err
    assert str(bad) in err and problem in err


def test_export_reads_back_as_the_same_sources(mirror, tmp_path):
    out = tmp_path / "out.opml"
    assert main(["-C", str(mirror), "export-opml", str(out)]) == 0
    [subscription] = opml.read(out.read_bytes())
    assert (subscription.title, subscription.xml_url) == ("已有源", "https://example.org/feed.xml")


def test_a_pass_writes_sources_opml(tmp_path, feed_server):
    feed = feed_server.serve("/f.xml", rss(rss_item(1)))
    root = tmp_path / "m"
    write_config(root, [{"name": "甲 & 乙", "slug": "a", "url": feed}])
    assert main(["-C", str(root), "run", "--no-commit"]) == 0
    [subscription] = opml.read((root / "sources.opml").read_bytes())
    assert subscription == opml.Subscription("甲 & 乙", feed)


def test_add_and_remove_a_source(mirror, tmp_path, capsys):
    assert main(["-C", str(mirror), "add", "https://news.example.com/rss", "--name", "示例"]) == 0
    config = config_module.load(mirror / "newsmirror.toml")
    [new] = [s for s in config.sites if s.url == "https://news.example.com/rss"]
    assert new.name == "示例" and new.slug == "news-example"
    assert main(["-C", str(mirror), "add", "https://news.example.com/rss/"]) == 1
    assert "already a source" in capsys.readouterr().err
    assert main(["-C", str(mirror), "remove", new.slug]) == 0  # no archive: gone
    config = config_module.load(mirror / "newsmirror.toml")
    assert [s.slug for s in config.sites] == ["old"]
    (mirror / "articles" / "old" / "2021").mkdir(parents=True)
    assert main(["-C", str(mirror), "remove", "old"]) == 0
    assert "its archive stays" in capsys.readouterr().out
    [kept] = config_module.load(mirror / "newsmirror.toml").sites
    assert (kept.slug, kept.enabled) == ("old", False)
    assert (mirror / "newsmirror.toml").read_text("utf-8").startswith("# my own comment\n")
    assert main(["-C", str(mirror), "remove", "nosuch"]) == 2
    assert main(["-C", str(mirror), "add", "ftp://x.example/f"]) == 2
