"""What a reader sees: the visible text of HTML as a browser builds it (html5lib), and of an
article body as GitHub renders it (cmarkgfm, GitHub's own Markdown engine, then the same)."""

from __future__ import annotations

import html5lib

# Content no reader sees in a browser (script, style...), or that the sanitizer removes with
# its element on purpose (documents inside documents, form controls, foreign content): left
# out on both sides of a comparison.
HIDDEN = frozenset(
    [
        "script",
        "style",
        "template",
        "iframe",
        "frame",
        "frameset",
        "noframes",
        "object",
        "embed",
        "applet",
        "noembed",
        "svg",
        "math",
        "textarea",
        "select",
        "datalist",
        "title",
        "xmp",
        "head",
    ]
)


EMBEDS = {"iframe": "src", "frame": "src", "embed": "src", "object": "data"}
_SCHEMES = ("http:", "https:", "//")


def visible_text(fragment: str, embeds_as_links: bool = False) -> str:
    """The text a browser shows for an HTML fragment, with all white space removed (line
    breaks and spacing legitimately differ between a feed's markup and a one-line body).
    `embeds_as_links`: an embedded document counts as the link an archive shows in its place
    (its title, else its address)."""
    root = html5lib.parseFragment(fragment, treebuilder="etree", namespaceHTMLElements=False)
    pieces: list[str] = []
    _walk(root, pieces, embeds_as_links)
    return "".join("".join(pieces).split())


def _walk(element, pieces: list[str], embeds: bool) -> None:  # type: ignore[no-untyped-def]
    is_element = isinstance(element.tag, str)  # not a comment
    name = element.tag.rpartition("}")[2].lower() if is_element else ""
    if embeds and name in EMBEDS:
        url = (element.get(EMBEDS[name]) or "").strip()
        if url and (url.lower().startswith(_SCHEMES) or ":" not in url.split("/")[0]):
            pieces.append(element.get("title") or url)
    if is_element and name not in HIDDEN and element.text:
        pieces.append(element.text)
    if name not in HIDDEN:
        for child in element:
            _walk(child, pieces, embeds)
    if element.tail:
        pieces.append(element.tail)


def github_html(markdown: str) -> str:
    """`markdown` as GitHub renders it (raw HTML kept, as GitHub does before its sanitizer)."""
    import cmarkgfm
    from cmarkgfm.cmark import Options

    return cmarkgfm.github_flavored_markdown_to_html(markdown, options=Options.CMARK_OPT_UNSAFE)


def visible_on_github(markdown: str) -> str:
    return visible_text(github_html(markdown))


def corpus_feeds(folder):  # type: ignore[no-untyped-def]
    """(path, parsed feed) for every feed file under `folder` that newsmirror can read (gzip
    files as a server would send them), in name order: the imported newsmirror parses them."""
    import gzip
    from pathlib import Path

    from newsmirror.errors import ParseError
    from newsmirror.parse import parse_feed

    for path in sorted(p for p in Path(folder).rglob("*") if p.is_file()):
        data = path.read_bytes()
        if data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
        try:
            yield path, parse_feed(data)
        except ParseError:
            continue
