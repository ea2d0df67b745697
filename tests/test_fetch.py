"""The fetch stage against a loopback server: conditional requests, limits, failures as values."""

from conftest import rss, rss_item, write_config
from newsmirror.cli import main
from newsmirror.fetch.http import USER_AGENT, FetchPolicy, Request, fetch_all


def fetch(requests, **policy):
    results = []
    fetch_all(requests, FetchPolicy(**policy), results.append)
    return {r.key: r for r in results}


def test_validators_are_stored_and_sent_back(tmp_path, feed_server):
    root = tmp_path / "m"
    write_config(root, [{"name": "a", "slug": "a", "url": feed_server.url("/a.xml")}])
    feed_server.serve(
        "/a.xml", rss(rss_item(1)), ETag='"v1"', Last_Modified="Mon, 05 Jul 2021 22:59:02 GMT"
    )
    assert main(["-C", str(root), "run", "--no-commit"]) == 0
    assert main(["-C", str(root), "run", "--no-commit"]) == 0
    first, second = feed_server.requests
    assert "if-none-match" not in first[1]
    assert second[1]["if-none-match"] == '"v1"'
    assert second[1]["if-modified-since"] == "Mon, 05 Jul 2021 22:59:02 GMT"
    assert second[1]["user-agent"] == USER_AGENT and USER_AGENT.startswith("newsmirror/")


def test_not_modified_is_success_without_a_body(feed_server):
    url = feed_server.serve("/a.xml", "", status=304)
    result = fetch([Request("a", url, etag='"v1"')])["a"]
    assert result.ok and result.not_modified and result.body is None


def test_limits_and_failures_are_values(feed_server):
    big = feed_server.serve("/big.xml", "x" * 5000)
    missing = feed_server.url("/missing.xml")
    loop = feed_server.serve("/loop", "", status=302, Location="/loop")
    results = fetch(
        [Request("big", big), Request("missing", missing), Request("loop", loop)], max_bytes=1000
    )
    assert results["big"].error_kind == "too_large"
    assert results["missing"].error_kind == "http" and results["missing"].status == 404
    assert results["loop"].error_kind == "redirects"


def test_redirects_are_followed(feed_server):
    feed_server.serve("/new.xml", rss(rss_item(1)))
    old = feed_server.serve("/old.xml", "", status=301, Location="/new.xml")
    result = fetch([Request("a", old)])["a"]
    assert result.ok and b"guid-1" in result.body


def test_file_urls_are_read_from_disk(tmp_path):
    feed = tmp_path / "f.xml"
    feed.write_text(rss(rss_item(1)))
    results = fetch([Request("a", feed.as_uri()), Request("b", (tmp_path / "no.xml").as_uri())])
    assert results["a"].body == feed.read_bytes()
    assert results["b"].error_kind == "file"


def test_gzip_files_are_decompressed_within_the_limit(tmp_path):
    import gzip

    feed = tmp_path / "f.xml.gz"
    feed.write_bytes(gzip.compress(rss(rss_item(1)).encode()))
    bomb = tmp_path / "bomb.gz"
    bomb.write_bytes(gzip.compress(b"\0" * 5_000_000))
    broken = tmp_path / "broken.gz"
    broken.write_bytes(b"\x1f\x8b\x08\x00garbage")
    results = fetch(
        [Request(n, p.as_uri()) for n, p in (("ok", feed), ("bomb", bomb), ("broken", broken))],
        max_bytes=100_000,
    )
    assert b"guid-1" in results["ok"].body
    assert results["bomb"].error_kind == "too_large"
    assert results["broken"].error_kind == "unparsable"


def test_policy_takes_the_settings_the_pipeline_passes():
    policy = FetchPolicy(8, 12.5, 1000, per_host=3, connect_timeout=4.0)
    assert (policy.concurrency, policy.timeout, policy.max_bytes) == (8, 12.5, 1000)
    assert (policy.per_host, policy.connect_timeout) == (3, 4.0)
    assert (FetchPolicy().per_host, FetchPolicy().connect_timeout) == (2, 10.0)
