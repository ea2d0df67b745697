"""Hostile bodies come out harmless, as a browser-grade HTML parser (html5lib) reads them;
safe bodies come out byte for byte."""

from __future__ import annotations

import re
from collections.abc import Iterator

import html5lib
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import shared_path
from newsmirror.clean.entry import clean_body
from newsmirror.clean.sanitize import needs_cleaning, sanitize
from newsmirror.clean.text import one_line_body
from newsmirror.store.article import parse

# What must never reach a reader, judged independently of the sanitizer's own tables.
FORBIDDEN = {
    "script", "style", "iframe", "frame", "frameset", "object", "embed", "applet", "form",
    "input", "button", "select", "textarea", "base", "meta", "link", "svg", "math", "template",
    "noscript", "noembed", "noframes", "portal", "param", "keygen", "isindex", "xmp",
    "plaintext", "title",
}  # fmt: skip
URL_ATTRS = {
    "href", "src", "srcset", "poster", "action", "formaction", "background", "cite",
    "longdesc", "lowsrc", "dynsrc", "data", "codebase", "ping", "xlink:href",
}  # fmt: skip
RASTER = re.compile(r"data:image/(png|gif|jpe?g|webp|avif|apng|bmp|x-icon)[;,]", re.I)


def browser_url(value: str) -> str:
    """A URL attribute's value as the WHATWG URL parser sees it (entities already decoded)."""
    value = value.strip("".join(map(chr, range(0x21))))
    return re.sub("[\t\n\r]", "", value)


def url_is_harmful(value: str) -> bool:
    url = browser_url(value).lower()
    if url.startswith(("javascript:", "vbscript:")):
        return True
    return url.startswith("data:") and not RASTER.match(url)


def dangers(body: str) -> Iterator[str]:
    """Everything dangerous html5lib finds in `body`, read as a fragment of a page."""
    fragment = html5lib.parseFragment(body, treebuilder="etree", namespaceHTMLElements=False)
    for element in fragment.iter():
        if not isinstance(element.tag, str):
            continue  # a comment
        name = element.tag.rpartition("}")[2].lower()
        if "}" in element.tag or name in FORBIDDEN:
            yield f"element {element.tag}"
        for attr, value in element.attrib.items():
            attr = attr.rpartition("}")[2].lower() if "}" not in attr else "xlink:href"
            if attr.startswith("on"):
                yield f"handler {attr}"
            elif attr == "srcset":  # candidates are split at white space before URL parsing
                urls = (t.strip(",") for t in re.split(r"[\t\n\f\r ]+", value))
                if any(map(url_is_harmful, urls)):
                    yield f"srcset {value!r}"
            elif attr in URL_ATTRS and url_is_harmful(value):
                yield f"url {attr}={value!r}"
            elif attr == "style" and re.search(r"expression|javascript|behavior", value, re.I):
                yield f"style {value!r}"


def harmless(body: str) -> bool:
    return not list(dangers(body))


# --- hostile input, built from pieces ---

SCHEME_WORDS = ["javascript", "vbscript", "data"]
PAYLOADS = {
    "javascript": ["alert(1)", "alert(document.domain)//"],
    "vbscript": ["msgbox(1)"],
    "data": [
        "text/html,<script>alert(1)</script>",
        "text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
        "image/svg+xml,<svg onload=alert(1)>",
        "image/png;base64,iVBORw0KGgo=",
        "application/javascript,alert(1)",
    ],
}


@st.composite
def obfuscated_char(draw: st.DrawFn, char: str) -> str:
    form = draw(st.sampled_from(["plain", "upper", "dec", "hex", "dec0", "nosemi"]))
    code = ord(char)
    return {
        "plain": char,
        "upper": char.upper(),
        "dec": f"&#{code};",
        "hex": f"&#x{code:x};",
        "dec0": f"&#000{code};",
        "nosemi": f"&#{code}",
    }[form]


@st.composite
def hostile_url(draw: st.DrawFn, raw_controls: bool = True) -> str:
    """A javascript:, vbscript: or data: URL, its characters maybe written as references,
    with tabs and newlines (raw ones only if `raw_controls`) inside the scheme."""
    word = draw(st.sampled_from(SCHEME_WORDS))
    lead = ["", " ", "&#32;", "&#x09;", "&#0;"] + (["\x01", "\t", "\x00"] if raw_controls else [])
    inner = ["", "", "", "&Tab;", "&NewLine;", "&#10;"] + (
        ["\t", "\n", "\r"] if raw_controls else []
    )
    out = [draw(st.sampled_from(lead))]
    for char in word:
        out.append(draw(obfuscated_char(char)))
        out.append(draw(st.sampled_from(inner)))
    out.append(draw(st.sampled_from([":", ":", "&colon;", "&#58;", "&#x3A;", "&#X3a"])))
    out.append(draw(st.sampled_from(PAYLOADS[word])).replace('"', "&quot;"))
    return "".join(out)


URL_NAMES = ["href", "HREF", "src", "srcset", "poster", "background", "action", "formaction"]
HANDLERS = ["onclick", "ONERROR", "onMouseOver", "onload", "onfocus"]
TAGS = ["a", "img", "video", "table", "td", "div", "p", "area", "source", "button", "body"]


@st.composite
def hostile_tag(draw: st.DrawFn) -> str:
    tag = draw(st.sampled_from(TAGS))
    attrs = []
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["url", "handler", "style", "srcset"]))
        if kind == "url":
            name, value = draw(st.sampled_from(URL_NAMES)), draw(hostile_url())
        elif kind == "srcset":
            name, value = "srcset", f"a.png 1x, {draw(hostile_url())} 2x"
        elif kind == "handler":
            name, value = draw(st.sampled_from(HANDLERS)), "alert(1)"
        else:
            name, value = "style", "width: expression(alert(1))"
        quote = draw(st.sampled_from(['"', "'", ""]))
        if not quote and re.search(r"[\s\"'>=`<]", value):
            quote = '"'
        value = value.replace(quote, "&quot;" if quote == '"' else "&#39;") if quote else value
        sep = draw(st.sampled_from([" ", "/", "\t", "\n", " \n "]))
        attrs.append(f"{sep}{name}={quote}{value}{quote}")
    return f"<{tag}{''.join(attrs)}>x</{tag}>"


FORBIDDEN_PIECES = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<scr\nipt>alert(1)</scr\nipt>",
    "<style>body{background:url(javascript:alert(1))}</style>",
    '<iframe src="https://evil.example/" srcdoc="<script>alert(1)</script>"></iframe>',
    "<svg onload=alert(1)><script>alert(1)</script></svg>",
    '<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>',
    '<math><maction actiontype="statusline" xlink:href="javascript:alert(1)">x</maction></math>',
    '<object data="javascript:alert(1)"></object><embed src="javascript:alert(1)">',
    '<form action="javascript:alert(1)"><input type=submit><button formaction=x>b</button></form>',
    '<base href="javascript:alert(1)//"><meta http-equiv="refresh" content="0;url=x">',
    '<link rel="stylesheet" href="https://evil.example/x.css">',
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></p></noscript>',
    "<template><script>alert(1)</script></template>",
    "<frameset><frame src=javascript:alert(1)></frameset>",
    "<applet code=X></applet><textarea><script>x</script></textarea>",
    '<img src=x onerror="alert(1)">',
    "<a/onclick=alert(1)>x</a>",
    '<a href="x"onclick="alert(1)">x</a>',
    '<p style="behavior: url(x.htc); width: expression(alert(1))">x</p>',
    "<!--<script>alert(1)</script>--><!-- --!><img src=x onerror=alert(1)> -->",
    "<xmp><script>alert(1)</script></xmp>",
]
SAFE_PIECES = [
    "<p>",
    "</p>",
    "<div>",
    "</div>",
    "据路透社从杜尚别报道，",
    "The library says twenty thousand readers. ",
    '<a href="https://example.org/a?b=1&amp;c=2">link</a>',
    '<img src="https://images.weserv.nl?url=gdb.voanews.com/x.jpg" width="100%">',
    '<small style="color: #999;">图片说明</small>',
    "<br>",
    "<hr />",
    "&amp; &lt;b&gt; &nbsp; &#8217; &#39; &quot;",
    "<strong>“无处可走”</strong>",
    '<blockquote class="twitter-tweet"><p lang="zh" dir="ltr">引文</p></blockquote>',
    '<table><tbody><tr><td colspan="2">表</td></tr></tbody></table>',
    '<video controls poster="https://example.org/p.jpg"><source src="https://e.org/v.mp4"></video>',
    "<ul><li>one</li><li>two</li></ul>",
    "<!-- a comment -->",
    "1 < 2 and 3 > 2, x=y: on the data table",
    "<figure><figcaption>說明</figcaption></figure>",
]

hostile_piece = st.one_of(st.sampled_from(FORBIDDEN_PIECES), hostile_tag())
any_piece = st.one_of(st.sampled_from(SAFE_PIECES), hostile_piece)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(any_piece, min_size=1, max_size=8))
def test_sanitized_bodies_are_harmless_and_one_line(pieces: list[str]) -> None:
    body = "".join(pieces)
    out = sanitize(one_line_body(body))
    assert harmless(out), list(dangers(out))
    assert "\n" not in out and "\r" not in out


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(hostile_piece, min_size=1, max_size=4))
def test_the_pre_check_flags_everything_a_browser_would_find_dangerous(pieces: list[str]) -> None:
    body = "".join(pieces)
    if not harmless(body):
        assert needs_cleaning(body)
    joined = one_line_body(body)
    if not harmless(joined):
        assert needs_cleaning(joined)


@st.composite
def one_dangerous_attribute(draw: st.DrawFn) -> str:
    """A safe tag with a single hostile URL attribute and nothing else to give it away."""
    tag = draw(st.sampled_from(["a", "img", "video", "source", "td", "area", "div"]))
    name = draw(st.sampled_from(["href", "SRC", "poster", "background", "srcset", "cite"]))
    value = draw(hostile_url(raw_controls=False)).replace('"', "&quot;")
    return f'<{tag} {name}="{value}">x</{tag}>'


@settings(max_examples=1000, deadline=None)
@given(one_dangerous_attribute())
def test_the_pre_check_sees_through_references(body: str) -> None:
    if not harmless(body):
        assert needs_cleaning(body)
    assert harmless(sanitize(body))


# Random strings over the characters that matter, looking for holes in the pre-check.
ALPHABET = "<>/\"'= \t\n&#;:xXjavscriptdonlkrfJAVSCRIPTDO0123456789-("


@settings(max_examples=3000, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.text(ALPHABET, max_size=6),
            st.sampled_from(["<a href=", "<img src=", " onclick=", "javascript:", "&#106;", "<"]),
        ),
        max_size=12,
    )
)
def test_random_markup_never_slips_past(parts: list[str]) -> None:
    body = "".join(parts)
    if not harmless(body):
        assert needs_cleaning(body), list(dangers(body))
    assert harmless(sanitize(body))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(SAFE_PIECES), max_size=12))
def test_safe_bodies_come_out_byte_for_byte(pieces: list[str]) -> None:
    body = "".join(pieces)
    assert not needs_cleaning(body)
    assert sanitize(body) == body


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('<a href="jav&#x61;script:alert(1)">x</a>', "<a>x</a>"),
        ('<a href="&#106;avascript:alert(1)">x</a>', "<a>x</a>"),
        ('<a href="java\tscript:alert(1)">x</a>', "<a>x</a>"),
        ('<a href=" \x01JAVASCRIPT:alert(1)">x</a>', "<a>x</a>"),
        ('<a href="javascript&colon;alert(1)">x</a>', "<a>x</a>"),
        ('<a href="vbscript:msgbox(1)">x</a>', "<a>x</a>"),
        ('<a href="data:text/html,<script>alert(1)</script>">x</a>', "<a>x</a>"),
        ('<img src="data:image/svg+xml;base64,PHN2Zz4=">', "<img>"),
        ('<img src="data:image/png;base64,iVBO">', '<img src="data:image/png;base64,iVBO">'),
        ('<img src="a.png" srcset="a.png 1x, javascript:alert(1) 2x">', '<img src="a.png">'),
        ('<p onclick="x()" class="c">t</p>', '<p class="c">t</p>'),
        ("<div><script>alert(1)</script>text</div>", "<div>text</div>"),
        ("<p>a<iframe src=https://e.org/>inner</iframe>b</p>", "<p>ab</p>"),
        ('<form action="/x"><input name="q"><button>Go</button></form>', "Go"),
        ("<custom-el>kept text</custom-el>", "kept text"),
        ("<pre>a&#10;b</pre><script>x</script>", "<pre>a&#10;b</pre>"),
        ('<a href="mailto:a@b.org">m</a><svg></svg>', '<a href="mailto:a@b.org">m</a>'),
        ('<p style="width: expression(alert(1))">t</p>', "<p>t</p>"),
    ],
)
def test_known_attacks(body: str, expected: str) -> None:
    assert sanitize(body) == expected


def test_noscript_content_is_kept_as_markup_and_the_svg_placeholder_dropped() -> None:
    # WordPress lazy loading: the real picture is in <noscript>, the <img> shows an SVG.
    body = (
        '<noscript><img src="https://e.org/real.jpg" alt=""></noscript>'
        '<img class="lazyload" src="data:image/svg+xml,%3Csvg%3E%3C/svg%3E" '
        'data-src="https://e.org/real.jpg">'
    )
    assert sanitize(body) == (
        '<img src="https://e.org/real.jpg" alt="">'
        '<img class="lazyload" data-src="https://e.org/real.jpg">'
    )


def test_lines_are_joined_before_sanitizing_and_the_body_stays_one_line() -> None:
    # Sanitizing sees the joined line, as a reader's browser will.
    out = clean_body("<scr\nipt>alert(1)</scr\nipt><p>正文</p>", "https://e.org/")
    assert harmless(out) and out.endswith("<p>正文</p>")
    # A line break of a <pre> survives sanitizing as a reference, not as a line break.
    out = clean_body("<pre>a\n  b</pre>\n<script>x</script>", "https://e.org/")
    assert out == "<pre>a&#10;  b</pre>"


def test_the_seed_body_is_untouched() -> None:
    seed = shared_path("seed", "000_bd7e773d7b869fe3.txt").read_text(encoding="utf-8")
    body = parse(seed).body
    assert not needs_cleaning(body)
    assert clean_body(body, "https://www.voachinese.com/") == body


# Bodies of the old archive holding third-party script or embeds: a Twitter widget <script>,
# WordPress <iframe> embeds, a lazy-load <noscript> picture, an unknown `<divclass=...>` tag.
def has_active_content(name: str) -> bool:
    return name == "0.md" or name.startswith("1047067_") or name.endswith("寻衅滋事（一）.md")


def _archive_bodies() -> list[tuple[str, str]]:
    root = shared_path("corpus", "duty-machine-news", "articles")
    files = sorted(root.rglob("*.md"))
    return [(p.name, parse(p.read_text(encoding="utf-8")).body) for p in files]


def test_real_archive_bodies_pass_unchanged() -> None:
    bodies = _archive_bodies()
    plain = [(n, b) for n, b in bodies if not has_active_content(n)]
    assert len(plain) >= 26
    for name, body in plain:
        assert not needs_cleaning(body), name
        assert sanitize(body) == body, name


def test_real_archive_bodies_with_active_content_keep_their_text_and_links() -> None:
    active = [(n, b) for n, b in _archive_bodies() if has_active_content(n)]
    assert len(active) == 3
    for name, body in active:
        out = sanitize(body)
        assert harmless(out), name
        assert not harmless(body) or "<divclass" in body, name
        assert _text(out) == _text(body, drop=("script", "iframe")), name
        links = set(re.findall(r'(?:href|src)="(https?://[^"]+)"', out))
        assert links >= {u for u in re.findall(r'<a [^>]*href="(https?://[^"]+)"', body)}, name


def _text(body: str, drop: tuple[str, ...] = ()) -> str:
    """The visible text of a body, without the content of the `drop` elements."""
    tree = html5lib.parseFragment(body, treebuilder="etree", namespaceHTMLElements=False)
    parts: list[str] = []

    def walk(element) -> None:  # type: ignore[no-untyped-def]
        if element.tag in drop or not isinstance(element.tag, str):
            return  # a dropped element, or a comment
        parts.append(element.text or "")
        for child in element:
            walk(child)
            parts.append(child.tail or "")

    walk(tree)
    return re.sub(r"\s+", " ", "".join(parts)).strip()
