from pathlib import Path

from newsmirror.config import Config, Site
from newsmirror.publish.pages import link_target, render_list, render_readme
from newsmirror.records import ListEntry

SITE = Site("德国之声", "dw", "https://a.org/f")
CONFIG = Config(path=Path("newsmirror.toml"), sites=(SITE,))
MS = 1594810414000  # 2020-07-15 10:53 UTC+8


def test_list_is_the_late_format():
    entries = [
        ListEntry("articles/dw/1047890.md", MS, "标题"),
        ListEntry("articles/dw/1.md", 0, "b"),
    ]
    assert render_list(SITE, entries, CONFIG) == (
        "德国之声\n------\n\n7-15 [标题](/articles/dw/1047890.md)\n\n1-1 [b](/articles/dw/1.md)\n\n"
    )


def test_old_titles_cannot_break_list_entries():
    entry = ListEntry("articles/德国之声/1047890_客座评论\n.md", MS, "a [b] \\[c\\]\n")
    line = render_list(SITE, [entry], CONFIG).splitlines()[3]
    assert line == "7-15 [a \\[b\\] \\[c\\]](/articles/德国之声/1047890_客座评论%0A.md)"


def test_link_targets_escape_what_markdown_and_urls_misread():
    assert link_target("articles/德国之声/1047798_泰国旅游业或暴跌80% 感染率极低成谜 .md") == (
        "articles/德国之声/1047798_泰国旅游业或暴跌80%25%20感染率极低成谜%20.md"
    )
    assert link_target("a/棋子?牺牲品#(x).md") == "a/棋子%3F牺牲品%23%28x%29.md"
    assert link_target("a/\u00a0b.md") == "a/%C2%A0b.md"


def test_full_dates_when_asked():
    config = Config(path=Path("x"), sites=(SITE,), list_dates="full")
    assert "2020-7-15 [t]" in render_list(SITE, [ListEntry("articles/dw/1.md", MS, "t")], config)


def test_readme_links_every_list():
    assert render_readme(CONFIG, {"dw"}).startswith(
        "抓取新闻媒体文章\n------\n\n[德国之声](lists/德国之声.md)\n"
    )


def test_readme_links_no_list_that_does_not_exist_yet():
    other = Site("法广", "rfi", "https://a.org/g")
    config = Config(path=Path("newsmirror.toml"), sites=(SITE, other))
    text = render_readme(config, {"rfi"})
    assert "[法广](lists/法广.md)" in text
    assert "德国之声（暂无文章 / no articles yet）" in text and "lists/德国之声.md" not in text
