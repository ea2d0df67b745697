"""An article's page turned into its body: the page's text decoded as feeds are (charset from
HTTP, then the page's own <meta>, checked against the bytes), the story taken out of it by the
source's CSS selector, else by trafilatura. What comes out is the publisher's HTML, still to be
cleaned and sanitized like any feed body."""

from __future__ import annotations

import re
from functools import lru_cache

from lxml import etree

from newsmirror.parse.decode import codec_name, decide, header_charset

HTML_TYPES = ("text/html", "application/xhtml+xml")
_META_CHARSET = re.compile(
    rb"""<meta[^>]+?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.IGNORECASE
)


def page_text(body: bytes, content_type: str = "") -> str:
    """The page as text: HTTP's charset, else its <meta charset>, else what `decide` finds
    (a BOM, UTF-8, detection); a label that does not decode the bytes is passed over."""
    if not header_charset(content_type):
        meta = _META_CHARSET.search(body[:8192])
        name = codec_name(meta.group(1).decode("ascii")) if meta else None
        if name:
            try:
                return body.decode(name)
            except UnicodeDecodeError:
                pass
    decision = decide(body, content_type)
    return body.decode(decision.encoding, errors="replace").removeprefix("\ufeff")


def extract(text: str, url: str, selector: str = "", removals: tuple[str, ...] = ()) -> str:
    """The story's HTML in the page: the first element `selector` matches (without what
    `removals` match), or trafilatura's reading of the page; "" when there is none."""
    if not text.strip():
        return ""
    if selector:
        return _by_selector(text, selector, removals)
    return _by_extractor(text, url, removals)


def _document(text: str):  # type: ignore[no-untyped-def]
    from lxml import html  # imported here: a pass that reads no page never needs it

    try:
        return html.document_fromstring(text, parser=_parser())
    except (etree.ParserError, ValueError):
        return None


@lru_cache(maxsize=1)
def _parser():  # type: ignore[no-untyped-def]
    """No network, no entities from DTDs, comments and processing instructions dropped."""
    from lxml import html

    return html.HTMLParser(no_network=True, remove_comments=True, remove_pis=True)


def _by_selector(text: str, selector: str, removals: tuple[str, ...]) -> str:
    document = _document(text)
    if document is None:
        return ""
    found = document.cssselect(selector)
    if not found:
        return ""
    element = found[0]
    _remove(element, removals)
    return _inner_html(element)


def _remove(element: etree._Element, removals: tuple[str, ...]) -> None:
    for removal in removals:
        for unwanted in element.cssselect(removal):
            if unwanted is not element:
                unwanted.drop_tree()


def _inner_html(element: etree._Element) -> str:
    parts = [_escaped(element.text)] if element.text else []
    parts += [etree.tostring(child, encoding="unicode", method="html") for child in element]
    return "".join(parts).strip()


def _escaped(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _by_extractor(text: str, url: str, removals: tuple[str, ...]) -> str:
    import trafilatura  # imported here: a mirror whose feeds give full text never needs it

    if removals:
        document = _document(text)
        if document is None:
            return ""
        _remove(document, removals)
        text = etree.tostring(document, encoding="unicode", method="html")
    extracted = trafilatura.extract(
        text,
        url=url,
        output_format="html",
        include_images=True,
        include_links=True,
        include_tables=True,
        include_comments=False,
        favor_precision=True,
        deduplicate=False,
    )
    if not extracted:
        return ""
    document = _document(extracted)
    if document is None:
        return ""
    body = document.find("body")
    return _inner_html(body if body is not None else document)
