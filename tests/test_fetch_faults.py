"""The fetch stage against servers that misbehave: limits, timeouts, redirects, encodings, hints,
politeness per host, and every failure kind. The decisions behind them (hints, redirect chains,
host queues, decoders) are tested directly as pure functions first."""

from __future__ import annotations

import gzip
import threading
import time
import tracemalloc
import zlib
from collections.abc import Iterator
from email.utils import formatdate

import brotli
import pytest

from faultserver import (
    FEED,
    FEED_ETAG,
    FEED_LAST_MODIFIED,
    FaultServer,
    RawServer,
    cached_bomb,
    encode,
    make_feed,
    most_at_once,
    unresponsive_port,
    unused_port,
)
from newsmirror import __version__
from newsmirror.fetch import hints
from newsmirror.fetch.decode import BadEncoding, BodyDecoder, TooLarge
from newsmirror.fetch.hosts import HostQueues, host_key
from newsmirror.fetch.http import USER_AGENT, FetchPolicy, Request, fetch_all
from newsmirror.fetch.redirects import Chain, RedirectRefused
from newsmirror.records import Fetched

NOW = 1_750_000_000_000  # a fixed "now" for the pure functions, in epoch ms
DAY_MS = 24 * 3600 * 1000
MIB = 1024 * 1024


def http_date(ms: int) -> str:
    return formatdate(ms / 1000, usegmt=True)


@pytest.fixture
def fault_server() -> Iterator[FaultServer]:
    with FaultServer() as server:
        yield server


def fetch(*requests: Request, **policy: object) -> dict[str, Fetched]:
    results: list[Fetched] = []
    fetch_all(requests, FetchPolicy(**policy), results.append)  # type: ignore[arg-type]
    return {r.key: r for r in results}


def fetch_url(url: str, **policy: object) -> Fetched:
    return fetch(Request("s", url), **policy)["s"]


# --- caching and retry hints (pure) -----------------------------------------------------------


@pytest.mark.parametrize(
    ("cache_control", "expected"),
    [
        ("max-age=600", NOW + 600_000),
        ("public, max-age=60, must-revalidate", NOW + 60_000),
        ('max-age="120"', NOW + 120_000),
        ("MAX-AGE=30", NOW + 30_000),
        ("max-age=0", NOW),
        ("max-age=600, no-cache", None),
        ("no-store, max-age=600", None),
        ("s-maxage=600", None),  # for shared caches only
        ("s-maxage=600, max-age=60", NOW + 60_000),
        ('no-cache="Set-Cookie, X-Foo", max-age=60', NOW + 60_000),  # qualified: not the body
        ("max-age=-5", None),
        ("max-age=soon", None),
        ("max-age=99999999999999999999999", NOW + hints.MAX_AHEAD_MS),
        ("", None),
    ],
)
def test_cache_control_gives_fresh_until(cache_control: str, expected: int | None) -> None:
    assert hints.fresh_until_ms(cache_control, None, None, None, NOW) == expected


def test_age_is_taken_off_max_age() -> None:
    assert hints.fresh_until_ms("max-age=600", None, None, "100", NOW) == NOW + 500_000
    assert hints.fresh_until_ms("max-age=600", None, None, "900", NOW) is None


def test_expires_counts_from_the_server_date() -> None:
    # The server's clock is an hour behind: Expires is 10 minutes after its own Date.
    date, expires = http_date(NOW - 3_600_000), http_date(NOW - 3_000_000)
    assert hints.fresh_until_ms(None, expires, date, None, NOW) == NOW + 600_000
    assert hints.fresh_until_ms(None, http_date(NOW + 60_000), None, None, NOW) == NOW + 60_000


@pytest.mark.parametrize("expires", ["0", "-1", "yesterday", ""])
def test_unparsable_expires_means_not_fresh(expires: str) -> None:
    assert hints.fresh_until_ms(None, expires, None, None, NOW) is None


def test_expires_in_the_past_and_max_age_winning() -> None:
    assert hints.fresh_until_ms(None, http_date(NOW - 60_000), None, None, NOW) is None
    later = http_date(NOW + DAY_MS)
    assert hints.fresh_until_ms("max-age=60", later, None, None, NOW) == NOW + 60_000
    far = http_date(NOW + 365 * DAY_MS)
    assert hints.fresh_until_ms(None, far, None, None, NOW) == NOW + hints.MAX_AHEAD_MS


@pytest.mark.parametrize(
    ("value", "date", "expected"),
    [
        ("120", None, NOW + 120_000),
        (" 0 ", None, NOW),
        (http_date(NOW + 300_000), None, NOW + 300_000),
        # measured against the server's Date: its clock is 5 minutes fast
        (http_date(NOW + 600_000), http_date(NOW + 300_000), NOW + 300_000),
        (http_date(NOW - 60_000), None, None),
        ("-30", None, None),
        ("1.5", None, None),
        ("soon", None, None),
        ("", None, None),
        (None, None, None),
        ("9" * 40, None, NOW + hints.MAX_AHEAD_MS),
        (http_date(NOW + 400 * DAY_MS), None, NOW + hints.MAX_AHEAD_MS),
    ],
)
def test_retry_after(value: str | None, date: str | None, expected: int | None) -> None:
    assert hints.retry_after_ms(value, date, NOW) == expected


def test_http_dates_in_all_three_forms() -> None:
    expected = 784111777000
    assert hints.parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT") == expected
    assert hints.parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT") == expected
    assert hints.parse_http_date("Sun Nov  6 08:49:37 1994") == expected
    assert hints.parse_http_date("not a date") is None


# --- redirect chains (pure) -------------------------------------------------------------------


def test_relative_locations_resolve_against_the_current_url() -> None:
    chain = Chain(("https://a.example/feeds/x.xml",))
    chain = chain.follow(301, "y.xml")
    assert chain.url == "https://a.example/feeds/y.xml"
    chain = chain.follow(308, "/top.xml#fragment")
    assert chain.url == "https://a.example/top.xml"
    chain = chain.follow(301, "//b.example/z.xml")
    assert chain.url == "https://b.example/z.xml"
    assert chain.moved_to == "https://b.example/z.xml"


def test_one_temporary_hop_means_no_move() -> None:
    chain = Chain(("http://a.example/1",)).follow(301, "/2").follow(302, "/3").follow(308, "/4")
    assert chain.url == "http://a.example/4" and chain.moved_to is None
    assert Chain(("http://a.example/1",)).moved_to is None
    assert Chain(("http://a.example/1",)).follow(307, "/2").moved_to is None


def test_loops_are_named() -> None:
    chain = Chain(("http://a.example/1",)).follow(302, "/2").follow(302, "/3")
    with pytest.raises(RedirectRefused, match="loop") as caught:
        chain.follow(302, "/2")
    assert str(caught.value) == (
        "redirect loop: http://a.example/2 -> http://a.example/3 -> http://a.example/2"
    )


@pytest.mark.parametrize(
    "location", ["file:///etc/passwd", "ftp://a.example/feed.xml", "javascript:alert(1)"]
)
def test_only_http_and_https_are_followed(location: str) -> None:
    with pytest.raises(RedirectRefused, match="refused"):
        Chain(("https://a.example/",)).follow(302, location)


def test_at_most_ten_hops_and_a_location_is_needed() -> None:
    chain = Chain(("http://a.example/0",))
    for n in range(1, 11):
        chain = chain.follow(301, f"/{n}")
    assert chain.hops == 10
    with pytest.raises(RedirectRefused, match="more than 10 redirects"):
        chain.follow(301, "/11")
    with pytest.raises(RedirectRefused, match="without a Location"):
        Chain(("http://a.example/0",)).follow(302, None)


# --- host queues (pure) -----------------------------------------------------------------------


def test_host_keys() -> None:
    assert host_key("http://Example.ORG/a") == "example.org:80"
    assert host_key("http://example.org:80/b") == "example.org:80"
    assert host_key("https://example.org/c") == "example.org:443"
    assert host_key("http://example.org:8080/") == "example.org:8080"
    assert host_key("file:///tmp/a.xml") != host_key("file:///tmp/b.xml")


def test_queues_hand_out_the_next_request_whose_host_has_room() -> None:
    items = ["a1", "a2", "a3", "b1", "c1", "b2"]
    queues = HostQueues(items, key=lambda s: s[0], per_host=2)
    taken = [queues.take() for _ in range(5)]
    assert taken == ["a1", "a2", "b1", "c1", "b2"]  # a3 waits: a is at its limit
    queues.done("a1")
    assert queues.take() == "a3"
    assert queues.take() is None


def test_a_waiting_take_wakes_when_its_host_frees_up() -> None:
    queues = HostQueues(["a1", "a2"], key=lambda s: s[0], per_host=1)
    assert queues.take() == "a1"
    got: list[str | None] = []
    waiter = threading.Thread(target=lambda: got.append(queues.take()))
    waiter.start()
    waiter.join(0.2)
    assert waiter.is_alive() and got == []  # a2's host is busy: nothing to hand out
    queues.done("a1")
    waiter.join(5)
    assert got == ["a2"]


# --- decoders (pure) --------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["gzip", "deflate", "raw-deflate", "br"])
@pytest.mark.parametrize("chunk", [1, 7, 1 << 20])
def test_every_encoding_decodes_in_any_chunking(name: str, chunk: int) -> None:
    data = encode(FEED, name)
    decoder = BodyDecoder("deflate" if name == "raw-deflate" else name, 10 * MIB)
    out = b"".join(decoder.feed(data[i : i + chunk]) for i in range(0, len(data), chunk))
    assert out == FEED and decoder.finished()


def test_stacked_encodings_and_gzip_members() -> None:
    stacked = encode(encode(FEED, "gzip"), "br")
    assert BodyDecoder("gzip, br", MIB).feed(stacked) == FEED
    two_members = gzip.compress(FEED[:100]) + gzip.compress(FEED[100:])
    assert BodyDecoder("gzip", MIB).feed(two_members) == FEED


@pytest.mark.parametrize("name", ["gzip", "deflate", "br"])
def test_decoded_size_is_bounded(name: str) -> None:
    zeros = bytes(5 * MIB)
    data = brotli.compress(zeros) if name == "br" else encode(zeros, name)
    decoder = BodyDecoder(name, MIB)
    tracemalloc.start()
    try:
        with pytest.raises(TooLarge):
            decoder.feed(data)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 3 * MIB  # about the limit, never the whole 5 MiB
    exact = BodyDecoder(name, len(zeros))
    assert len(exact.feed(data)) == len(zeros)  # exactly at the limit is allowed


@pytest.mark.parametrize(("name", "data"), [("gzip", b"not gzip"), ("br", b"\xff" * 20)])
def test_broken_data_is_bad_encoding(name: str, data: bytes) -> None:
    with pytest.raises(BadEncoding):
        BodyDecoder(name, MIB).feed(data)
    with pytest.raises(BadEncoding, match="unknown content encoding"):
        BodyDecoder("compress", MIB)


# --- against the fault server: what is sent ---------------------------------------------------


def test_user_agent_and_accepted_encodings(fault_server: FaultServer) -> None:
    assert fetch_url(fault_server.url("/feed.xml")).body == FEED
    headers = fault_server.seen("/feed.xml")[0].headers
    assert headers["user-agent"] == USER_AGENT
    assert USER_AGENT.startswith(f"newsmirror/{__version__} ")
    assert {e.strip() for e in headers["accept-encoding"].split(",")} >= {"gzip", "deflate", "br"}
    assert "application/rss+xml" in headers["accept"]


@pytest.mark.parametrize("name", ["gzip", "deflate", "raw-deflate", "br", "gzip,br"])
def test_encoded_bodies_arrive_decoded(fault_server: FaultServer, name: str) -> None:
    result = fetch_url(fault_server.url(f"/encoded/{name}"))
    assert result.ok and result.body == FEED


@pytest.mark.parametrize("name", ["gzip", "deflate", "br"])
def test_bombs_stop_at_the_limit(fault_server: FaultServer, name: str) -> None:
    cached_bomb(name, 256)  # made before measuring: the server's memory is not ours
    tracemalloc.start()
    try:
        result = fetch_url(fault_server.url(f"/bomb/{name}", mb=256), max_bytes=2 * MIB)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert result.error_kind == "too_large" and "limit of 2,097,152 bytes" in (result.error or "")
    assert peak < 16 * MIB  # never the 256 MiB the bomb holds


def test_an_endless_body_stops_at_the_limit(fault_server: FaultServer) -> None:
    result = fetch_url(fault_server.url("/endless"), max_bytes=3 * MIB)
    assert result.error_kind == "too_large"


def test_a_declared_length_over_the_limit_is_refused_before_reading(
    fault_server: FaultServer,
) -> None:
    result = fetch_url(fault_server.url("/feed.xml", items=500), max_bytes=10_000)
    assert result.error_kind == "too_large" and "body of" in (result.error or "")


def test_a_lying_charset_reaches_the_parser_untouched(fault_server: FaultServer) -> None:
    result = fetch_url(fault_server.url("/charset", actual="gb18030", declared="utf-8"))
    assert result.body == make_feed(encoding=None).encode("gb18030")
    assert result.content_type == "application/rss+xml; charset=utf-8"


def test_a_truncated_body_is_a_network_failure(fault_server: FaultServer) -> None:
    result = fetch_url(fault_server.url("/truncated"))
    assert result.error_kind == "network" and "before the body was complete" in result.error


# --- timeouts -------------------------------------------------------------------------------


def test_a_slow_drip_ends_at_the_deadline(fault_server: FaultServer) -> None:
    began = time.monotonic()
    result = fetch_url(fault_server.url("/drip", interval=0.1), timeout=1.0)
    took = time.monotonic() - began
    assert result.error_kind == "timeout" and "within 1 s" in (result.error or "")
    assert 0.9 < took < 6  # generous: the point is that it ends


def test_a_slow_first_byte_ends_at_the_deadline(fault_server: FaultServer) -> None:
    began = time.monotonic()
    result = fetch_url(fault_server.url("/feed.xml", delay=30), timeout=1.0)
    assert result.error_kind == "timeout"
    assert time.monotonic() - began < 6


def test_connecting_has_its_own_timeout() -> None:
    with unresponsive_port() as port:
        began = time.monotonic()
        result = fetch_url(f"http://127.0.0.1:{port}/", timeout=30.0, connect_timeout=0.5)
    assert result.error_kind == "timeout" and "could not connect" in (result.error or "")
    assert time.monotonic() - began < 10


def test_the_deadline_covers_every_hop(fault_server: FaultServer) -> None:
    slow_hop = fault_server.url("/redirect/302", to="/feed.xml?delay=0.8", delay=0.8)
    result = fetch_url(slow_hop, timeout=1.2)
    assert result.error_kind == "timeout"


# --- failure kinds ----------------------------------------------------------------------------


def test_dns_failure() -> None:
    result = fetch_url("http://feeds.invalid/rss.xml")
    assert result.error_kind == "dns" and "feeds.invalid" in (result.error or "")


def test_refused() -> None:
    port = unused_port()
    result = fetch_url(f"http://127.0.0.1:{port}/feed.xml")
    assert result.error_kind == "refused" and str(port) in (result.error or "")


def test_tls_against_plain_http(fault_server: FaultServer) -> None:
    result = fetch_url(f"https://127.0.0.1:{fault_server.port}/feed.xml", timeout=5.0)
    assert result.error_kind == "tls" and "TLS" in (result.error or "")


def test_tls_against_garbage() -> None:
    with RawServer() as raw:
        result = fetch_url(f"https://127.0.0.1:{raw.port}/feed.xml", timeout=5.0)
    assert result.error_kind == "tls"


def test_garbage_instead_of_http_is_a_network_failure() -> None:
    with RawServer(b"SSH-2.0-OpenSSH\r\n") as raw:
        result = fetch_url(f"http://127.0.0.1:{raw.port}/feed.xml", timeout=5.0)
    assert result.error_kind == "network"


@pytest.mark.parametrize("status", [404, 410, 500])
def test_http_statuses(fault_server: FaultServer, status: int) -> None:
    result = fetch_url(fault_server.url(f"/status/{status}"))
    assert result.error_kind == "http" and result.status == status
    assert (result.error or "").startswith(f"HTTP {status}")
    assert result.retry_after_ms is None and result.body is None


@pytest.mark.parametrize("status", [429, 503, 500])
def test_retry_after_is_read_on_failures(fault_server: FaultServer, status: int) -> None:
    before = int(time.time() * 1000)
    result = fetch_url(fault_server.url(f"/status/{status}", retry_after=120))
    after = int(time.time() * 1000)
    assert result.error_kind == "http" and result.status == status
    assert result.retry_after_ms is not None
    assert before + 120_000 <= result.retry_after_ms <= after + 120_000
    assert "retry in 1" in (result.error or "")


def test_retry_after_as_a_date(fault_server: FaultServer) -> None:
    at = int(time.time()) + 3600
    result = fetch_url(fault_server.url("/status/503", retry_after=formatdate(at, usegmt=True)))
    assert result.retry_after_ms is not None
    assert abs(result.retry_after_ms - at * 1000) < 5_000


# --- redirects --------------------------------------------------------------------------------


@pytest.mark.parametrize("form", ["path", "relative", "absolute"])
def test_permanent_chains_report_the_new_home(fault_server: FaultServer, form: str) -> None:
    result = fetch_url(fault_server.url("/hops/301,308,301", form=form))
    assert result.ok and result.body == FEED and result.status == 200
    assert result.moved_to is not None and result.moved_to.startswith(fault_server.base)
    assert result.moved_to.split("?")[0].endswith("/hops/")
    assert len(fault_server.seen("/hops/")) == 4
    assert result.url == fault_server.url("/hops/301,308,301", form=form)


@pytest.mark.parametrize("codes", ["301,302", "307", "303,308", "308,301,307"])
def test_any_temporary_hop_means_no_move(fault_server: FaultServer, codes: str) -> None:
    result = fetch_url(fault_server.url(f"/hops/{codes}"))
    assert result.ok and result.body == FEED and result.moved_to is None


def test_a_redirect_loop_fails_naming_it(fault_server: FaultServer) -> None:
    result = fetch_url(fault_server.url("/loop/301/3/0"))
    assert result.error_kind == "redirects" and result.moved_to is None
    message = result.error or ""
    assert message.startswith("redirect loop: ")
    assert f"{fault_server.base}/loop/301/3/0 -> " in message
    assert message.count("/loop/301/3/") == 4  # three URLs and the repeat
    assert len(fault_server.seen("/loop/")) == 3


def test_too_many_hops(fault_server: FaultServer) -> None:
    assert fetch_url(fault_server.url("/hops/" + ",".join(["302"] * 10))).ok
    result = fetch_url(fault_server.url("/hops/" + ",".join(["302"] * 11)))
    assert result.error_kind == "redirects" and "more than 10" in (result.error or "")


@pytest.mark.parametrize("target", ["file:///etc/passwd", "ftp://127.0.0.1/feed.xml"])
def test_redirects_off_the_web_are_refused(fault_server: FaultServer, target: str) -> None:
    result = fetch_url(fault_server.url("/redirect/302", to=target))
    assert result.error_kind == "redirects" and target in (result.error or "")


def test_conditional_headers_go_with_every_hop(fault_server: FaultServer) -> None:
    result = fetch(
        Request("a", fault_server.url("/redirect/301", to="/conditional.xml"), etag=FEED_ETAG)
    )["a"]
    assert result.ok and result.not_modified and result.moved_to is not None
    hops = fault_server.seen("/")
    assert len(hops) == 2
    assert all(h.headers.get("if-none-match") == FEED_ETAG for h in hops)


# --- 304 and freshness ------------------------------------------------------------------------


def test_not_modified_by_etag_or_date(fault_server: FaultServer) -> None:
    url = fault_server.url("/conditional.xml")
    results = fetch(
        Request("etag", url, etag=FEED_ETAG),
        Request("date", url, last_modified=FEED_LAST_MODIFIED),
        Request("stale", url, etag='"old"'),
    )
    assert results["etag"].not_modified and results["etag"].body is None
    assert results["date"].not_modified
    assert results["stale"].body == FEED and results["stale"].etag == FEED_ETAG
    assert results["stale"].last_modified == FEED_LAST_MODIFIED


def test_freshness_of_200_and_304(fault_server: FaultServer) -> None:
    before = int(time.time() * 1000)
    ok = fetch_url(fault_server.url("/feed.xml", h="Cache-Control: public, max-age=900"))
    cached = fetch(
        Request(
            "s",
            fault_server.url("/conditional.xml", h="Cache-Control: max-age=60"),
            etag=FEED_ETAG,
        )
    )["s"]
    after = int(time.time() * 1000)
    assert ok.fresh_until_ms is not None
    assert before + 900_000 <= ok.fresh_until_ms <= after + 900_000
    assert cached.not_modified and cached.fresh_until_ms is not None
    assert before + 60_000 <= cached.fresh_until_ms <= after + 60_000
    no_store = fetch_url(fault_server.url("/feed.xml", h="Cache-Control: no-store, max-age=9"))
    assert no_store.ok and no_store.fresh_until_ms is None


# --- politeness and concurrency ---------------------------------------------------------------


def test_at_most_per_host_requests_to_one_host(fault_server: FaultServer) -> None:
    requests = [Request(f"a{n}", fault_server.url("/feed.xml", delay=0.3, n=n)) for n in range(6)]
    results = fetch(*requests, concurrency=8, per_host=2)
    assert all(r.ok for r in results.values())
    assert fault_server.max_in_flight() == 2


def test_concurrency_bounds_all_hosts_together() -> None:
    servers = [FaultServer().start() for _ in range(4)]
    try:
        requests = [
            Request(f"{i}-{n}", s.url("/feed.xml", delay=0.3, n=n))
            for i, s in enumerate(servers)
            for n in range(2)
        ]
        results = fetch(*requests, concurrency=3, per_host=2)
        assert all(r.ok for r in results.values())
        assert most_at_once([seen for s in servers for seen in s.requests]) == 3
    finally:
        for server in servers:
            server.close()


def test_a_busy_host_never_holds_up_another(fault_server: FaultServer) -> None:
    with FaultServer() as other:
        slow = [
            Request(f"slow{n}", fault_server.url("/feed.xml", delay=0.5, n=n)) for n in range(3)
        ]
        quick = Request("quick", other.url("/feed.xml"))
        order: list[str] = []
        # Two workers, one request per host: the second worker must take the quick host's
        # request rather than wait for the slow host.
        fetch_all(
            [*slow, quick], FetchPolicy(concurrency=2, per_host=1), lambda r: order.append(r.key)
        )
    assert order[0] == "quick"
    assert order[1:] == ["slow0", "slow1", "slow2"]


def test_results_arrive_in_the_calling_thread(fault_server: FaultServer) -> None:
    threads: set[int] = set()
    requests = [Request(f"s{n}", fault_server.url("/feed.xml", n=n)) for n in range(5)]
    fetch_all(requests, FetchPolicy(), lambda r: threads.add(threading.get_ident()))
    assert threads == {threading.get_ident()}


def test_an_error_in_the_handler_stops_the_pass(fault_server: FaultServer) -> None:
    requests = [Request(f"s{n}", fault_server.url("/feed.xml", n=n)) for n in range(5)]

    def explode(_: Fetched) -> None:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        fetch_all(requests, FetchPolicy(concurrency=1), explode)


def test_deflate_sniffing_survives_a_tiny_first_read() -> None:
    # One byte first: the decoder must wait for the header before choosing the format.
    data = zlib.compress(FEED)
    decoder = BodyDecoder("deflate", MIB)
    assert decoder.feed(data[:1]) == b"" and decoder.feed(data[1:]) == FEED
