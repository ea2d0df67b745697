"""The storage contract: what every `store.base.Store` must do, whatever keeps the data.

`check_store(make)` runs every case against fresh stores from `make()`; an implementation's
test module hands it its factory (see test_store_contract.py), so that a second backend
(PostgreSQL, say) passes exactly the same suite. Each case uses only the interface.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest

from newsmirror.records import (
    ArchivedArticle,
    Asset,
    Enrichment,
    Fetched,
    Known,
    ListEntry,
    RenderedEntry,
    SourceOutcome,
    SourceState,
)
from newsmirror.store.base import FETCH_HISTORY, Store

Factory = Callable[[], Store]
CASES: list[Callable[[Factory], None]] = []


def case(function: Callable[[Factory], None]) -> Callable[[Factory], None]:
    CASES.append(function)
    return function


def article(
    n: int, site: str = "a", ms: int | None = None, link: str | None = None
) -> ArchivedArticle:
    return ArchivedArticle(
        site=site,
        path=f"articles/{site}/2021/07/0{1 + n % 9}/1200{n:02d}-{n:012x}.md",
        published_ms=ms if ms is not None else 1_625_000_000_000 + n * 60_000,
        title=f"标题 {n}",
        url=link or f"https://{site}.example/{n}",
        key_hash=f"{n:012x}",
        link_key=link or f"https://{site}.example/{n}",
    )


@case
def articles_are_found_by_identity_and_link(make: Factory) -> None:
    with make() as store:
        store.add_articles([article(1), article(2), article(3, site="b")])
        found = store.known("a", ["000000000001", "ffffffffffff"], ["https://a.example/2", ""])
        assert found == Known(frozenset({"000000000001"}), frozenset({"https://a.example/2"}))
        assert store.known("b", ["000000000001"], []) == Known(frozenset(), frozenset())
        assert store.paths_of_known("a", ["000000000001"], ["https://a.example/2"]) == {
            article(1).path,
            article(2).path,
        }


@case
def many_keys_are_asked_at_once(make: Factory) -> None:
    with make() as store:
        store.add_articles([article(n) for n in range(1500)])
        hashes = [f"{n:012x}" for n in range(0, 3000, 2)]
        assert len(store.known("a", hashes, []).key_hashes) == 750
        paths = [article(n).path for n in range(1500)] + ["articles/a/none.md"]
        assert len(store.taken_paths(paths)) == 1500


@case
def adding_a_path_again_replaces_it(make: Factory) -> None:
    with make() as store:
        store.add_articles([article(1)])
        store.add_articles([replace(article(1), title="新标题")])
        assert store.newest("a", 10) == [
            ListEntry(article(1).path, article(1).published_ms, "新标题")
        ]
        assert store.all_paths() == {article(1).path}


@case
def removed_paths_are_gone(make: Factory) -> None:
    with make() as store:
        store.add_articles([article(1), article(2)])
        assert store.sites_of([article(1).path, "articles/x/unknown.md"]) == {"a"}
        store.remove_paths([article(1).path, "articles/x/unknown.md"])
        assert store.all_paths() == {article(2).path}
        assert store.sites_with_articles() == {"a"}


@case
def lists_are_newest_first_and_summaries_count(make: Factory) -> None:
    with make() as store:
        store.add_articles([article(1, ms=3000), article(2, ms=1000), article(3, ms=2000)])
        assert [e.published_ms for e in store.newest("a", 2)] == [3000, 2000]
        assert store.site_summary("a") == (3, 3000)
        assert store.site_summary("nobody") == (0, None)


@case
def flat_ids_continue_numerically(make: Factory) -> None:
    with make() as store:
        flat = [
            replace(article(n), path=f"articles/a/{i}.md", flat_id=i)
            for n, i in enumerate((1000002, 1000000, 999999))
        ]
        store.add_articles(flat)
        assert store.lowest_flat_id("a") == 999999
        assert store.lowest_flat_id("b") is None


@case
def source_state_is_kept_whole(make: Factory) -> None:
    state = SourceState(
        slug="a",
        url="https://moved.example/feed",
        last_attempt_ms=5,
        last_success_ms=4,
        last_error_ms=3,
        last_error_kind="http",
        last_error="HTTP 500",
        failures=2,
        etag='"e"',
        last_modified="Mon, 05 Jul 2021 10:00:00 GMT",
        body_hash="h",
        config_url="https://a.example/feed",
        first_attempt_ms=1,
        last_new_ms=2,
        next_fetch_ms=9,
        wait_reason="backing off after 2 failures",
        moved_from="https://a.example/feed",
        moved_ms=4,
    )
    with make() as store:
        assert store.source("a") is None
        store.put_source(state)
        assert store.source("a") == state
        store.put_source(replace(state, failures=0, etag=None))
        assert store.source("a") == replace(state, failures=0, etag=None)


@case
def forgetting_validators_forces_a_full_read(make: Factory) -> None:
    with make() as store:
        for slug in ("a", "b"):
            store.put_source(SourceState(slug, "u", etag="E", last_modified="L", body_hash="H"))
        store.forget_validators(["a"])
        a, b = store.source("a"), store.source("b")
        assert (a.etag, a.last_modified, a.body_hash) == (None, None, None)
        assert (b.etag, b.last_modified, b.body_hash) == ("E", "L", "H")
        store.forget_validators(None)
        assert store.source("b").etag is None


@case
def fetches_are_kept_as_a_bounded_history(make: Factory) -> None:
    with make() as store:
        for n in range(FETCH_HISTORY + 5):
            fetched = Fetched("a", "u", status=200, started_ms=n, elapsed_ms=1)
            store.log_fetch(SourceOutcome("a", fetched, seen=n, notes=("1 item skipped",)), n)
        history = store.fetch_history("a", 1000)
        assert len(history) == FETCH_HISTORY
        assert history[0].started_ms == FETCH_HISTORY + 4 and history[0].notes == "1 item skipped"
        failed = Fetched("b", "u", error_kind="dns", error="no such host")
        store.log_fetch(SourceOutcome("b", failed, error_kind="dns", error="no such host"), 7)
        (record,) = store.fetch_history("b", 10)
        assert (record.outcome, record.error_kind, record.started_ms) == ("failed", "dns", 7)


@case
def the_journal_keeps_the_latest_batch_per_path(make: Factory) -> None:
    with make() as store:
        store.add_pending([article(1), article(2)])
        store.add_pending([replace(article(2), title="later")])
        assert [a.title for a in store.pending()] == ["标题 1", "later"]
        store.clear_pending()
        assert store.pending() == []


@case
def work_owed_is_a_set_per_kind(make: Factory) -> None:
    with make() as store:
        store.add_todo("list", ["a", "b", "a"])
        store.add_todo("commit", ["articles/a/1.md"])
        assert store.todo("list") == ["a", "b"]
        store.clear_todo("list", ["a", "z"])
        assert store.todo("list") == ["b"] and store.todo("commit") == ["articles/a/1.md"]


@case
def meta_values_are_kept(make: Factory) -> None:
    with make() as store:
        assert store.get_meta("head") is None
        store.set_meta("head", "abc")
        store.set_meta_durably("running", "42")
        assert (store.get_meta("head"), store.get_meta("running")) == ("abc", "42")


@case
def a_transaction_is_all_or_nothing(make: Factory) -> None:
    with make() as store:
        with pytest.raises(RuntimeError), store.transaction():
            store.add_articles([article(1)])
            store.put_source(SourceState("a", "u"))
            raise RuntimeError("stop")
        assert store.all_paths() == set() and store.source("a") is None
        with store.transaction():
            store.add_articles([article(1)])
        assert store.all_paths() == {article(1).path}


@case
def reset_forgets_articles_and_work_but_keeps_sources(make: Factory) -> None:
    with make() as store:
        store.add_articles([article(1)])
        store.add_pending([article(2)])
        store.add_todo("list", ["a"])
        store.put_source(SourceState("a", "u", failures=3))
        store.reset()
        assert store.all_paths() == set() and store.pending() == [] and store.todo("list") == []
        assert store.source("a").failures == 3
        assert not store.is_current()
        store.set_meta("complete", "1")
        assert store.is_current()


@case
def owed_enrichment_comes_due_in_order_and_leaves_when_done(make: Factory) -> None:
    with make() as store:
        first = Enrichment("articles/a/1.md", "a", "https://a.example/1", page="owed", next_ms=5)
        second = Enrichment("articles/a/2.md", "a", "https://a.example/2", images="owed")
        later = Enrichment("articles/a/3.md", "a", "https://a.example/3", page="owed", next_ms=99)
        done = Enrichment("articles/a/4.md", "a", "https://a.example/4", page="done")
        with store.transaction():
            store.put_enrichments([first, second, later, done])
        assert store.enrichments_due(10, 10) == [second, first]
        assert store.enrichments_due(10, 1) == [second]
        assert store.enrichments_due(100, 10) == [second, first, later]
        finished = replace(first, page="done", body_from="page", attempts=1)
        store.put_enrichments([finished])
        assert store.enrichment(first.path) == finished
        assert store.enrichment("articles/a/none.md") is None
        assert store.enrichments_due(10, 10) == [second]
        gave_up = replace(second, images="failed", attempts=4, error="404")
        store.put_enrichments([gave_up])
        assert store.enrichment_counts() == {"owed": 1, "page": 1, "failed": 1}


@case
def assets_are_found_by_the_url_they_came_from(make: Factory) -> None:
    with make() as store:
        one = Asset("https://i.example/a.jpg", "assets/ab/ab12.jpg", "image/jpeg", 900, 300, 8, 6)
        same = replace(one, url="https://i.example/a.jpg?copy")  # the same bytes, another URL
        store.put_asset(one)
        store.put_asset(same)
        urls = [one.url, same.url, "https://i.example/none.png"]
        assert store.assets_for(urls) == {one.url: one, same.url: same}
        assert store.assets_for([]) == {}
        many = [f"https://i.example/{n}.png" for n in range(1200)]  # more than one query holds
        for url in many[::100]:
            store.put_asset(replace(one, url=url))
        assert set(store.assets_for(many)) == set(many[::100])


@case
def reset_keeps_enrichment_and_assets(make: Factory) -> None:
    with make() as store:
        owed = Enrichment("articles/a/1.md", "a", "https://a.example/1", page="owed")
        asset = Asset("https://i.example/a.jpg", "assets/ab/ab12.jpg", "image/jpeg", 9, 3, 1, 1)
        store.put_enrichments([owed])
        store.put_asset(asset)
        store.reset()
        assert store.enrichment(owed.path) == owed
        assert store.assets_for([asset.url]) == {asset.url: asset}


@case
def articles_are_counted_and_listed_by_month_in_a_zone(make: Factory) -> None:
    # 2021-06-30 16:30 UTC is 2021-07-01 00:30 at UTC+8: July there, June in UTC.
    late_june = 1_625_070_600_000
    with make() as store:
        store.add_articles(
            [article(1, ms=late_june), article(2, ms=late_june + 86_400_000), article(3, ms=1)]
        )
        assert store.months("a", 480) == [("1970-01", 1), ("2021-07", 2)]
        assert store.months("a", 0) == [("1970-01", 1), ("2021-06", 1), ("2021-07", 1)]
        assert store.months("b", 0) == []
        july = store.between("a", late_june, late_june + 31 * 86_400_000)
        assert [e.path for e in july] == [article(2).path, article(1).path]  # newest first
        assert store.between("a", 0, 1) == []
        store.add_articles([article(4, site="b", ms=late_june)])
        assert store.days(480) == [("1970-01-01", 1), ("2021-07-01", 2), ("2021-07-02", 1)]
        assert store.days(0)[1] == ("2021-06-30", 2)


@case
def counts_follow_articles_replaced_moved_and_removed(make: Factory) -> None:
    late_june = 1_625_070_600_000
    with make() as store:
        store.add_articles([article(1, ms=late_june), article(2, ms=late_june)])
        assert store.months("a", 480) == [("2021-07", 2)]  # counted in this zone from now on
        store.add_articles([article(2, ms=late_june - 40 * 86_400_000)])  # same path, new time
        assert store.months("a", 480) == [("2021-05", 1), ("2021-07", 1)]
        moved = replace(article(1, site="b", ms=late_june), path=article(1).path)
        store.add_articles([moved])  # same path, another site
        assert store.months("a", 480) == [("2021-05", 1)]
        assert store.months("b", 480) == [("2021-07", 1)]
        assert store.sites_with_articles() == {"a", "b"}
        store.remove_paths([article(2).path])
        assert store.months("a", 480) == []
        assert store.sites_with_articles() == {"b"}
        assert store.days(480) == [("2021-07-01", 1)]
        assert store.days(0) == [("2021-06-30", 1)]
        store.reset()
        assert store.days(480) == [] and store.sites_with_articles() == set()


@case
def rendered_entries_are_cached_replaced_and_pruned(make: Factory) -> None:
    one, two = (
        RenderedEntry(f"articles/a/{n}.md", "s1", n, f"<entry>{n}</entry>".encode(), b"{}")
        for n in (1, 2)
    )
    with make() as store:
        assert store.feed_entries([one.path]) == {}
        store.put_feed_entries([one, two])
        assert store.feed_entries([one.path, "articles/a/9.md"]) == {one.path: one}
        newer = replace(one, stamp="s2", atom="<entry>新</entry>".encode())
        store.put_feed_entries([newer])
        assert store.feed_entries([one.path, two.path]) == {one.path: newer, two.path: two}
        many = [f"articles/a/{n}.md" for n in range(1200)]  # more than one query's worth
        assert set(store.feed_entries(many)) == {one.path, two.path}
        store.keep_feed_entries([two.path])
        assert store.feed_entries([one.path, two.path]) == {two.path: two}


def check_store(make: Factory) -> None:
    """Every case of the contract against stores from `make` (each case gets fresh ones)."""
    for run in CASES:
        run(make)
