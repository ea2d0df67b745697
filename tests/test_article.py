import hashlib
import os

import pytest

from conftest import shared_path
from newsmirror.errors import ArticleFormatError
from newsmirror.records import Article
from newsmirror.store.article import parse, parse_header, render


def test_render_is_the_documented_format():
    text = render(Article(1625525942000, "标题", "https://a.org/", "<p>x</p>"))
    assert text == "<!--1625525942000-->\n[标题](https://a.org/)\n------\n\n<p>x</p>\n"


def test_old_titles_with_brackets_and_newlines_round_trip():
    text = "<!--1-->\n[a [b]](c) d\n](https://a.org/x)\n------\n\nbody](x)\n------\n\n\n"
    article = parse(text)
    assert article.title == "a [b]](c) d\n"
    assert article.url == "https://a.org/x"
    assert render(article) == text


@pytest.mark.parametrize(
    "text",
    [
        "",
        "hello\n",
        "<!--x-->\n[a](b)\n------\n\nc\n",
        "<!--1-->\n[a](b)\n-----\n\nc\n",
        "<!--1-->\n[a](b)\n------\n\nno final newline",
    ],
)
def test_malformed_files_are_refused(text):
    with pytest.raises(ArticleFormatError):
        parse(text)


def test_header_is_read_from_the_start_of_a_file():
    text = render(Article(5, "t", "https://a.org/", "x" * 10000))
    assert parse_header(text[:100]) == (5, "t", "https://a.org/")
    assert parse_header(text[:20]) is None


def _corpus_articles():
    root = shared_path("corpus", "duty-machine-news", "articles")
    for folder, _, files in os.walk(root):
        for name in files:
            yield os.path.join(folder, name)


def test_every_corpus_article_round_trips_byte_for_byte():
    paths = list(_corpus_articles())
    assert len(paths) >= 29
    for path in paths:
        with open(path, "rb") as handle:
            data = handle.read()
        assert render(parse(data.decode("utf-8"))).encode("utf-8") == data, path


def test_the_seed_round_trips():
    seed = shared_path("seed", "000_bd7e773d7b869fe3.txt").read_bytes()
    article = parse(seed.decode())
    assert article.published_ms == 1625525942000
    assert render(article).encode() == seed
    assert hashlib.sha256(seed).hexdigest().startswith("42bc958b")
