"""What GitHub shows readers is what the publisher wrote: every article a pass writes from the
real corpus feeds, rendered with cmarkgfm (GitHub's Markdown engine), shows the visible text of
the item's source body (as html5lib, a browser-grade parser, builds it)."""

from __future__ import annotations

from conftest import shared_path
from newsmirror.clean.entry import fullest_body, to_candidate
from newsmirror.config import Site
from visible import corpus_feeds, visible_on_github, visible_text

NOW = 1_800_000_000_000


def _corpus_articles():  # type: ignore[no-untyped-def]
    for path, feed in corpus_feeds(shared_path("corpus", "feeds", "real")):
        site = Site(path.stem, "x", path.as_uri())
        for i, entry in enumerate(feed.entries):
            candidate = to_candidate(entry, site, "https://publisher.example/feed", NOW)
            if candidate is not None:
                yield f"{path.name}#{i}", entry, candidate.article


def test_github_shows_the_visible_text_of_every_corpus_article():
    checked, differ = 0, []
    for where, entry, article in _corpus_articles():
        checked += 1
        expected = visible_text(fullest_body(entry), embeds_as_links=True)
        shown = visible_on_github(article.body)
        if shown != expected:
            differ.append((where, expected[:80], shown[:80]))
    assert checked > 2500
    assert differ == [], f"{len(differ)} of {checked} differ, e.g. {differ[:3]}"
