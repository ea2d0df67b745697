"""RSS 0.9x/1.0/2.0 and Atom 1.0 (and 0.3) read with lxml: the fast path."""

from __future__ import annotations

import copy
import html
import re
from collections.abc import Callable, Iterable

from lxml import etree

from newsmirror.errors import ParseError
from newsmirror.parse.dates import read_date
from newsmirror.parse.repair import has_doctype, repair
from newsmirror.records import FeedEntry, ParsedFeed

ATOM = "http://www.w3.org/2005/Atom"
ATOM03 = "http://purl.org/atom/ns#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
CONTENT_ENCODED = "{http://purl.org/rss/1.0/modules/content/}encoded"
DC_DATE = "{http://purl.org/dc/elements/1.1/}date"
DC_SUBJECT = "{http://purl.org/dc/elements/1.1/}subject"
XHTML = "http://www.w3.org/1999/xhtml"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
DC_LANGUAGE = "{http://purl.org/dc/elements/1.1/}language"
FEEDBURNER_ORIGLINK = "{http://rssnamespace.org/feedburner/ext/1.0}origLink"
MEDIA = "{http://search.yahoo.com/mrss/}"
# Namespaced RSS: 1.0, 0.90, and the UserLand namespace some RSS 2.0 feeds put on everything.
_RSS_NAMESPACES = (
    "{http://purl.org/rss/1.0/}",
    "{http://my.netscape.com/rdf/simple/0.9/}",
    "{http://backend.userland.com/rss2}",
    "{http://backend.userland.com/rss}",
)
_TAGS = re.compile(r"<[^>]*>")


def _parser(recover: bool) -> etree.XMLParser:
    # No entity expansion, no DTD loading, no network: hostile documents stay inert.
    return etree.XMLParser(
        recover=recover,
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        remove_comments=True,
        remove_pis=True,
        huge_tree=False,
    )


_STRICT = _parser(recover=False)
_RECOVER = _parser(recover=True)


def parse_strict(data: bytes) -> ParsedFeed | None:
    """The fast path: a well-formed document read as it is; None when it is not well-formed."""
    try:
        root = etree.fromstring(data, _STRICT)
    except etree.XMLSyntaxError:
        return None
    return _read(root, recovered=False)


def parse_xml(data: bytes) -> ParsedFeed:
    """Parse UTF-8 (or self-describing) XML strictly; on a syntax error, mend the usual faults
    and parse again, and let libxml2 recover what is still broken."""
    recovered = False
    if has_doctype(data):
        # With an external DTD that is never loaded, HTML entity names are not errors but
        # unexpanded references: turn them into characters first.
        data = repair(data)
    try:
        root = etree.fromstring(data, _STRICT)
    except etree.XMLSyntaxError:
        recovered = True
        root = _parse_mended(data)
    return _read(root, recovered)


def _read(root: etree._Element | None, recovered: bool) -> ParsedFeed:
    if root is None:
        raise ParseError("empty document")
    reader = _reader_for(root)
    if reader is None:
        raise ParseError(f"not a feed: the document is <{_local(root.tag)}>", kind="not_a_feed")
    fmt, entries = reader(root)
    return ParsedFeed(
        format=fmt, entries=tuple(entries), recovered=recovered, language=_language(root)
    )


def _language(root: etree._Element) -> str:
    """The language a feed declares: RSS <language> (or dc:language) in its channel, else
    xml:lang on the root (Atom)."""
    for channel in (root, *root.iterchildren()):
        for child in channel.iterchildren():
            if _local(child.tag) == "language" or child.tag == DC_LANGUAGE:
                return _text(child).strip()
        if channel is not root and _local(channel.tag) == "channel":
            break
    return (root.get(XML_LANG) or "").strip()


def _parse_mended(data: bytes) -> etree._Element | None:
    mended = repair(data)
    try:
        return etree.fromstring(mended, _STRICT)
    except etree.XMLSyntaxError:
        pass
    try:
        return etree.fromstring(mended, _RECOVER)
    except etree.XMLSyntaxError as exc:
        raise ParseError(f"not well-formed XML: {exc}") from exc


def _reader_for(root: etree._Element) -> Callable | None:
    tag = root.tag if isinstance(root.tag, str) else ""
    if tag in (f"{{{ATOM}}}feed", f"{{{ATOM03}}}feed"):
        return _atom
    if tag == "rss" or tag == f"{{{RDF}}}RDF" or _local(tag) in ("rss", "RDF"):
        return _rss
    return None


def _has_xml_base(root: etree._Element) -> bool:
    """Whether any element sets xml:base (looking up an element's base is not free)."""
    return root.xpath("boolean(//@xml:base)")  # type: ignore[return-value]


def _has_media(root: etree._Element) -> bool:
    """Whether any element is Media RSS (most feeds have none: their items skip the search)."""
    return root.xpath(f"boolean(//*[namespace-uri()='{MEDIA[1:-1]}'])")  # type: ignore[return-value]


def _local(tag: object) -> str:
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _text(element: etree._Element | None) -> str:
    if element is None:
        return ""
    return element.text or "" if len(element) == 0 else "".join(element.itertext())


# --- RSS ---------------------------------------------------------------------------------


def _rss(root: etree._Element) -> tuple[str, Iterable[FeedEntry]]:
    version = root.get("version", "")
    fmt = f"rss{version}" if _local(root.tag) == "rss" else "rss1.0"
    items = root.iter("{*}item")  # an item in any namespace, or none (lxml's wildcard)
    with_base, with_media = _has_xml_base(root), _has_media(root)
    return fmt, [_rss_item(item, with_base, with_media) for item in items]


def _rss_field_table() -> dict[str, str]:
    """Element tag → the field it fills, for every spelling RSS 0.9x/1.0/2.0 items use."""
    table = {CONTENT_ENCODED: "content", DC_DATE: "date", DC_SUBJECT: "category"}
    for prefix in ("", *_RSS_NAMESPACES):
        for name in ("title", "link", "guid", "description", "category"):
            table[prefix + name] = name
        table[prefix + "pubDate"] = "date"
    for name in ("published", "updated"):
        table[f"{{{ATOM}}}{name}"] = "date"
    table[f"{{{ATOM}}}link"] = "atom_link"
    table[FEEDBURNER_ORIGLINK] = "origlink"
    return table


_RSS_FIELDS = _rss_field_table()


def _rss_item(item: etree._Element, with_base: bool, with_media: bool = True) -> FeedEntry:
    fields: dict[str, str] = {}
    categories: list[str] = []
    permalink = "true"
    for child in item:
        field = _RSS_FIELDS.get(child.tag)  # type: ignore[arg-type]
        if field is None or field in fields:
            continue  # unknown element, or a repeat: the first one counts
        if field == "category":
            categories.append(_text(child).strip())
        elif field == "atom_link":
            if child.get("rel", "alternate") == "alternate" and child.get("href"):
                fields[field] = child.get("href", "")
        else:
            fields[field] = _text(child)
            if field == "guid":
                permalink = child.get("isPermaLink", "true")
    guid = fields.get("guid", "").strip() or item.get(f"{{{RDF}}}about", "")
    link = fields.get("link", "").strip() or fields.get("atom_link", "")
    if not link and permalink.lower() != "false":
        link = guid if guid.startswith(("http://", "https://")) else ""
    date = read_date(fields.get("date"))
    content, description = fields.get("content", ""), fields.get("description", "")
    if not content.strip():
        content, description = description, ""
    return FeedEntry(
        title=fields.get("title", ""),
        link=link,
        guid=guid,
        published_ms=date.ms if date else None,
        content=content,
        categories=tuple(categories),
        base=(item.base or "") if with_base else "",
        other_bodies=(description,) if description.strip() else (),
        media_body=_media_body(item) if with_media else "",
        original_link=fields.get("origlink", "").strip(),
        zoned=date.zoned if date else True,
    )


def _media_body(element: etree._Element) -> str:
    """A body made of Media RSS fields (YouTube and podcast feeds have nothing else): the
    thumbnail, then media:description (plain text unless it says it is HTML)."""
    description: etree._Element | None = None
    thumbnail = ""
    for node in element.iter(f"{MEDIA}description", f"{MEDIA}thumbnail"):
        if node.tag == f"{MEDIA}thumbnail":
            thumbnail = thumbnail or node.get("url", "").strip()
        elif description is None:
            description = node
    text = _text(description).strip() if description is not None else ""
    if not text and not thumbnail:
        return ""
    parts = []
    if thumbnail:
        parts.append(f'<p><img src="{html.escape(thumbnail)}" alt=""></p>')
    if text:
        if description is not None and description.get("type", "plain").lower() == "html":
            parts.append(text)
        else:
            paragraphs = html.escape(text, quote=False).replace("\n", "<br>")
            parts.append(f"<p>{paragraphs}</p>")
    return "".join(parts)


# --- Atom --------------------------------------------------------------------------------


def _atom(root: etree._Element) -> tuple[str, Iterable[FeedEntry]]:
    ns = root.tag[1:].partition("}")[0]
    fmt = "atom1.0" if ns == ATOM else "atom0.3"
    with_base, with_media = _has_xml_base(root), _has_media(root)
    entries = root.iter(f"{{{ns}}}entry")
    return fmt, [_atom_entry(entry, ns, with_base, with_media) for entry in entries]


def _atom_entry(
    entry: etree._Element, ns: str, with_base: bool, with_media: bool = True
) -> FeedEntry:
    dates: dict[str, str] = {}
    link = content = summary = title = guid = original = ""
    categories: list[str] = []
    for child in entry:
        if child.tag == FEEDBURNER_ORIGLINK:
            original = original or _text(child).strip()
        if not isinstance(child.tag, str) or not child.tag.startswith(f"{{{ns}}}"):
            continue
        local = _local(child.tag)
        if local == "link":
            if child.get("rel", "alternate") == "alternate" and not link:
                link = child.get("href", "")
        elif local == "title":
            title = _atom_text(child, plain=True)
        elif local == "id":
            guid = _text(child).strip()
        elif local == "content":
            content = _atom_text(child)
        elif local == "summary":
            summary = _atom_text(child)
        elif local == "category":
            categories.append(child.get("term") or child.get("label") or "")
        elif local in ("published", "issued", "updated", "modified"):
            dates[local] = _text(child)
    published = next(
        (dates[k] for k in ("published", "issued", "updated", "modified") if k in dates), None
    )
    date = read_date(published)
    if not content.strip():
        content, summary = summary, ""
    return FeedEntry(
        title=title,
        link=link,
        guid=guid,
        published_ms=date.ms if date else None,
        content=content,
        categories=tuple(categories),
        base=(entry.base or "") if with_base else "",
        other_bodies=(summary,) if summary.strip() else (),
        media_body=_media_body(entry) if with_media else "",
        original_link=original,
        zoned=date.zoned if date else True,
    )


def _atom_text(element: etree._Element, plain: bool = False) -> str:
    """The text of an Atom text construct, as HTML (or as plain text for titles)."""
    kind = element.get("type", "text").lower()
    if kind in ("xhtml", "application/xhtml+xml"):
        markup = _xhtml_inner(element)
        return html.unescape(_TAGS.sub("", markup)) if plain else markup
    text = _text(element)
    if kind in ("html", "text/html"):
        return html.unescape(_TAGS.sub("", text)) if plain else text
    return text if plain else html.escape(text, quote=False)


def _xhtml_inner(element: etree._Element) -> str:
    """The markup inside an xhtml construct's wrapping <div>, without namespace noise."""
    holder = next((c for c in element if _local(c.tag) == "div"), element)
    pieces = [html.escape(holder.text or "", quote=False)]
    for child in holder:
        clone = copy.deepcopy(child)
        clone.tail = None
        for node in clone.iter():
            if isinstance(node.tag, str) and node.tag.startswith(f"{{{XHTML}}}"):
                node.tag = _local(node.tag)
        etree.cleanup_namespaces(clone)
        pieces.append(etree.tostring(clone, encoding="unicode"))
        pieces.append(html.escape(child.tail or "", quote=False))
    return "".join(pieces)
