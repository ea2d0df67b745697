"""The article file format, byte for byte (see docs/format.md of the project)."""

from __future__ import annotations

import re

from newsmirror.errors import ArticleFormatError
from newsmirror.records import Article

RULE = "------"
_HEADER_END = ")\n" + RULE + "\n\n"
_FIRST_LINE = re.compile(r"<!--(-?\d+)-->\n")


def render(article: Article) -> str:
    return (
        f"<!--{article.published_ms}-->\n"
        f"[{article.title}]({article.url})\n"
        f"{RULE}\n\n"
        f"{article.body}\n"
    )


def parse(text: str) -> Article:
    """Read an article file. Tolerates what the old system wrote: raw brackets and inner
    newlines in titles, so that `render(parse(text)) == text` for every file it wrote."""
    first = _FIRST_LINE.match(text)
    if not first:
        raise ArticleFormatError("first line is not <!--milliseconds-->")
    end = text.find(_HEADER_END, first.end())
    if end < 0 or not text.endswith("\n"):
        raise ArticleFormatError("no [title](url) line followed by ------ and a blank line")
    header = text[first.end() : end]
    split = header.rfind("](")
    if not header.startswith("[") or split < 0:
        raise ArticleFormatError("second line is not [title](url)")
    return Article(
        published_ms=int(first.group(1)),
        title=header[1:split],
        url=header[split + 2 :],
        body=text[end + len(_HEADER_END) : -1],
    )


def parse_header(head: str) -> tuple[int, str, str] | None:
    """(published ms, title, url) from the start of a file, or None if `head` is too short
    to hold the whole header. Lets the index read a few KB instead of whole files."""
    end = head.find(_HEADER_END)
    if end < 0:
        return None
    article = parse(head[: end + len(_HEADER_END)] + "\n")
    return article.published_ms, article.title, article.url
