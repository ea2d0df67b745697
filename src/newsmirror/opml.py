"""OPML, the subscription lists feed readers import and export: reading any reader's export
(nested folders, `xmlUrl`/`htmlUrl`, titles with markup, duplicates) and writing the mirror's
sources as one."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from xml.sax.saxutils import quoteattr

from lxml import etree

from newsmirror.config import Site
from newsmirror.errors import NewsmirrorError

OPML_PATH = "sources.opml"
_TAGS = re.compile(r"<[^>]*>")


class OpmlError(NewsmirrorError):
    """A file that is not OPML newsmirror can read."""


@dataclass(frozen=True, slots=True)
class Subscription:
    """One feed of an OPML file: its title (plain text), feed URL, site URL and folders."""

    title: str
    xml_url: str
    html_url: str = ""
    folders: tuple[str, ...] = ()


def plain(text: str) -> str:
    """A title as text: markup removed, references decoded, white space collapsed."""
    for _ in range(2):  # a title escaped twice (`&amp;lt;b&amp;gt;`) is common in exports
        text = html.unescape(_TAGS.sub("", text))
    return " ".join(_TAGS.sub("", text).split())


def read(data: bytes, name: str = "OPML file") -> list[Subscription]:
    """Every feed outline of an OPML document, in order, nested folders flattened."""
    parser = etree.XMLParser(
        recover=True, resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise OpmlError(f"{name}: not XML: {exc}") from exc
    if root is None or etree.QName(root).localname.lower() != "opml":
        raise OpmlError(f"{name}: not an OPML document (no <opml> root element)")
    body = next((c for c in root if _local(c) == "body"), None)
    if body is None:
        raise OpmlError(f"{name}: an OPML document without a <body>")
    found: list[Subscription] = []
    _walk(body, (), found)
    return found


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname.lower() if isinstance(element.tag, str) else ""


def _attribute(element: etree._Element, name: str) -> str:
    for key, value in element.attrib.items():  # readers differ in case: xmlUrl, xmlurl
        if etree.QName(key).localname.lower() == name.lower():
            return value.strip()
    return ""


def _walk(parent: etree._Element, folders: tuple[str, ...], found: list[Subscription]) -> None:
    for outline in parent:
        if _local(outline) != "outline":
            continue
        title = plain(_attribute(outline, "title") or _attribute(outline, "text"))
        xml_url = _attribute(outline, "xmlUrl")
        if xml_url:
            found.append(Subscription(title, xml_url, _attribute(outline, "htmlUrl"), folders))
        _walk(outline, (*folders, title) if not xml_url and title else folders, found)


def render(sites: tuple[Site, ...], title: str) -> str:
    """The mirror's sources as OPML 2.0 (enabled sources with a feed URL)."""
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<opml version="2.0">',
        f"  <head><title>{html.escape(title, quote=False)}</title></head>",
        "  <body>",
    ]
    for site in sites:
        if site.enabled and site.url.startswith(("http://", "https://")):
            lines.append(
                f'    <outline type="rss" text={quoteattr(site.name)} title={quoteattr(site.name)}'
                f" xmlUrl={quoteattr(site.url)} newsmirrorSlug={quoteattr(site.slug)}/>"
            )
    lines += ["  </body>", "</opml>"]
    return "\n".join(lines) + "\n"
