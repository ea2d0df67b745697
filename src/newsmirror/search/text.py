"""Text as the search index sees it. Chinese has no spaces between words, so a run of CJK
characters is indexed as its overlapping pairs (bigrams: 美国总统 → 美国 国总 总统), which makes
the common two-character query an exact token and a longer one a phrase of pairs; Latin letters
and digits are indexed as lower-case words. Simplified and Traditional forms are folded to
Simplified (OpenCC) on both sides, so either spelling finds the other.
"""

from __future__ import annotations

import operator
import re
from dataclasses import dataclass

from newsmirror.clean.fingerprint import to_simplified

# CJK ideographs (with extension A and compatibility forms), kana and hangul: scripts without
# spaces between words; everything else that is a letter or digit forms words.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
_RUN = re.compile(rf"[{_CJK}]+|[^\W_{_CJK}]+")
_CJK_RUN = re.compile(rf"[{_CJK}]+")
_RUNS = re.compile(rf"([{_CJK}]+)|([^\W_{_CJK}]+)")  # (CJK run, other word): one is empty


def fold(text: str) -> str:
    """Simplified characters, lower case (the form both the index and queries use)."""
    return to_simplified(text).casefold()


def tokens(text: str) -> list[str]:
    """The index tokens of a text: CJK bigrams (a lone character stands for itself) and
    Latin words, in order."""
    return indexed(text).split()


def indexed(text: str) -> str:
    """A text as the index stores it: its tokens, space-separated."""
    parts = []
    for cjk, word in _RUNS.findall(fold(text)):
        if len(cjk) > 1:
            parts.append(" ".join(map(operator.add, cjk, cjk[1:])))  # (pairs at C speed)
        else:
            parts.append(cjk or word)
    return " ".join(parts)


@dataclass(frozen=True, slots=True)
class Parsed:
    """A query as an FTS5 expression, and the folded terms a snippet highlights."""

    expression: str
    terms: tuple[str, ...]


_PHRASE = re.compile(r'"([^"]*)"|(\S+)')


def parse_query(query: str) -> Parsed | None:
    """`美国` (a pair), `美国总统` (a phrase of pairs), `WHO 报告` (both), `"a phrase"`, and a
    Latin word matches as a prefix (`repo` finds report); None for a query with no word."""
    parts, terms = [], []
    for quoted, bare in _PHRASE.findall(query):
        text = quoted if quoted else bare
        words = tokens(text)
        if not words:
            continue
        terms += _RUN.findall(fold(text))
        if len(words) == 1 and not _CJK_RUN.fullmatch(words[0]):
            parts.append(f'"{words[0]}"' + ("" if quoted else "*"))
        elif len(words) == 1 and len(words[0]) == 1:
            parts.append(f'"{words[0]}"*')  # one character: any pair it starts
        else:
            parts.append('"' + " ".join(words) + '"')
    if not parts:
        return None
    return Parsed(" AND ".join(parts), tuple(dict.fromkeys(terms)))
