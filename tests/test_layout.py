"""Where files go: pure functions, checked over many articles."""

import re
from collections import defaultdict

from newsmirror.clean.entry import key_hash
from newsmirror.decide.items import new_candidates
from newsmirror.records import Article, Candidate, Known
from newsmirror.store.layout import date_path, flat_id_of, key_hash_of, rank_of

UTC8 = 8 * 60
DAY_MS = 86_400_000
SAFE_NAME = re.compile(r"^\d{6}-[0-9a-f]{12}(-\d+)?\.md$")


def test_no_folder_holds_more_than_a_thousand_entries_at_100_a_day():
    start = 1_600_000_000_000
    paths = [
        date_path("voa", start + i * (DAY_MS // 100), key_hash(f"g{i}"), UTC8)
        for i in range(100 * 3 * 366)  # three years, 100 articles a day
    ]
    assert len(set(paths)) == len(paths)
    children: dict[str, set[str]] = defaultdict(set)
    for path in paths:
        parts = path.split("/")
        for depth in range(1, len(parts)):
            children["/".join(parts[:depth])].add(parts[depth])
    assert max(len(names) for names in children.values()) <= 1000


def test_names_sort_in_publication_order_and_are_safe_and_stable():
    times = [1625525942000 + i * 61_000 for i in range(200)]
    paths = [date_path("voa", ms, key_hash(f"g{ms}"), UTC8) for ms in times]
    assert paths == sorted(paths)
    assert all(SAFE_NAME.match(p.rsplit("/", 1)[1]) for p in paths)
    again = [date_path("voa", ms, key_hash(f"g{ms}"), UTC8) for ms in times]
    assert again == paths
    assert date_path("voa", 1625525942000, "0123456789ab", UTC8) == (
        "articles/voa/2021/07/06/065902-0123456789ab.md"
    )


def test_file_names_give_back_their_identity_and_ids():
    path = date_path("voa", 1625525942000, key_hash("guid"), UTC8)
    assert key_hash_of(path) == key_hash("guid")
    assert flat_id_of("articles/voa/1039701.md") == 1039701
    assert flat_id_of("articles/德国之声/1047890_客座评论\n.md") == 1047890
    assert flat_id_of(path) is None
    assert rank_of("articles/voa/1000000.md") > rank_of("articles/voa/1000001.md")


def _candidate(n: int, ms: int, guid: str = "", link: str = "") -> Candidate:
    article = Article(ms, f"t{n}", link, "b")
    return Candidate(article, key_hash(guid or link), link)


def test_new_candidates_match_by_guid_or_link_and_come_oldest_first():
    a = _candidate(1, 300, guid="g1", link="https://a.org/1")
    b = _candidate(2, 100, guid="g2", link="https://a.org/2")
    c = _candidate(3, 200, guid="g3", link="https://a.org/3")
    same_guid = _candidate(4, 50, guid="g1", link="https://a.org/other")
    same_link = _candidate(5, 60, guid="g9", link="https://a.org/2")
    known = Known(frozenset({key_hash("g3")}), frozenset())
    fresh = new_candidates([a, b, c, same_guid, same_link], known)
    assert fresh == [b, a]


def test_place_continues_flat_ids_and_falls_back_to_dates():
    from newsmirror.config import Site
    from newsmirror.decide.items import place

    flat = Site("法广", "rfi", "https://a.org/f", layout="flat")
    fresh = [_candidate(1, 100, guid="g1"), _candidate(2, 200, guid="g2")]
    assert [p for p, _ in place(flat, fresh, UTC8, 1000000, set())] == [
        "articles/rfi/999999.md",
        "articles/rfi/999998.md",
    ]
    assert place(flat, fresh, UTC8, None, set())[0][0] == "articles/rfi/1048574.md"
    by_date = place(flat, fresh, UTC8, 2, set())  # one id left, two articles: dates instead
    assert all(p.startswith("articles/rfi/1970/01/01/08000") for p, _ in by_date)


def test_place_never_reuses_a_taken_path():
    from newsmirror.config import Site
    from newsmirror.decide.items import place

    site = Site("s", "s", "https://a.org/f")
    fresh = [_candidate(1, 0, guid="g")]
    first = place(site, fresh, UTC8, None, set())[0][0]
    second = place(site, fresh, UTC8, None, {first})[0][0]
    assert second == first.replace(".md", "-2.md")
    assert key_hash_of(second) == key_hash("g")


def test_notes_count_in_words():
    from newsmirror.decide.items import cut_notes, skip_notes

    assert skip_notes({"empty": 1, "x": 2}) == ("1 item skipped: empty", "2 items skipped: x")
    assert cut_notes({"too deep": 2}) == ("2 bodies cut: too deep",)
