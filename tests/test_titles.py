"""Titles: read as a reader's browser would, written so that GitHub shows exactly that."""

from __future__ import annotations

import string

from hypothesis import given
from hypothesis import strategies as st

from newsmirror.clean.titles import clean_title, markdown_title, title_text
from visible import visible_on_github


def test_the_old_rules_hold():
    assert clean_title("  客座评论： 自由主义的哀歌\n") == "客座评论： 自由主义的哀歌"
    assert clean_title("one\ntwo\r\n three") == "one two three"
    assert clean_title("a [b] c\\") == "a \\[b\\] c\\\\"
    assert clean_title("tab\tinside\u00a0kept") == "tab\tinside\u00a0kept"
    assert clean_title("nul\x00 gone") == "nul gone"
    assert clean_title("a <b") == "a &lt;b"


def test_what_markdown_would_reinterpret_is_escaped():
    assert clean_title("&#x27; can be used instead of \\' escape") == (
        "\\&#x27; can be used instead of \\\\' escape"
    )
    assert clean_title("Prices: $5 to $10, *stars*, _under_ and 1~2月") == (
        "Prices: \\$5 to \\$10, \\*stars\\*, \\_under\\_ and 1\\~2月"
    )
    assert clean_title("`code` AT&T") == "\\`code\\` AT&T"  # a bare & is no reference


def test_an_html_title_is_read_as_html():
    raw = "Victorian (oakland) &#x0024;4300 3bd 1930ft<sup>2</sup>"
    assert title_text(raw) == "Victorian (oakland) $4300 3bd 1930ft²"
    assert title_text("H<sub>2</sub>O <b>now</b>") == "H₂O now"
    assert title_text("<i>Breaking</i>:<br>news") == "Breaking: news"
    # Not markup: words in angle brackets of a plain-text title stay as written.
    assert title_text("Nullable<int> in C#") == "Nullable<int> in C#"


_TEXT = st.text(
    alphabet=st.sampled_from(string.ascii_letters + string.punctuation + " 中文 "), max_size=40
)


@given(_TEXT)
def test_github_shows_every_title_as_written(text):
    """Whatever a title holds, GitHub's rendering of `[title](url)` shows its text exactly."""
    title = title_text(text)
    shown = visible_on_github(f"[{markdown_title(title)}](https://example.org/)")
    assert shown == "".join(title.split())


def test_plain_title_undoes_the_markdown_escaping():
    from hypothesis import given
    from hypothesis import strategies as st

    from newsmirror.clean.titles import markdown_title, plain_title

    @given(st.text(alphabet="ab [ ]*_`~$<&\\#;lt中", max_size=30))
    def round_trip(text: str) -> None:
        assert plain_title(markdown_title(text)) == text

    round_trip()
