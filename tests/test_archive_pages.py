"""Archive pages: every article reachable from a month page, a year/month index per site, the
README's counts, pages split under GitHub's comfortable size, and every link resolving."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from urllib.parse import unquote

from conftest import rss, rss_item, write_config
from newsmirror.cli import main
from newsmirror.config import Site
from newsmirror.publish import archive
from newsmirror.records import ListEntry
from newsmirror.store.sqlite import SqliteStore

_LINK = re.compile(r"\]\(([^)\s]+)\)")


def _dates(n: int) -> str:
    # spread over three months, one of them across a zone boundary (UTC+8)
    days = ["Wed, 30 Jun 2021 17:00:00 GMT", "Thu, 01 Jul 2021 01:00:00 GMT"]
    days += ["Sun, 15 Aug 2021 08:00:00 GMT", "Mon, 31 May 2021 12:00:00 GMT"]
    return days[n % len(days)]


def _links_resolve(root: Path) -> int:
    """Every relative link of every generated page names a file in the mirror."""
    checked = 0
    pages = [root / "README.md", *(root / "lists").rglob("*.md"), *(root / "digests").rglob("*.md")]
    for page in pages:
        for target in _LINK.findall(page.read_text("utf-8")):
            if target.startswith(("http://", "https://")):
                continue
            path = unquote(target)
            resolved = root / path.lstrip("/") if path.startswith("/") else page.parent / path
            assert resolved.is_file(), f"{page.relative_to(root)} links {target}"
            checked += 1
    return checked


def test_every_article_is_on_its_month_page_and_every_link_resolves(tmp_path, feed_server):
    feed = feed_server.serve("/f.xml", rss(*(rss_item(n, date=_dates(n)) for n in range(8))))
    root = tmp_path / "m"
    write_config(root, [{"name": "甲", "slug": "a", "url": feed}], list_size=3)
    assert main(["-C", str(root), "run", "--no-commit"]) == 0
    folder = root / "lists" / "甲"
    assert sorted(p.name for p in folder.iterdir()) == [
        "2021-05.md",
        "2021-07.md",
        "2021-08.md",
        "index.md",
    ]  # 30 Jun 17:00 UTC is 1 Jul 01:00 at UTC+8
    july = (folder / "2021-07.md").read_text("utf-8")
    assert july.startswith("甲 2021-07\n------\n\n4 篇，时间为 UTC+08:00。\n\n")
    assert july.count("\n- 2021-07-01 09:00 [标题") == 2 and july.count("01:00 [标题") == 2
    listed = sum(p.read_text("utf-8").count("\n- 20") for p in folder.glob("2021-*.md"))
    assert listed == 8  # every article, though the list page holds 3
    index = (folder / "index.md").read_text("utf-8")
    assert "- [2021-08](2021-08.md) 2 篇" in index and "共 8 篇" in index
    assert index.index("2021-08") < index.index("2021-07") < index.index("2021-05")
    readme = (root / "README.md").read_text("utf-8")
    assert "[甲](lists/甲.md) — 8 篇，最新 2021-08-15，[按月归档](lists/甲/index.md)" in readme
    assert _links_resolve(root) > 12


def test_a_pass_with_one_new_article_rewrites_only_its_month(tmp_path, feed_server):
    items = [rss_item(n, date=_dates(n)) for n in range(4)]
    feed = feed_server.serve("/f.xml", rss(*items))
    root = tmp_path / "m"
    write_config(root, [{"name": "甲", "slug": "a", "url": feed}])
    assert main(["-C", str(root), "run", "--no-commit"]) == 0
    folder = root / "lists" / "甲"
    before = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    feed_server.serve("/f.xml", rss(*items, rss_item(9, date="Fri, 20 Aug 2021 08:00:00 GMT")))
    assert main(["-C", str(root), "run", "--no-commit"]) == 0
    after = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    changed = {name for name in after if after[name] != before.get(name)}
    assert changed == {"2021-08.md", "index.md"}


def test_a_month_larger_than_github_renders_comfortably_is_split():
    site = Site("甲", "a", "https://a.example/f")
    start, _ = archive.month_bounds("2021-07", 480)
    entries = [
        ListEntry(f"articles/a/2021/07/01/{n:06d}-{n:012x}.md", start + n * 1000, "很长的标题" * 40)
        for n in range(3000)
    ]
    pages = archive.render_month(site, "2021-07", entries, 480)
    assert len(pages) > 1
    assert [path for path, _ in pages][:2] == ["lists/甲/2021-07.md", "lists/甲/2021-07-2.md"]
    for _, text in pages:
        assert len(text.encode("utf-8")) <= archive.PAGE_LIMIT
    assert sum(text.count("\n- 2021") for _, text in pages) == 3000
    assert "[下一页](2021-07-2.md)" in pages[0][1] and "[上一页](2021-07.md)" in pages[1][1]


def test_build_counts_the_pages_it_rewrote_by_folder_when_there_are_many(
    tmp_path, feed_server, capsys
):
    feed = feed_server.serve("/f.xml", rss(*(rss_item(n, date=_dates(n)) for n in range(4))))
    root = tmp_path / "m"
    write_config(root, [{"name": "甲", "slug": "a", "url": feed}])
    assert main(["-C", str(root), "run", "--no-commit"]) == 0
    for folder in ("lists", "digests", "feeds"):
        shutil.rmtree(root / folder)
    (root / "README.md").unlink()
    capsys.readouterr()
    assert main(["-C", str(root), "build"]) == 0
    said = capsys.readouterr().out.strip().splitlines()[-1]
    assert said == "Rewrote 15 pages: README.md, digests/ 4, feeds/ 4, lists/ 5, status.md."
    (root / "README.md").unlink()
    assert main(["-C", str(root), "build"]) == 0
    assert (
        capsys.readouterr().out.strip().splitlines()[-1] == "Rewrote 2 pages: README.md, status.md."
    )


def test_build_writes_every_month_from_the_index(tmp_path, feed_server):
    feed = feed_server.serve("/f.xml", rss(*(rss_item(n, date=_dates(n)) for n in range(4))))
    root = tmp_path / "m"
    write_config(root, [{"name": "甲", "slug": "a", "url": feed}])
    assert main(["-C", str(root), "run", "--no-commit"]) == 0
    for page in (root / "lists" / "甲").iterdir():
        page.unlink()
    assert main(["-C", str(root), "build"]) == 0
    assert (root / "lists" / "甲" / "2021-08.md").is_file()
    with SqliteStore(root / ".newsmirror" / "index.sqlite") as store:
        total = sum(count for _, count in store.months("a", 480))
    assert total == 4 and _links_resolve(root) > 0


def test_a_digest_per_day_groups_every_article_by_site(tmp_path, feed_server):
    a = feed_server.serve("/a.xml", rss(*(rss_item(n, date=_dates(n)) for n in range(4))))
    b = feed_server.serve("/b.xml", rss(rss_item(7, date="Thu, 01 Jul 2021 03:00:00 GMT")))
    root = tmp_path / "m"
    write_config(
        root, [{"name": "甲", "slug": "a", "url": a}, {"name": "乙", "slug": "b", "url": b}]
    )
    assert main(["-C", str(root), "run", "--no-commit"]) == 0
    day = (root / "digests" / "2021" / "07" / "2021-07-01.md").read_text("utf-8")
    assert "共 3 篇" in day
    assert day.index("## 甲（2）") < day.index("## 乙（1）")  # configuration order
    assert "- 11:00 [标题 7](../../../articles/b/2021/07/01/110000-" in day
    index = (root / "digests" / "index.md").read_text("utf-8")
    assert "- [2021-08-15](2021/08/2021-08-15.md) 1 篇" in index
    assert index.index("2021-08-15") < index.index("2021-07-01") < index.index("2021-05-31")
    assert "[每日摘要 / daily digests](digests/index.md)" in (root / "README.md").read_text("utf-8")
    days = sorted(p.name for p in (root / "digests").rglob("2021-*.md"))
    assert days == ["2021-05-31.md", "2021-07-01.md", "2021-08-15.md"]
    total = sum(p.read_text("utf-8").count("\n- ") for p in (root / "digests").rglob("2021-*.md"))
    with SqliteStore(root / ".newsmirror" / "index.sqlite") as store:
        assert total == len(store.all_paths()) == 5  # counts add up to the index
    assert _links_resolve(root) > 10
