"""Bodies that GitHub renders as the publisher's HTML, never as Markdown.

An article's body is one line. CommonMark (GitHub's Markdown) takes a line as raw HTML only
when it starts an HTML block: `<div`, `<p`, `<table` and the other block-level names, `<pre`,
`<script`, `<style`, `<textarea`, a comment, a processing instruction, a declaration or CDATA.
Any other line is a Markdown paragraph, where `~是~` is struck through, backticks make code and
`*exact*` loses its asterisks. So a body that does not start an HTML block is wrapped in a
`<div>`: in an HTML block, GitHub shows the HTML and nothing else. A body that starts one (the
old system's feedx bodies all start with `<div>`) is left byte for byte.
"""

from __future__ import annotations

import re

# CommonMark 0.31, HTML blocks, start conditions 1 to 6 (7, a lone complete tag, never holds
# for a body with anything after its first tag, and cannot be relied on).
_BLOCK_NAMES = (
    "address|article|aside|base|basefont|blockquote|body|caption|center|col|colgroup|dd"
    "|details|dialog|dir|div|dl|dt|fieldset|figcaption|figure|footer|form|frame|frameset"
    "|h1|h2|h3|h4|h5|h6|head|header|hr|html|iframe|legend|li|link|main|menu|menuitem|nav"
    "|noframes|ol|optgroup|option|p|param|search|section|summary|table|tbody|td|tfoot|th"
    "|thead|title|tr|track|ul"
)
_HTML_BLOCK_START = re.compile(
    r"<(?:(?:script|pre|style|textarea)(?=[ \t>]|$)"
    r"|!--|\?|![A-Za-z]|!\[CDATA\["
    rf"|/?(?:{_BLOCK_NAMES})(?=[ \t>]|/>|$))",
    re.IGNORECASE,
)


def starts_html_block(body: str) -> bool:
    return _HTML_BLOCK_START.match(body) is not None


def as_html_block(body: str) -> str:
    """`body` (one line) as a line GitHub reads as raw HTML."""
    if not body or starts_html_block(body):
        return body
    return f"<div>{body}</div>"
