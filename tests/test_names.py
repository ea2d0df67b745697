"""Archive paths come from the configuration, the date and a hash: never from what a feed says.

Whatever titles, links and guids a feed holds, every new article's path is inside its site's
folder, short, made of safe characters, not a name Windows reserves, and its own.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from newsmirror.clean.entry import to_candidate
from newsmirror.config import from_dict
from newsmirror.decide.items import new_candidates, place
from newsmirror.errors import ConfigError
from newsmirror.records import FeedEntry, Known

NOW = 1_700_000_000_000
RESERVED = re.compile(r"^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\..*)?$", re.IGNORECASE)
SAFE_COMPONENT = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")
DATE_NAME = re.compile(r"^\d{4}/\d{2}/\d{2}/\d{6}-[0-9a-f]{12}(-\d+)?\.md$")

HOSTILE_TEXT = [
    "../",
    "../../etc/passwd",
    "/",
    "\\",
    "C:\\Windows\\",
    ":",
    "\x00",
    "CON",
    "prn.md",
    "AUX",
    "NUL",
    "COM1",
    "LPT1",
    "com¹",
    "x" * 300,
    "标题" * 150,
    "\u202e",  # right-to-left override
    "\u200b\u200d\ufeff",  # zero-width characters
    "a\nb\r\n",
    " .",
    '*?"<>|',
    "%2e%2e%2f",
]
text = st.one_of(
    st.sampled_from(HOSTILE_TEXT),
    st.text(max_size=40),
    st.lists(st.sampled_from(HOSTILE_TEXT), max_size=4).map("".join),
)
links = st.one_of(text, text.map(lambda t: f"https://news.example/{t}"))


def valid_slug(slug: str) -> bool:
    try:
        from_dict({"site": [{"name": "n", "slug": slug, "url": "https://a.example/"}]}, Path("t"))
    except ConfigError:
        return False
    return True


slugs = st.one_of(
    st.sampled_from(["voa", "nyt", "con-news", "a", "x" * 40]),
    st.from_regex(r"\A[a-z0-9][a-z0-9_-]{0,39}\Z"),
).filter(valid_slug)

entries = st.builds(
    FeedEntry,
    title=text,
    link=links,
    guid=st.one_of(st.just(""), text),
    # a handful of distinct seconds, so that several items share one
    published_ms=st.one_of(
        st.none(), st.sampled_from([NOW - 5_000, NOW - 5_000, NOW - 86_400_000])
    ),
    content=st.sampled_from(["", "<p>x</p>"]),
    base=st.sampled_from(["", "../", "https://other.example/"]),
)


def check_path(path: str, slug: str) -> None:
    assert path.startswith(f"articles/{slug}/")
    assert len(path) < 100
    rest = path.removeprefix(f"articles/{slug}/")
    assert DATE_NAME.match(rest) or re.fullmatch(r"\d+\.md", rest), path
    for component in path.split("/"):
        assert SAFE_COMPONENT.match(component), path
        assert not RESERVED.match(component), path
        assert component not in (".", "..") and not component.endswith((".", " ")), path


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(slug=slugs, items=st.lists(entries, max_size=12), layout=st.sampled_from(["date", "flat"]))
def test_paths_are_safe_short_inside_the_site_and_distinct(slug, items, layout) -> None:
    site_table = {"name": "n", "slug": slug, "url": "https://news.example/f", "layout": layout}
    site = from_dict({"site": [site_table]}, Path("t")).sites[0]
    candidates = [c for e in items if (c := to_candidate(e, site, site.url, NOW)) is not None]
    fresh = new_candidates(candidates, Known(frozenset(), frozenset()))
    placed = place(site, fresh, 480, None, set())
    paths = [path for path, _ in placed]
    assert len(set(paths)) == len(paths) == len(fresh)
    for path in paths:
        check_path(path, slug)


@settings(max_examples=100, deadline=None)
@given(items=st.lists(entries, min_size=1, max_size=6))
def test_taken_paths_get_numbered_suffixes_never_overwritten(items) -> None:
    site = from_dict({"site": [{"name": "n", "slug": "s", "url": "https://a.example/"}]}, Path("t"))
    site_ = site.sites[0]
    fresh = new_candidates(
        [c for e in items if (c := to_candidate(e, site_, site_.url, NOW)) is not None],
        Known(frozenset(), frozenset()),
    )
    first = [p for p, _ in place(site_, fresh, 480, None, set())]
    again = [p for p, _ in place(site_, fresh, 480, None, set(first))]
    assert not set(first) & set(again)
    assert len(set(again)) == len(again)
    for path in again:
        check_path(path, "s")
        assert re.search(r"-\d+\.md$", path)


def test_distinct_items_with_the_same_title_and_second_get_distinct_paths() -> None:
    site = from_dict({"site": [{"name": "n", "slug": "s", "url": "https://a.example/"}]}, Path("t"))
    same = [FeedEntry("CON", f"https://a.example/{i}", "", NOW, "") for i in range(50)]
    fresh = [c for e in same if (c := to_candidate(e, site.sites[0], "https://a.example/", NOW))]
    paths = {p for p, _ in place(site.sites[0], fresh, 480, None, set())}
    assert len(paths) == 50


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("CON", "ok"),
        ("nul", "ok"),
        ("Aux.txt", "ok"),
        ("ok", "con"),
        ("ok", "com1"),
        ("ok", "lpt9"),
    ],
)
def test_config_refuses_names_windows_reserves(name: str, slug: str) -> None:
    table = {"name": name, "slug": slug, "url": "https://a.example/"}
    with pytest.raises(ConfigError):
        from_dict({"site": [table]}, Path("t"))


@given(st.text(min_size=1, max_size=100))
def test_every_accepted_site_name_is_a_safe_list_file_name(name: str) -> None:
    table = {"name": name, "slug": "s", "url": "https://a.example/"}
    try:
        site = from_dict({"site": [table]}, Path("t")).sites[0]
    except ConfigError:
        return
    assume(site.name == name)
    assert not RESERVED.match(name) and not re.search(r'[\x00-\x1f/\\:*?"<>|]', name)
    assert name not in (".", "..") and not name.endswith((".", " "))
