"""One fetch layer for every kind of request: feeds, article pages, images, link checks. The
same limits for all, a Referer, accepted types, a size limit per request, and a per-pass
budget per kind."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from faultserver import FaultServer
from newsmirror.fetch.http import ACCEPTS, Budget, FetchPolicy, Request, fetch_all
from newsmirror.records import Fetched


@pytest.fixture
def server() -> Iterator[FaultServer]:
    with FaultServer() as fault_server:
        yield fault_server


def fetch(requests: list[Request], budget: Budget | None = None, **policy) -> dict[str, Fetched]:  # type: ignore[no-untyped-def]
    results: list[Fetched] = []
    fetch_all(requests, FetchPolicy(**policy), results.append, budget=budget)
    return {r.key: r for r in results}


def test_each_kind_says_what_it_accepts_and_where_it_was_linked_from(server):
    page = server.serve("/story.html", "<html><body>story</body></html>", Content_Type="text/html")
    fetch(
        [
            Request("feed", server.url("/feed.xml")),
            Request("page", page, kind="page", referer="https://news.example/feed"),
        ]
    )
    seen = {s.path.split("?")[0]: s.headers for s in server.seen()}
    assert seen["/feed.xml"]["accept"] == ACCEPTS["feed"] and "referer" not in seen["/feed.xml"]
    assert seen["/story.html"]["accept"] == ACCEPTS["page"]
    assert seen["/story.html"]["referer"] == "https://news.example/feed"


def test_an_answer_of_another_type_fails_without_reading_its_body(server):
    page = server.serve("/pic.jpg", b"<html>a login page</html>" * 1000, Content_Type="text/html")
    image = server.serve("/real.jpg", b"\xff\xd8\xff" + b"0" * 100, Content_Type="image/jpeg")
    results = fetch(
        [
            Request("fake", page, kind="image", types=("image/",)),
            Request("real", image, kind="image", types=("image/",)),
        ]
    )
    assert results["fake"].error_kind == "type"
    assert results["fake"].error == "answered text/html, not image/*"
    assert results["fake"].body is None
    assert results["real"].ok and results["real"].body.startswith(b"\xff\xd8\xff")


def test_a_request_can_have_a_smaller_size_limit_than_the_policy(server):
    url = server.url("/feed.xml", items=200)
    results = fetch([Request("feed", url), Request("image", url, kind="image", max_bytes=1000)])
    assert results["feed"].ok
    assert results["image"].error_kind == "too_large"


def test_a_budget_per_kind_holds_across_the_pass(server):
    budget = Budget({"page": 3})
    first = fetch(
        [Request(f"p{n}", server.url("/feed.xml", n=n), kind="page") for n in range(2)], budget
    )
    second = fetch(
        [Request(f"q{n}", server.url("/feed.xml", n=10 + n), kind="page") for n in range(3)]
        + [Request("feed", server.url("/feed.xml", n=99))],
        budget,
    )
    assert all(r.ok for r in first.values())
    assert second["q0"].ok and second["feed"].ok  # feeds have no budget here
    assert {second["q1"].error_kind, second["q2"].error_kind} == {"budget"}
    assert second["q1"].error == "over this pass's budget of 3 page requests"
    asked = [s.path for s in server.seen()]
    assert len(asked) == 4  # the two over the budget were never sent


def test_every_kind_shares_the_per_host_limit(server):
    requests = [
        Request(f"{kind}{n}", server.url("/feed.xml", delay=0.3, n=f"{kind}{n}"), kind=kind)
        for kind in ("feed", "page", "image")
        for n in range(3)
    ]
    results = fetch(requests, per_host=2)
    assert all(r.ok for r in results.values())
    assert server.max_in_flight("/feed.xml") <= 2
