"""Story fingerprints and steady hashes: what they must tell apart and what they must not,
on real archived articles where ../shared has them and on hand-made bodies."""

from __future__ import annotations

import itertools
import random
import re
import sqlite3
import statistics

import opencc
import pytest

from conftest import rss, rss_item, shared_path, write_config
from newsmirror import tracking
from newsmirror.clean import fingerprint
from newsmirror.cli import main
from newsmirror.decide.stories import MAX_BITS
from newsmirror.errors import ArticleFormatError
from newsmirror.store import article as article_format
from newsmirror.store.sqlite import SqliteStore


def _real_stories() -> list[tuple[str, str]]:
    """(title, body) of the real archived articles with some text, one of each story (the old
    archive holds a few stories twice, under a title spelled a little differently)."""
    stories, seen = [], set()
    for path in sorted(shared_path("corpus", "duty-machine-news", "articles").rglob("*.md")):
        try:
            article = article_format.parse(path.read_text("utf-8"))
        except (UnicodeDecodeError, ArticleFormatError):
            continue
        if len(fingerprint.story_text(article.body)) >= 400 and article.title[:10] not in seen:
            seen.add(article.title[:10])
            stories.append((article.title, article.body))
    assert len(stories) >= 10
    return stories


def _real_bodies() -> list[str]:
    return [body for _, body in _real_stories()]


# The rule as written first: one pattern over the whole body for links, one for white space next
# to tags. The fast path must give the same text (stored hashes were made this way).
_HREF = re.compile(r"""(\b(?:href|src)\s*=\s*)(["'])([^"']*)\2""", re.IGNORECASE)
_AROUND = re.compile(r"\s*(<[^>]*>)\s*")


def _reference_steady(body: str) -> str:
    from html import escape, unescape

    from newsmirror.clean.footer import strip_feedx_footer
    from newsmirror.clean.urls import link_key

    def link(m: re.Match[str]) -> str:
        return m.group(1) + m.group(2) + escape(link_key(unescape(m.group(3)))) + m.group(2)

    body = _HREF.sub(link, strip_feedx_footer(body))
    return re.sub(r"\s+", " ", _AROUND.sub(r"\1", body)).strip()


TRICKY = [
    '<p>甲 <a href="https://example.org/a?utm_source=x&amp;id=1">乙</a>  丙</p>\n<p> 丁 </p>',
    "<p><img data-src=\"https://e.org/1.jpg?spm=1\" SRC = 'https://e.org/2.jpg?from=rss'></p>",
    "<p>Resharper > Options > General</p>",  # a bare > in text
    "<p>a -> b</p>\n\n<!-- <p align='center'><a href= target=_blank></a></p> -->",
    '<p title="x = \'y\'">text = "quoted" href</p>  <br/>  <p>HREF="https://e.org/?utm_x=1"</p>',
    "  \n\t<div>\n  <p>  空白  </p>\n</div>  ",
    "",
]


@pytest.mark.parametrize("body", TRICKY)
def test_the_steady_body_is_the_same_as_the_rule_gave(body):
    assert fingerprint.steady_body(body) == _reference_steady(body)


def test_the_steady_body_of_real_articles_is_the_same_as_the_rule_gave():
    bodies = _real_bodies()
    assert [fingerprint.steady_body(b) for b in bodies] == [_reference_steady(b) for b in bodies]


def test_fingerprints_tell_real_stories_apart_and_a_small_edit_stays_close():
    texts = [fingerprint.story_text(b) for b in _real_bodies()]
    prints = [fingerprint.simhash(t) for t in texts]
    apart = [fingerprint.distance(a, b) for a, b in itertools.combinations(prints, 2)]
    assert min(apart) > 2 * MAX_BITS, "two different real stories look like one"
    assert 24 <= statistics.mean(apart) <= 40  # about half the bits
    rng = random.Random(7)
    close = edits = 0
    for text, print_ in zip(texts, prints, strict=True):
        for _ in range(20):
            chars = list(text)
            i = rng.randrange(min(len(chars), 1000))
            chars[i : i + 1] = "更正"  # a word changed in the lead
            edits += 1
            close += fingerprint.distance(print_, fingerprint.simhash("".join(chars))) <= MAX_BITS
        updated = fingerprint.simhash(text + "（更新：补充了一段话。）")
        if len(fingerprint.folded(text)) > fingerprint.FINGERPRINT_CHARS:
            assert updated == print_  # past the lead
    # SimHash is a vote of the trigrams: on a text of a few hundred characters one edit may
    # flip more bits (the earlier hash kept 90% of these edits within MAX_BITS).
    assert close / edits >= 0.88


def test_a_traditional_copy_has_the_same_fingerprint_and_is_told_traditional():
    to_traditional = opencc.OpenCC("s2t").convert
    for body in _real_bodies()[:10]:
        text = fingerprint.story_text(body)
        copy = to_traditional(text)
        assert fingerprint.distance(fingerprint.simhash(copy), fingerprint.simhash(text)) <= 1
        assert fingerprint.is_traditional(copy) and not fingerprint.is_traditional(text)
    assert not fingerprint.is_traditional("香港政府發表")  # too few characters to tell
    assert not fingerprint.is_traditional("这是一篇简体中文的新闻报道，只有一个繁體字。")


def test_features_agree_with_the_separate_measures():
    title = "習近平會見代表團"
    for body in [*TRICKY, "<p>" + "经济增长放缓，投资者担忧。" * 200 + "</p>"]:
        text = fingerprint.story_text(body)
        assert fingerprint.features(title, body) == (
            fingerprint.simhash(text),
            len("".join(text.split())),
            fingerprint.is_traditional(title + text),
        )


def test_features_of_real_stories_are_those_of_the_whole_text():
    """`features` converts only the lead, and nothing when nothing in it would change: on real
    stories and their Traditional copies it gives what converting the whole text gives."""
    to_traditional = opencc.OpenCC("s2t").convert
    for title, body in _real_stories()[:40]:
        text = fingerprint.story_text(body)
        assert fingerprint.features(title, body)[0] == fingerprint.simhash(text)
        assert not fingerprint.features(title, body)[2]
        copy = f"<p>{to_traditional(text)}</p>"
        found, _, traditional = fingerprint.features(to_traditional(title), copy)
        assert traditional
        assert fingerprint.distance(found, fingerprint.simhash(to_traditional(text))) <= 1
    assert fingerprint._convertible().search("这是简体中文。English too.") is None
    assert fingerprint._convertible().search("這是") and fingerprint._convertible().search("𠀾")


def test_a_text_too_short_has_no_fingerprint():
    assert fingerprint.simhash("") == fingerprint.simhash("。，") == 0
    assert fingerprint.simhash("三个字") != 0


def test_each_new_item_is_fingerprinted_once(tmp_path, feed_server, monkeypatch):
    calls = []
    real = tracking.features

    def counted(title: str, body: str):  # type: ignore[no-untyped-def]
        calls.append(title)
        return real(title, body)

    monkeypatch.setattr(tracking, "features", counted)
    body = "<p>" + "香港立法会今日通过新的法案，引起广泛关注。" * 20 + "</p>"
    items = [rss_item(n, title=f"新闻{n}", body=body.replace("香港", f"{n}号")) for n in range(5)]
    root = tmp_path / "m"
    write_config(
        root, [{"name": "甲", "slug": "a", "url": feed_server.serve("/a.xml", rss(*items))}]
    )
    assert main(["-C", str(root), "run", "--no-commit"]) == 0
    assert sorted(calls) == sorted(f"新闻{n}" for n in range(5))


def test_fingerprints_made_the_earlier_way_are_forgotten_and_made_again(tmp_path, feed_server):
    body = "<p>" + "外交部长今日表示，两国将继续加强合作，推动经济增长。" * 12 + "</p>"
    url = feed_server.serve("/a.xml", rss(rss_item(1, title="外长会谈", body=body)))
    root = tmp_path / "m"
    write_config(root, [{"name": "甲", "slug": "a", "url": url}])
    assert main(["-C", str(root), "run", "--no-commit"]) == 0
    db = sqlite3.connect(root / ".newsmirror" / "index.sqlite")
    db.executescript("UPDATE story_state SET fingerprint = 12345; PRAGMA user_version=5;")
    db.close()
    # The story again under a new guid and link, a word changed: still the same story.
    again = body.replace("今日", "周二", 1)
    feed_server.serve(
        "/a.xml", rss(rss_item(2, title="外长会谈", body=again, link="https://e.org/x"))
    )
    assert main(["-C", str(root), "run", "--no-commit", "--force"]) == 0
    assert len(list((root / "articles").rglob("*.md"))) == 1
    with SqliteStore(root / ".newsmirror" / "index.sqlite") as store:
        (path,) = store.all_paths()
        (known,) = store.known_paths([path])
        assert known.state.fingerprint not in (None, 12345)
