"""Article bodies made harmless: no script, no active content, no script-bearing URLs.

Most publishers' HTML holds nothing that could run. A cheap pre-check (`needs_cleaning`) looks
for every construct that could possibly be dangerous, and deliberately finds more than that; a
body it passes is archived byte for byte. Only the bodies it flags are rebuilt by nh3 (ammonia
on html5ever, a browser-grade HTML parser) from a generous allowlist, so an archived body never
holds:

- elements that run or embed other documents (`REMOVED_WITH_CONTENT`: script, style, iframe,
  object, embed, svg, math...), whose content is dropped with them;
- `<noscript>` itself: its content is what a reader without script should see (publishers put
  the real image of a lazy-loaded picture there), so it is kept, as ordinary markup;
- form controls, document-level and unknown elements (form, input, base, meta, link...), whose
  tags are dropped while their text is kept;
- event-handler attributes (`on...`), or attributes outside the allowlist;
- a URL attribute whose value (as a browser reads it: entities decoded, surrounding spaces and
  controls stripped, tabs and newlines removed) has a scheme other than http, https or mailto,
  except raster `data:image/...` pictures;
- a style attribute with legacy script hooks (expression(), behavior, -moz-binding) or CSS
  escapes, comments and character references that could hide them.

The sanitizer keeps the text a browser shows. Before nh3 parses a flagged body, a pass over its
tags (`_keep_text`, only for bodies with tags that need it) drops the tags of elements that are
not HTML, outside real <svg>/<math>: nh3 drops the content of elements named like SVG or MathML
elements (`Nullable<int> a` would lose ` a`, `<path>` and `<text>` everything after them), where
a browser shows the text of an unknown element. The same pass leaves a plain link in place of an
embedded document (iframe, embed, object, frame) whose address is a web page's, and drops the
tags of an <object> that embeds nothing (a browser shows its content). nh3 still judges
everything that comes out of the pass.

Body text never becomes a Markdown link: `](` is written `]&#40;` in every body, flagged or not
(a browser shows the same text).
"""

from __future__ import annotations

import html
import re
from html.entities import html5 as _NAMED_REFERENCES

import nh3

from newsmirror.clean.limits import OpenElements, attributes, tags


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Elements kept as they are. Ordinary HTML text, lists, tables, media and structure; nothing
# that runs script, embeds another document, submits data, or parses its content as raw text.
SAFE_TAGS = _words(
    """a abbr acronym address area article aside audio b bdi bdo big blockquote br caption
    center cite code col colgroup data dd del details dfn div dl dt em figcaption figure font
    footer h1 h2 h3 h4 h5 h6 header hgroup hr i img ins kbd li main map mark nav ol p picture
    pre q rp rt rtc ruby s samp section small source span strike strong sub summary sup table
    tbody td tfoot th thead time tr track tt u ul var video wbr"""
)

# Elements removed together with everything inside them: their content is code, another
# document, or markup that would make no sense (or be dangerous) once the element is gone.
REMOVED_WITH_CONTENT = _words(
    """script style template iframe frame frameset noframes object embed applet noembed svg
    math textarea select datalist title xmp head"""
)

# Every element an HTML parser knows (current, obsolete, and parsed specially): the tags of
# any other element are dropped before nh3 parses the body, outside SVG and MathML content.
HTML_ELEMENTS = (
    SAFE_TAGS
    | REMOVED_WITH_CONTENT
    | _words(
        """base basefont bgsound body button canvas dialog dir fieldset form frame html image
        input isindex keygen label legend link listing marquee menu menuitem meta meter nobr
        noscript optgroup option output param plaintext portal progress rb search
        selectedcontent slot"""
    )
)
# Elements that embed another document, and the attribute naming it.
EMBEDS = {"iframe": "src", "embed": "src", "frame": "src", "object": "data"}

# Attributes kept on every allowed element (plus data-* and aria-*).
SAFE_ATTRIBUTES = _words(
    """abbr align alt axis bgcolor border cellpadding cellspacing char charoff cite class
    clear color colspan controls coords datetime decoding default dir face frame headers
    height hidden href hreflang id kind label lang loading loop media muted name nowrap open
    playsinline poster preload rel reversed role rowspan rules scope shape size sizes span src
    srclang srcset start style summary target title translate type usemap valign value
    width"""
)

# Attributes whose value a browser may load or follow as a URL.
URL_ATTRIBUTES = _words(
    """href src srcset poster cite background longdesc lowsrc dynsrc action formaction data
    codebase ping usemap xlink:href"""
)

SAFE_SCHEMES = frozenset({"http", "https", "mailto"})

# Raster pictures only: an SVG document can carry script.
_RASTER_DATA = re.compile(
    r"image/(?:png|gif|jpeg|jpg|pjpeg|webp|avif|apng|bmp|x-icon|vnd\.microsoft\.icon)[;,]",
    re.IGNORECASE | re.ASCII,
)
_SCHEME = re.compile(r"([a-zA-Z][a-zA-Z0-9+.-]*):")
_C0_AND_SPACE = "".join(map(chr, range(0x21)))
_TAB_NEWLINE = str.maketrans("", "", "\t\n\r")
_SRCSET_SPLIT = re.compile(r"[\t\n\f\r ]+")
_BAD_STYLE = re.compile(
    r"expression|behavior|binding|javascript|vbscript|@import|\\|/\*", re.IGNORECASE
)


def is_safe_url(value: str) -> bool:
    """Whether a URL attribute's (entity-decoded) value is safe, read as a browser reads it."""
    url = value.strip(_C0_AND_SPACE).translate(_TAB_NEWLINE)
    scheme = _SCHEME.match(url)
    if scheme is None:
        return True  # relative: it stays on the page's own scheme
    name = scheme.group(1).lower()
    if name in SAFE_SCHEMES:
        return True
    return name == "data" and _RASTER_DATA.match(url, scheme.end()) is not None


def is_safe_srcset(value: str) -> bool:
    """Every candidate URL of a srcset is safe (descriptors are harmless either way)."""
    return all(is_safe_url(token.strip(",")) for token in _SRCSET_SPLIT.split(value))


def is_safe_style(value: str) -> bool:
    return _BAD_STYLE.search(value) is None


# The pre-check: every construct that could be dangerous, and more; a body with none of them
# is left as it is. Each test starts with a literal character, which Python's regex engine finds
# fast (measured: a third of nh3's time on the same bodies).
_LINE_CONTROLS = ("\t", "\n", "\r")  # a URL parser ignores these inside a scheme
# References by number to a control, tab, newline, colon or letter (decimal 0-31, 58, 64-127;
# hex 00-1f, 3a, 40-7f), or by name (&fjlig; is the only named one producing letters).
_SCHEME_REFERENCES = re.compile(
    r"&#0*(?:[0-9]|[12][0-9]|3[01]|58|6[4-9]|[7-9][0-9]|1[01][0-9]|12[0-7])(?![0-9])"
    r"|&#[xX]0*(?:[01]?[0-9a-fA-F]|3[aA]|[4-7][0-9a-fA-F])(?![0-9a-fA-F])"
    r"|&(?:[tT][aA][bB]|[nN][eE][wW][lL][iI][nN][eE]|[cC][oO][lL][oO][nN]|[fF][jJ][lL][iI][gG])"
)
_PLAIN_SCHEMES = re.compile(r":(?:(?<=[sS][cC][rR][iI][pP][tT]:)|(?<=[dD][aA][tT][aA]:))")
# Read backwards, so that the search starts at a rare literal (`=`): an attribute named
# `on...` given a value, after white space, a slash or a quote.
_HANDLER_BACKWARDS = re.compile(r"=\s*[a-zA-Z]+[nN][oO](?=[\s/\"'])")
# Script hooks of retired browsers' CSS: expression( and behavior: (read backwards, from `(` and
# `:`), and -moz-binding.
_CSS_HOOK_BACKWARDS = (
    re.compile(r"\(\s*[nN][oO][iI][sS][sS][eE][rR][pP][xX][eE]"),
    re.compile(r":\s*[rR][oO][iI][vV][aA][hH][eE][bB]"),
)
_CSS_BINDING = re.compile(r"-[mM][oO][zZ]-[bB][iI][nN][dD]")
# A style attribute's value (quoted or not; an open quote runs to the end, so that each value is
# read once), in the body's UTF-8 with ASCII letters lowercased, as a tokenizer compares
# attribute names. A CSS escape, a comment or a character reference in it could spell a hook
# that the tests above do not see: `expressio\6e(`, `expression&lpar;`. The search starts at
# the literal `style` (fast), then checks what precedes it (white space, a slash or a quote).
_STYLE_VALUE = re.compile(
    r"(?<![^\t\n\f\r /\"'])[sS][tT][yY][lL][eE][\t\n\f\r ]*=[\t\n\f\r ]*"
    r"(?:\"([^\"]*+)(?:\"|\Z)|'([^']*+)(?:'|\Z)|([^\t\n\f\r >]*+))"
)
_HIDING = ("\\", "/*", "&")  # what could hide a hook in a style value
# A start or end tag's name, as an HTML tokenizer delimits it.
_TAG_NAME = re.compile(r"</?([a-zA-Z][^\t\n\f\r />]*)")


def needs_cleaning(body: str) -> bool:
    """Whether `body` holds anything that might be dangerous (false alarms are allowed)."""
    return (
        any(c in body for c in _LINE_CONTROLS)
        or ("&" in body and _SCHEME_REFERENCES.search(body) is not None)
        or (":" in body and _PLAIN_SCHEMES.search(body) is not None)
        or not _safe_tag_names(body)
        or _backwards_match(body[::-1])
        or _CSS_BINDING.search(body) is not None
        or _hidden_style(body)
    )


def _hidden_style(body: str) -> bool:
    # Cheap first: no escape, comment or reference anywhere, none in a style value either.
    # Attribute names match case-insensitively in ASCII only, as a tokenizer compares them.
    if not any(mark in body for mark in _HIDING):
        return False
    for m in _STYLE_VALUE.finditer(body):
        value = m.group(1) or m.group(2) or m.group(3) or ""
        if any(mark in value for mark in _HIDING):
            return True
    return False


def _backwards_match(reversed_body: str) -> bool:
    return _HANDLER_BACKWARDS.search(reversed_body) is not None or any(
        hook.search(reversed_body) is not None for hook in _CSS_HOOK_BACKWARDS
    )


def _safe_tag_names(body: str) -> bool:
    names = set(_TAG_NAME.findall(body))
    return names <= SAFE_TAGS or all(name.lower() in SAFE_TAGS for name in names)


def sanitize(body: str) -> str:
    """`body` without anything that could run; a body with nothing suspicious is unchanged
    (but for `](`, which is always written `]&#40;`).

    The result is one line when `body` is: line breaks the parser decoded from references
    (`&#10;` in a `<pre>`) are written as references again.
    """
    if not needs_cleaning(body):
        return _no_markdown_links(body)
    body = _NOSCRIPT_TAG.sub("", body)
    if _needs_tag_pass(body):
        body = _keep_text(body)
    cleaned = nh3.clean(
        body,
        tags=set(SAFE_TAGS),
        clean_content_tags=set(REMOVED_WITH_CONTENT),
        attributes={"*": set(SAFE_ATTRIBUTES)},
        generic_attribute_prefixes={"data-", "aria-"},
        attribute_filter=_filter_attribute,
        url_schemes=set(SAFE_SCHEMES) | {"data"},
        link_rel=None,
        strip_comments=True,
    )
    return _no_markdown_links(_one_line(cleaned))


def _no_markdown_links(body: str) -> str:
    """`](` written `]&#40;`: a Markdown renderer reading the body cannot make a link of it,
    and a browser shows the same text (or reads the same attribute value)."""
    return body.replace("](", "]&#40;") if "](" in body else body


def _needs_tag_pass(body: str) -> bool:
    """Whether `body` names an element that is not HTML, or an embedding one."""
    names = {name.lower() for name in set(_TAG_NAME.findall(body))}
    return not names <= HTML_ELEMENTS or not names.isdisjoint(EMBEDS)


def _keep_text(body: str) -> str:
    """`body` without the tags of elements that are not HTML and of <object>s that embed
    nothing (outside SVG and MathML content, which nh3 removes whole), and with a link in
    front of each embedded web page. The tags are read as nh3's parser reads them (see
    `limits.tags`); what the pass leaves is still for nh3 to judge."""
    model = OpenElements()
    out: list[str] = []
    copied = 0  # body[copied:] is still to be copied
    embeds: dict[int, bool] = {}  # the stack index of each open <object>: does it embed?
    for m in tags(body, model):
        name = m.group("name")
        if name is None or model.inside:
            continue
        name = name.lower()
        closing = bool(m.group("close"))
        drop = name not in HTML_ELEMENTS
        link = None
        if name == "object":
            if closing:
                drop = not embeds.pop(model.closed, False)  # it closed an empty one, or none
            else:
                data = attributes(m.group("attrs")).get("data", "")
                embeds[len(model.keys) - 1] = bool(data.strip(_C0_AND_SPACE))
                drop = not embeds[len(model.keys) - 1]
        if name in EMBEDS and not closing:
            link = _embed_link(attributes(m.group("attrs")), EMBEDS[name])
        if drop or link:
            out.append(body[copied : m.start()])
            if link:
                out.append(link)
            if not drop:
                out.append(m.group())
            copied = m.end()
    if not out:
        return body
    out.append(body[copied:])
    return "".join(out)


def _embed_link(attrs: dict[str, str], url_attribute: str) -> str | None:
    """A link to the document an element embeds, when it is a web page (http, https, or
    relative to the article); its text is the element's title, else the address."""
    url = _attribute_value(attrs.get(url_attribute, ""))
    url = url.strip(_C0_AND_SPACE).translate(_TAB_NEWLINE)
    scheme = _SCHEME.match(url)
    if not url or (scheme is not None and scheme.group(1).lower() not in ("http", "https")):
        return None
    text = _attribute_value(attrs.get("title", "")).strip() or url
    return f'<a href="{html.escape(url)}">{html.escape(text, quote=False)}</a>'


# A character reference, as the tokenizer reads one in an attribute value.
_REFERENCE = re.compile(r"&(?:#[0-9]+;?|#[xX][0-9a-fA-F]+;?|([a-zA-Z][a-zA-Z0-9]*;?))")


def _attribute_value(raw: str) -> str:
    """An attribute's value as a browser reads it, character references decoded."""
    return _REFERENCE.sub(_reference, raw) if "&" in raw else raw


def _reference(m: re.Match[str]) -> str:
    name = m.group(1)
    if name is None:
        return html.unescape(m.group())  # numeric
    if name in _NAMED_REFERENCES:  # with its semicolon, or a legacy one without
        after = m.string[m.end() : m.end() + 1]
        if name.endswith(";") or not (after == "=" or after.isalnum()):
            return _NAMED_REFERENCES[name]
        return m.group()
    # A legacy name without its semicolon, then more letters: in an attribute, not decoded.
    return m.group()


# Parsers read <noscript> content as raw text; without the tags it is read (and cleaned) as markup.
_NOSCRIPT_TAG = re.compile(r"</?noscript\b[^>]*>", re.IGNORECASE)


def _filter_attribute(tag: str, name: str, value: str) -> str | None:
    """nh3 checks the schemes of href and src itself; this covers every URL attribute,
    srcset's candidate list, the kinds of data: URL, and style."""
    if name == "srcset":
        return value if is_safe_srcset(value) else None
    if name in URL_ATTRIBUTES:
        return value if is_safe_url(value) else None
    if name == "style":
        return value if is_safe_style(value) else None
    return value


def _one_line(html: str) -> str:
    if "\n" in html or "\r" in html:
        return html.replace("\r", "&#13;").replace("\n", "&#10;")
    return html
