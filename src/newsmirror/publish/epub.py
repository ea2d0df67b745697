"""A day's digest as an EPUB 3 book (`epub = true`): every article of the day with its full
text, grouped by site, and the pictures the mirror stores inside the book, so that it can be
read offline and passed around in a chat app. Bodies are made into valid XHTML: elements and
attributes EPUB 3 does not allow are dropped (their text kept), pictures the mirror does not
store become their alt text (a book may not load remote pictures), links go only to the web."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from lxml import etree, html

from newsmirror.config import Site
from newsmirror.records import Article

_NAMESPACE = uuid.UUID("4b1f3c8e-2a57-4f7e-9a1d-5c2e8b0d6f31")
_KEPT_TAGS = frozenset(
    {
        *("a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "dd", "del", "div"),
        *("dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr"),
        *("i", "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "samp", "small"),
        *("span", "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead"),
        *("tr", "u", "ul", "var"),
    }
)
_DROPPED_WITH_CONTENT = frozenset(
    ["script", "style", "iframe", "object", "embed", "video", "audio", "svg", "math"]
)
_KEPT_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt"}, "td": {"colspan", "rowspan"}}
_KEPT_ATTRIBUTES["th"] = _KEPT_ATTRIBUTES["td"]
_MEDIA_TYPES = {"jpg": "image/jpeg", "png": "image/png", "gif": "image/gif", "webp": "image/webp"}


@dataclass(frozen=True, slots=True)
class BookArticle:
    path: str  # the article file, relative to the mirror
    site: Site
    article: Article


def _clean(body: str, article_path: str, root: Path, pictures: dict[str, str]) -> str:
    """The body as XHTML fit for EPUB 3; stored pictures are added to `pictures`
    (asset path -> name in the book)."""
    try:
        tree = html.fragment_fromstring(body or "<p></p>", create_parent="div")
    except (etree.ParserError, ValueError):
        return "<div></div>"
    for element in list(tree.iter()):
        if element is tree or not isinstance(element.tag, str):
            continue
        tag = element.tag.lower()
        if tag in _DROPPED_WITH_CONTENT:
            element.drop_tree()
        elif tag == "img":
            _picture(element, article_path, root, pictures)
        elif tag not in _KEPT_TAGS:
            element.drop_tag()  # obsolete or unknown: its text stays
    for element in tree.iter():
        if not isinstance(element.tag, str):
            continue
        allowed = _KEPT_ATTRIBUTES.get(element.tag.lower(), set())
        for name in list(element.attrib):
            if name not in allowed:
                del element.attrib[name]
        href = element.get("href")
        if href is not None and not href.startswith(("http://", "https://", "mailto:")):
            del element.attrib["href"]  # a link within the mirror means nothing in a book
    for comment in tree.xpath("//comment()"):
        comment.drop_tree()
    return etree.tostring(tree, method="xml", encoding="unicode")


def _picture(element: html.HtmlElement, article_path: str, root: Path, pictures: dict) -> None:
    src = element.get("src", "")
    folder = article_path.rpartition("/")[0]
    asset = _resolve(folder, src) if src and "://" not in src else ""
    extension = asset.rpartition(".")[2].lower()
    if asset.startswith("assets/") and extension in _MEDIA_TYPES and (root / asset).is_file():
        name = pictures.setdefault(asset, f"images/{asset.rpartition('/')[2]}")
        element.set("src", name)
        element.set("alt", element.get("alt", ""))
        return
    alt = element.get("alt", "").strip()
    element.drop_tree() if not alt else _replace_with_text(element, f"[{alt}]")


def _replace_with_text(element: html.HtmlElement, text: str) -> None:
    span = html.Element("span")
    span.text = text
    span.tail = element.tail
    element.getparent().replace(element, span)


def _resolve(folder: str, link: str) -> str:
    parts = [p for p in folder.split("/") if p]
    for piece in link.split("/"):
        if piece == "..":
            if parts:
                parts.pop()
        elif piece and piece != ".":
            parts.append(piece)
    return "/".join(parts)


def build_epub(title: str, day: str, articles: Sequence[BookArticle], root: Path) -> bytes:
    """The EPUB of one day's articles (in the order given: by site, newest first)."""
    from ebooklib import epub  # imported here: only mirrors with `epub = true` need it

    book = epub.EpubBook()
    book.set_identifier(f"urn:uuid:{uuid.uuid5(_NAMESPACE, f'{title}/{day}')}")
    book.set_title(f"{title} {day}")
    book.set_language("zh")
    book.add_author("newsmirror")
    pictures: dict[str, str] = {}
    chapters = []
    sections: dict[str, list] = {}
    for n, item in enumerate(articles, 1):
        article = item.article
        body = _clean(article.body, item.path, root, pictures)
        heading = html.Element("h2")
        heading.text = _plain(article.title)
        source = ""
        if article.url.startswith(("http://", "https://")):
            link = html.Element("a", href=article.url)
            link.text = "原文 / original"
            source = f"<p>{_escape(item.site.name)} · {_xml(link)}</p>"
        name = _plain(article.title) or f"{n}"
        chapter = epub.EpubHtml(title=name, file_name=f"a{n:04d}.xhtml", lang="zh")
        chapter.content = (
            f"<html><head><title>{_escape(name)}</title></head><body>"
            f"{_xml(heading)}{source}{body}</body></html>"
        )
        book.add_item(chapter)
        chapters.append(chapter)
        sections.setdefault(item.site.name, []).append(chapter)
    for asset, name in pictures.items():
        extension = asset.rpartition(".")[2].lower()
        image = epub.EpubItem(
            uid=name.replace("/", "-").replace(".", "-"),
            file_name=name,
            media_type=_MEDIA_TYPES[extension],
            content=(root / asset).read_bytes(),
        )
        book.add_item(image)
    book.toc = [(epub.Section(site), items) for site, items in sections.items()]
    book.add_item(epub.EpubNcx())
    book.add_item(epub.EpubNav())
    book.spine = ["nav", *chapters]
    with tempfile.TemporaryDirectory() as temp:
        path = Path(temp) / "book.epub"
        epub.write_epub(str(path), book)
        return path.read_bytes()


def _xml(element: etree._Element) -> str:
    return etree.tostring(element, method="xml", encoding="unicode")


def _plain(title: str) -> str:
    from newsmirror.clean.titles import plain_title

    return plain_title(title)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
