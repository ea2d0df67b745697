"""Property tests: no input makes parse_feed crash or hang; only ParseError may escape."""

from __future__ import annotations

import contextlib
import gzip
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import SHARED
from newsmirror.clean.entry import to_candidate
from newsmirror.config import Site
from newsmirror.errors import ParseError
from newsmirror.parse import parse_feed
from newsmirror.store.article import parse, render

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "feeds"
_FUZZ = settings(
    max_examples=150,
    deadline=10_000,  # ms per example (a hundred times the usual): a hang fails the test
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _seeds() -> list[bytes]:
    """Real corpus feeds (the smaller ones, to keep examples quick) when present, else ours."""
    real = SHARED / "corpus" / "feeds" / "real"
    paths = sorted(real.rglob("*")) if real.is_dir() else []
    seeds = []
    for path in paths:
        if path.is_file() and path.suffix in (".xml", ".json", ".gz"):
            data = path.read_bytes()
            if data[:2] == b"\x1f\x8b":
                data = gzip.decompress(data)
            if len(data) <= 64_000:
                seeds.append(data)
    return seeds or [p.read_bytes() for p in sorted(FIXTURES.iterdir())]


SEEDS = _seeds()
_INSERTS = [
    b"&",
    b"<",
    b">",
    b"\x00",
    b"]]>",
    b"<![CDATA[",
    b"&nbsp;",
    b"\xff\xfe",
    b"\xef\xbb\xbf",
]


_SITE = Site("Fuzz", "fuzz", "https://example.org/feed.xml")
_NOW_MS = 1_800_000_000_000


def _parse_or_refuse(data: bytes) -> None:
    """Parse, and carry every entry through cleaning and rendering as a pass would."""
    try:
        feed = parse_feed(data)
    except ParseError:
        return
    for entry in feed.entries:
        assert isinstance(entry.title, str) and isinstance(entry.content, str)
        candidate = to_candidate(entry, _SITE, _SITE.url, _NOW_MS)
        if candidate is not None:
            text = render(candidate.article)
            assert parse(text) == candidate.article  # what is written reads back the same


@_FUZZ
@given(st.binary(max_size=4096), st.sampled_from(["", "text/xml; charset=gbk", "charset=utf-16"]))
def test_random_bytes_never_crash(data: bytes, content_type: str):
    with contextlib.suppress(ParseError):
        parse_feed(data, content_type)


@_FUZZ
@given(st.text(alphabet="<>&;/?!=\"' abcxmlrsitemnfd[]-#0123456789\n中", max_size=600))
def test_markup_like_text_never_crashes(text: str):
    _parse_or_refuse(text.encode())
    _parse_or_refuse(('<?xml version="1.0"?><rss><channel><item>' + text).encode())


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, max(0, len(data) - 1)))
        kind = draw(st.sampled_from(["flip", "insert", "delete", "truncate"]))
        if kind == "flip" and data:
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "insert":
            data[at:at] = draw(st.sampled_from(_INSERTS))
        elif kind == "delete":
            del data[at : at + draw(st.integers(1, 64))]
        else:
            del data[at:]
    return bytes(data)


@pytest.mark.skipif(not SEEDS, reason="no seed documents")
@_FUZZ
@given(mutated())
def test_mutated_feeds_never_crash(data: bytes):
    _parse_or_refuse(data)
