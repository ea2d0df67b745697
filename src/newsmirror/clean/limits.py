"""Bounds on a body before a parser sees it: its length, and how deep its elements nest.

An HTML parser's cost grows with the height of its stack of open elements (each block start
tag looks down the stack for a <p> to close; end tags and the adoption agency walk it too), so
a body of 100,000 unclosed <div> costs nh3 a minute. Browsers stop nesting at 512 (Blink puts
deeper elements beside the 512th), so nothing a reader could see is lost by cutting a body
where it would nest deeper than that.

`limit_body` reads the body with a tokenizer written after the HTML standard's (regular
expressions with atomic groups: one pass, no backtracking) and follows a model of the stack of
open elements: void elements, implied end tags (p, li, dd, dt, option, table rows and cells,
ruby text), scope (an end tag does not reach past a table or a cell), special elements (an end
tag for a <span> does not close a <div> above it), table structure (a cell implies a row and a
row group), the formatting elements that the parser opens again after a block closed them, the
adoption agency, and SVG and MathML content with its ways back out. Each tag costs the model
a bounded amount of work. Where it differs from a parser, it errs towards counting deeper, by
a few elements at most, and only for markup that makes no sense to begin with (html5lib's
stack, compared on random tag soup, is never more than 2 higher).

The same tokenizer and model tell the sanitizer which tags are inside real <svg>/<math>.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterator

MAX_BODY_CHARS = 2 * 1024 * 1024
MAX_DEPTH = 512  # Blink's limit of nesting (HTMLConstructionSite's maximum tree depth)


# --- the tokenizer ---

_WS = r"\t\n\f\r "
# One attribute, as the tokenizer delimits it. After a name, `=` always starts a value (a name
# begins with `=` only where no name precedes it), and a quote right after `=` opens a quoted
# value; a value left open runs to the end of the body, which then holds no more tags.
_ATTRIBUTE = (
    rf"[{_WS}/]*+[^{_WS}/>][^{_WS}/>=]*+"
    rf"""(?>[{_WS}]*+=[{_WS}]*+(?>"[^"]*+"|'[^']*+'|[^{_WS}>"'][^{_WS}>]*+|(?=>))"""
    rf"|(?![{_WS}]*+=))"
)
TOKEN = re.compile(
    rf"""<(?:
        !--(?:-?>|.*?(?:--!?>|\Z))                  # a comment (<!--> and <!---> end at once)
      | [!?][^>]*+>?                                 # a doctype, CDATA or bogus comment
      | /(?![a-zA-Z])[^>]*+>?                        # </ without a name: ignored
      | (?P<close>/?)(?P<name>[a-zA-Z][^{_WS}/>]*+)
        (?P<attrs>(?:{_ATTRIBUTE})*+)(?P<tail>[{_WS}/]*+)>
      | (?P<broken>/?[a-zA-Z])                       # a tag the end of the body cuts short
    )""",
    re.DOTALL | re.VERBOSE,
)
ATTRIBUTE = re.compile(
    rf"""[{_WS}/]*+(?P<name>[^{_WS}/>][^{_WS}/>=]*+)
    (?:[{_WS}]*+=[{_WS}]*+(?:"(?P<dq>[^"]*+)"|'(?P<sq>[^']*+)'|(?P<uq>[^{_WS}>"'][^{_WS}>]*+))?)?""",
    re.VERBOSE,
)


def attributes(attrs: str) -> dict[str, str]:
    """A tag's attributes (names lowercased; the first of duplicates wins), values raw."""
    found: dict[str, str] = {}
    for m in ATTRIBUTE.finditer(attrs):
        dq, sq, uq = m.group("dq", "sq", "uq")
        value = dq if dq is not None else sq if sq is not None else uq or ""
        found.setdefault(m.group("name").lower(), value)
    return found


# Elements whose content is text up to their end tag, in HTML content. (<noscript> is not one:
# the sanitizer removes its tags before parsing, so its content is parsed as markup.)
_RAW_TEXT = {
    name: re.compile(rf"</{name}(?=[{_WS}/>])", re.IGNORECASE)
    for name in ("script", "style", "xmp", "iframe", "noembed", "noframes", "textarea", "title")
}


def tags(html: str, model: OpenElements) -> Iterator[re.Match[str]]:
    """Every token of `html` that starts with `<` (tags, comments, declarations); `model`
    follows the tags as they come (and its `inside` tells whether the last one belongs to SVG
    or MathML content). The text of <script>, <style>, <textarea>... is skipped; a tag cut
    short by the end of the body, or <plaintext>, ends the scan."""
    pos = 0
    while True:
        for m in TOKEN.finditer(html, pos):
            close, name, attrs, tail = m.group(1, 2, 3, 4)
            if name is None:
                model.inside = bool(model.foreign)
                yield m
                if m.group(5) is not None:
                    return
                continue
            name = name.lower()
            if close:
                model.end(name)
                yield m
                continue
            if not model.start(name, attrs, tail.endswith("/")):
                yield m
                continue
            yield m
            if name == "plaintext":
                return
            end = _RAW_TEXT[name].search(html, m.end())
            if end is None:
                return
            pos = end.start()
            break  # read on after the text
        else:
            return


# --- the stack of open elements ---


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_HEADINGS = _words("h1 h2 h3 h4 h5 h6")
_SECTIONS = _words("tbody thead tfoot")
_IMPLIED_END = _words("dd dt li optgroup option p rb rp rt rtc")
_FORMATTING = _words("a b big code em font i nobr s small strike strong tt u")
_SPECIAL = (
    _words(
        """address applet area article aside base basefont bgsound blockquote body br button
    caption center col colgroup dd details dir div dl dt embed fieldset figcaption figure
    footer form frame frameset head header hgroup hr html iframe img input keygen li link
    listing main marquee menu meta nav noembed noframes noscript object ol p param plaintext
    pre script search section select source style summary table tbody td template textarea
    tfoot th thead title tr track ul wbr xmp"""
    )
    | _HEADINGS
)
_SCOPE = _words("applet caption html table td th marquee object template")
_MARKERS = _words("applet marquee object template td th caption")
# End tags that close their element, with everything above it, when it is in scope.
_BLOCK_END = _words(
    """address article aside blockquote button center details dialog dir div dl fieldset
    figcaption figure footer header hgroup listing main menu nav ol pre search section summary
    ul select template dd dt applet marquee object"""
)
# SVG and MathML: the elements whose content is HTML again, and the HTML start tags that end
# foreign content where they appear.
_SVG_INTEGRATION = _words("~foreignobject ~desc ~title")
_MATH_TEXT = _words("~mi ~mo ~mn ~ms ~mtext")
_BREAKOUT = _words(
    """b big blockquote body br center code dd div dl dt em embed h1 h2 h3 h4 h5 h6 head hr i
    img li listing menu meta nobr ol p pre ruby s small span strong strike sub sup table tt u
    ul var"""
)
_FONT_BREAKOUT = frozenset({"color", "face", "size"})  # a <font> with these ends it too
_HTML_ANNOTATION = re.compile(
    r"encoding[\t\n\f\r ]*=[\t\n\f\r ]*[\"']?[\t\n\f\r ]*(?:text/html|application/xhtml\+xml)",
    re.IGNORECASE,
)

# What start tags do, besides opening an element.
(
    _VOID, _HR, _IGNORE, _TABLE_PART, _FOREIGN_ROOT, _TABLE, _LI, _DD, _FORM, _HEADING,
    _BLOCK, _A, _NOBR, _FORMAT_TAG, _BUTTON, _OPTION, _RUBY, _SELECT, _RAW, _PUSH,
) = range(20)  # fmt: skip
_START: dict[str, int] = {
    **dict.fromkeys(
        _words(
            """area base basefont bgsound br col embed image img input isindex keygen link
            meta param source track wbr"""
        ),
        _VOID,
    ),
    "hr": _HR,
    **dict.fromkeys(_words("body html head frame frameset noscript"), _IGNORE),  # no element
    **dict.fromkeys(_words("caption col colgroup tbody td tfoot th thead tr"), _TABLE_PART),
    "svg": _FOREIGN_ROOT,
    "math": _FOREIGN_ROOT,
    "table": _TABLE,
    **dict.fromkeys(  # blocks, which close an open <p> first
        _words(
            """address article aside blockquote center details dialog dir div dl fieldset
            figcaption figure footer header hgroup main menu nav ol p search section summary
            ul pre listing plaintext xmp"""
        ),
        _BLOCK,
    ),
    **dict.fromkeys(_HEADINGS, _HEADING),
    "li": _LI,
    "dd": _DD,
    "dt": _DD,
    "form": _FORM,
    **dict.fromkeys(_FORMATTING, _FORMAT_TAG),
    "a": _A,
    "nobr": _NOBR,
    "button": _BUTTON,
    "option": _OPTION,
    "optgroup": _OPTION,
    **dict.fromkeys(_words("rb rtc rp rt"), _RUBY),
    "select": _SELECT,
    **dict.fromkeys(_RAW_TEXT, _RAW),
}

# Flags of an entry of the stack. Entries with any of the _INDEXED flags are also listed by
# kind (special, scope...); HTML elements without them are the usual case and cost least.
_HTML, _SPECIAL_F, _SCOPE_F, _STRICT, _MARKER, _FORMAT, _FOREIGN, _IP, _SVG = (
    1 << i for i in range(9)
)
_INDEXED = _SPECIAL_F | _SCOPE_F | _STRICT | _MARKER | _FOREIGN


def _html_flags(name: str) -> int:
    flags = _HTML
    if name in _SPECIAL:
        flags |= _SPECIAL_F
        if name not in ("address", "div", "p"):
            flags |= _STRICT
    if name in _SCOPE:
        flags |= _SCOPE_F
    if name in _MARKERS:
        flags |= _MARKER
    if name in _FORMATTING:
        flags |= _FORMAT
    return flags


_FLAGS = {name: _html_flags(name) for name in _SPECIAL | _SCOPE | _FORMATTING}
_IP_FLAGS = _IP | _SPECIAL_F | _SCOPE_F | _STRICT


class _Frame:
    """The part of the list of active formatting elements after one marker (a cell, caption,
    object...), as far as the stack does not show it: the elements that an enclosing block
    closed but that the parser opens again at the next text."""

    __slots__ = ("by_key", "by_name", "live", "total")

    def __init__(self) -> None:
        self.live = True
        self.total = 0
        self.by_name: dict[str, list[str]] = {}
        self.by_key: dict[str, int] = {}


class OpenElements:
    """A model of a parser's stack of open elements (parsing a fragment in <body>), reduced
    to what decides its height. `depth` is the height it reaches, counting the formatting
    elements that the parser will open again."""

    def __init__(self) -> None:
        self.keys: list[str] = []  # names; "~name" in SVG/MathML; "" for a removed entry
        self.flags: list[int] = []
        # For a formatting element: its attributes (for Noah's Ark) and its part of the list.
        self.extra: list[tuple[str, _Frame] | None] = []
        self.at: dict[str, list[int]] = {}  # the indices of each name's entries
        # Indices of the entries of each kind, with -1 below them all.
        self.special = [-1]
        self.scope = [-1]
        self.strict = [-1]  # special, except address, div and p
        self.foreign: list[int] = []  # SVG and MathML elements
        # HTML elements, and those with integration points, above the first foreign element.
        self.html = [-1]
        self.html_or_ip = [-1]
        self.frames = [_Frame()]
        self.floating = 0
        self.removed = 0
        self.form = False  # the parser's form element pointer is set
        self.closed = -1
        self.inside = False  # the last tag belongs to foreign content

    @property
    def depth(self) -> int:
        return len(self.keys) - self.removed + self.floating

    def top(self, key: str) -> int:
        found = self.at.get(key)
        return found[-1] if found else -1

    def _top_html(self, with_ip: bool) -> int:
        """The topmost HTML element (or integration point), while foreign content is open."""
        below = self.foreign[0] - 1
        found = (self.html_or_ip if with_ip else self.html)[-1]
        return found if found > below else below

    # --- the stack ---

    def _push(self, key: str, flags: int, extra: tuple[str, _Frame] | None = None) -> None:
        index = len(self.keys)
        self.keys.append(key)
        self.flags.append(flags)
        self.extra.append(extra)
        found = self.at.get(key)
        if found is None:
            self.at[key] = [index]
        else:
            found.append(index)
        if flags & _INDEXED:
            if flags & _SPECIAL_F:
                self.special.append(index)
            if flags & _SCOPE_F:
                self.scope.append(index)
            if flags & _STRICT:
                self.strict.append(index)
            if flags & _MARKER:
                self.frames.append(_Frame())
            if flags & _FOREIGN:
                self.foreign.append(index)
        if self.foreign and flags & (_HTML | _IP):
            if flags & _HTML:
                self.html.append(index)
            self.html_or_ip.append(index)

    def _pop(self, reopen: bool) -> None:
        """Pop the current node; a formatting element popped with `reopen` stays active."""
        key = self.keys.pop()
        flags = self.flags.pop()
        extra = self.extra.pop()
        self.at[key].pop()
        if flags & _INDEXED:
            if flags & _SPECIAL_F:
                self.special.pop()
            if flags & _SCOPE_F:
                self.scope.pop()
            if flags & _STRICT:
                self.strict.pop()
            if flags & _FOREIGN:
                self.foreign.pop()
        if (
            self.foreign
            and self.html_or_ip[-1] == len(self.keys)
            and self.html[-1] == self.html_or_ip.pop()
        ):
            self.html.pop()
        if extra is not None and reopen and extra[1].live:
            self._float(extra[1], key, extra[0])
        if self.removed:
            while self.keys and not self.keys[-1]:  # entries taken out of the middle
                self.keys.pop()
                self.flags.pop()
                self.extra.pop()
                self.removed -= 1

    def _pop_to(self, index: int) -> None:
        """Pop entries until the one at `index` is popped (the formatting elements above it
        stay active, it does not)."""
        self._pop_above(index)
        if len(self.keys) == index + 1:
            self._pop(False)
            self.closed = index

    def _pop_above(self, index: int) -> None:
        """Pop entries until the one at `index` is the current node."""
        while len(self.keys) > index + 1:
            self._pop(True)

    def _remove(self, index: int) -> None:
        """Take the entry at `index` out of the middle of the stack."""
        if index == len(self.keys) - 1:
            self._pop(False)
            return
        key, flags = self.keys[index], self.flags[index]
        _discard(self.at[key], index)
        for kind, found in (
            (_SPECIAL_F, self.special),
            (_SCOPE_F, self.scope),
            (_STRICT, self.strict),
            (_FOREIGN, self.foreign),
        ):
            if flags & kind:
                _discard(found, index)
        for found in (self.html, self.html_or_ip):
            if index in found:
                _discard(found, index)
        if flags & _FOREIGN:  # the lists hold only entries above the first foreign element
            first = self.foreign[0] if self.foreign else len(self.keys)
            self.html = [i for i in self.html if i < 0 or i > first]
            self.html_or_ip = [i for i in self.html_or_ip if i < 0 or i > first]
        self.keys[index] = ""
        self.flags[index] = 0
        self.extra[index] = None
        self.removed += 1

    def _compact(self, index: int) -> int:
        """Drop the removed entries for good; the new index of the entry at `index`."""
        index -= self.keys[:index].count("")
        entries = [e for e in zip(self.keys, self.flags, self.extra, strict=True) if e[0]]
        frames, floating, form = self.frames, self.floating, self.form
        self.__init__()  # type: ignore[misc]
        for key, flags, extra in entries:
            self._push(key, flags & ~_MARKER, extra)  # (markers' frames are kept as they are)
        self.frames, self.floating, self.form = frames, floating, form
        return index

    def _clear_to_marker(self) -> None:
        """The list of active formatting elements loses its last part (a cell closes...)."""
        if len(self.frames) > 1:
            frame = self.frames.pop()
            frame.live = False
            self.floating -= frame.total

    def _float(self, frame: _Frame, name: str, attrs: str) -> None:
        key = f"{name} {attrs}"
        count = frame.by_key.get(key, 0)
        if count >= 3:
            return  # Noah's Ark: the list holds three alike at most
        frame.by_key[key] = count + 1
        frame.by_name.setdefault(name, []).append(key)
        frame.total += 1
        self.floating += 1

    def _unfloat(self, name: str) -> bool:
        frame = self.frames[-1]
        keys = frame.by_name.get(name)
        if not keys:
            return False
        frame.by_key[keys.pop()] -= 1
        frame.total -= 1
        self.floating -= 1
        return True

    def _in_scope(self, key: str) -> int:
        """The index of the topmost `key` element if it is in scope, else -1."""
        index = self.top(key)
        return index if index >= 0 and index >= self.scope[-1] else -1

    def _close_p(self) -> None:
        found = self.at.get("p")
        if found and (index := found[-1]) >= self.scope[-1] and self.top("button") < index:
            self._pop_to(index)

    # --- start tags ---

    def start(self, name: str, attrs: str, self_closing: bool) -> bool:
        """Follow a start tag (`name` lowercased); true for an element whose content is text.
        A start tag belongs where its element goes (an HTML tag that ends SVG content is
        outside it)."""
        if self.foreign:
            done = self.flags[-1] & _FOREIGN and self._start_foreign(name, attrs, self_closing)
            self.inside = bool(self.foreign)
            if done:
                return False
            raw = self._start_html(name, attrs, self_closing)
            self.inside = bool(self.foreign)
            return raw
        self.inside = False
        raw = self._start_html(name, attrs, self_closing)
        if self.foreign:
            self.inside = True
        return raw

    def _start_html(self, name: str, attrs: str, self_closing: bool) -> bool:
        kind = _START.get(name, _PUSH)
        if kind == _PUSH:
            self._push(name, _FLAGS.get(name, _HTML))
            return False
        if kind == _BLOCK:
            self._close_p()
            self._push(name, _FLAGS.get(name, _HTML))
            return name == "xmp" or name == "plaintext"
        if kind == _FORMAT_TAG:
            self._push(name, _FLAGS[name], (attrs, self.frames[-1]))
            return False
        if kind in (_VOID, _IGNORE):
            return False
        if kind == _HR:
            self._close_p()
            return False
        if kind == _RAW:
            self._push(name, _FLAGS.get(name, _HTML))
            return True
        return self._start_other(kind, name, attrs, self_closing)

    def _start_foreign(self, name: str, attrs: str, self_closing: bool) -> bool:
        """A start tag whose current node is an SVG or MathML element: true when it is done,
        false when it is to be read as HTML."""
        current, flags = self.keys[-1], self.flags[-1]
        if (flags & _IP and not (current in _MATH_TEXT and name in ("mglyph", "malignmark"))) or (
            current == "~annotation-xml" and name == "svg"
        ):
            return False  # content of an integration point is HTML
        if name in _BREAKOUT or (
            name == "font" and not _FONT_BREAKOUT.isdisjoint(attributes(attrs))
        ):
            self._pop_above(self._top_html(with_ip=True))  # HTML again
            return False
        if not self_closing:  # self-closing counts in foreign content
            self._push_foreign("~" + name, flags & _SVG, attrs)
        return True

    def _push_foreign(self, key: str, svg: int, attrs: str) -> None:
        flags = _FOREIGN | svg
        if svg:
            if key in _SVG_INTEGRATION:
                flags |= _IP_FLAGS
        elif key in _MATH_TEXT:
            flags |= _IP_FLAGS
        elif key == "~annotation-xml":
            flags |= _IP_FLAGS if _HTML_ANNOTATION.search(attrs) else _SPECIAL_F | _SCOPE_F
        self._push(key, flags)

    def _start_other(self, kind: int, name: str, attrs: str, self_closing: bool) -> bool:
        if kind == _TABLE_PART:
            table = self.top("table")
            if table >= 0:  # else the tag is ignored
                self._table_part(name, table)
        elif kind == _FOREIGN_ROOT:
            if not self_closing:
                self._push_foreign("~" + name, _SVG if name == "svg" else 0, attrs)
        elif kind == _TABLE:
            table = self.top("table")
            if table >= 0 and max(self.top("td"), self.top("th"), self.top("caption")) < table:
                self._pop_to(table)  # a table directly in a table ends it
            else:
                self._close_p()
            self._push(name, _FLAGS[name])
        elif kind in (_LI, _DD):
            item = self.top("li") if kind == _LI else max(self.top("dd"), self.top("dt"))
            if item >= 0 and self.strict[-1] == item:
                self._pop_to(item)  # unless a special element other than div... is above it
            self._close_p()
            self._push(name, _FLAGS[name])
        elif kind == _FORM:
            if not self.form:  # a form in a form is ignored
                self._close_p()
                self.form = True
                self._push(name, _FLAGS[name])
        elif kind == _HEADING:
            self._close_p()
            if self.keys and self.keys[-1] in _HEADINGS:
                self._pop(False)
            self._push(name, _FLAGS[name])
        elif kind in (_A, _NOBR):
            # An <a> ends the <a> still active; a <nobr>, the <nobr> in scope.
            index = self.top(name)
            if kind == _NOBR:
                if index >= 0 and index >= self.scope[-1]:
                    self._adopt(index)
            elif index >= 0 and (extra := self.extra[index]) and extra[1] is self.frames[-1]:
                if index >= self.scope[-1]:
                    self._adopt(index)
                if self.top(name) == index:
                    self._remove(index)
            else:
                self._unfloat(name)
            self._push(name, _FLAGS[name], (attrs, self.frames[-1]))
        elif kind == _BUTTON:
            index = self._in_scope("button")
            if index >= 0:
                self._pop_to(index)
            self._push(name, _FLAGS[name])
        elif kind == _OPTION:
            if self.keys and self.keys[-1] == "option":
                self._pop(False)
            if (
                name == "optgroup"
                and self.keys
                and self.keys[-1] == "optgroup"
                and self._in_scope("select") >= 0
            ):
                self._pop(False)  # in a select, a group ends the one before
            self._push(name, _HTML)
        elif kind == _RUBY:
            if self._in_scope("ruby") >= 0:
                keep = "" if name in ("rb", "rtc") else "rtc"
                while self.keys and self.keys[-1] in _IMPLIED_END and self.keys[-1] != keep:
                    self._pop(True)
            self._push(name, _HTML)
        elif kind == _SELECT:
            index = self._in_scope("select")
            if index >= 0:
                self._pop_to(index)  # a select in a select ends it
            else:
                self._push(name, _FLAGS[name])
        return False

    def _table_part(self, name: str, table: int) -> None:
        self._close_cell_or_caption(table)
        if name == "col" or name == "colgroup":
            self._pop_above(table)
            return
        if name == "caption" or name in _SECTIONS:
            self._pop_above(table)
            self._push(name, _FLAGS[name])
            return
        row = self.top("tr")
        if name == "tr" and row > table:
            self._pop_to(row)
            row = -1
        if row > table:
            self._pop_above(row)
        else:
            section = max(self.top("tbody"), self.top("thead"), self.top("tfoot"))
            if section > table:
                self._pop_above(section)
            else:
                self._pop_above(table)
                self._push("tbody", _FLAGS["tbody"])
            if name != "tr":
                self._push("tr", _FLAGS["tr"])
        self._push(name, _FLAGS[name])

    def _close_cell_or_caption(self, table: int) -> None:
        """Table structure closes the open cell or caption of the innermost table."""
        cell = max(self.top("td"), self.top("th"))
        caption = self.top("caption")
        if cell > table or caption > table:
            self._pop_to(max(cell, caption))
            self._clear_to_marker()

    def _adopt(self, index: int) -> None:
        """The adoption agency algorithm for the formatting element at `index`, as it changes
        the stack's height. With no special element above it, it is popped with what is above
        it. Else each of its runs (at most 8) moves it above the next special element, past
        the three elements below that one: the formatting elements among them stay (as
        clones), the others leave the stack. (The standard now takes every other element
        passed out too; parsers written before keep them, so the count keeps them.) The last
        run pops it with what is above the last special element."""
        if self.removed > 32:
            index = self._compact(index)  # so that the walks below pass few removed entries
        start = bisect_right(self.special, index)
        above = self.special[start : start + 8]
        if not above:
            self._pop_to(index)
            return
        low = index
        for block in above:
            visited, i = 0, block - 1
            while visited < 3 and i > low:
                if self.keys[i]:
                    visited += 1
                    extra = self.extra[i]
                    if extra is None or not extra[1].live:
                        self._remove(i)
                i -= 1
            low = block
        if len(self.special) - start <= 8:
            self._pop_above(above[-1])
            self._remove(index)
        # Else the element stays as high (a clone of it above the 8th special element).

    # --- end tags ---

    def end(self, name: str) -> None:
        """Follow an end tag (`name` lowercased); `closed` is then the index of the element
        it closed, or -1. An end tag belongs where it closes something."""
        self.closed = -1
        self.inside = bool(self.foreign)
        if (
            self.keys and self.keys[-1] == name and name != "form" and not self.flags[-1] & _MARKER
        ):  # the usual case: it closes the current node
            self._pop(False)
            self.closed = len(self.keys)
            return
        if self.foreign and self.flags[-1] & _FOREIGN:
            if name == "p" or name == "br":  # these end foreign content (since 2022)
                self._pop_above(self._top_html(with_ip=True))
            else:
                index = self.top("~" + name)
                if index > self._top_html(with_ip=False):
                    self._pop_to(index)
                    return
        if name in _BLOCK_END:
            index = self._in_scope(name)
            if index >= 0:
                self._pop_to(index)
                if name in ("applet", "marquee", "object", "template"):
                    self._clear_to_marker()
        elif name == "p" or name == "li":
            index = self._in_scope(name)
            other = self.top("button") if name == "p" else max(self.top("ol"), self.top("ul"))
            if index >= 0 and other < index:
                self._pop_to(index)
        elif name in _HEADINGS:
            index = max(self._in_scope(h) for h in _HEADINGS)
            if index >= 0:
                self._pop_to(index)
        elif name == "form":
            self.form = False
            index = self._in_scope("form")
            if index >= 0:
                self._remove(index)
        elif name in _FORMATTING:
            index = self.top(name)
            if index >= 0 and (extra := self.extra[index]) and extra[1] is self.frames[-1]:
                if index >= self.scope[-1]:
                    self._adopt(index)
            elif not self._unfloat(name):
                self._end_other(name)
        elif _START.get(name) == _TABLE_PART or name == "table":
            self._end_table_part(name)
        elif _START.get(name) not in (_VOID, _IGNORE):
            self._end_other(name)

    def _end_table_part(self, name: str) -> None:
        table = self.top("table")
        index = table if name == "table" else self.top(name)
        if table < 0 or index < table or name == "col" or name == "colgroup":
            return
        if name in ("td", "th", "caption"):
            self._pop_to(index)
            self._clear_to_marker()
        else:
            self._close_cell_or_caption(table)
            if len(self.keys) > index:
                self._pop_to(index)

    def _end_other(self, name: str) -> None:
        """Any other end tag: it closes its element unless a special element is above it."""
        index = self.top(name)
        if index >= 0 and index >= self.special[-1]:
            self._pop_to(index)


def _discard(indices: list[int], index: int) -> None:
    """Remove `index` from a sorted list of indices."""
    del indices[bisect_left(indices, index)]


# --- the limits ---

_REFERENCE_TAIL = re.compile(r"[#a-zA-Z0-9]*")


def _text_cut(html: str, limit: int, low: int) -> int:
    """The last position at or before `limit` (and not before `low`) that is not inside a
    character reference or a surrogate pair."""
    cut = limit
    amp = html.rfind("&", low, cut)
    if amp >= 0 and _REFERENCE_TAIL.fullmatch(html, amp + 1, cut):
        cut = amp
    high, low_half = ("\ud800", "\udbff"), ("\udc00", "\udfff")
    if (
        low < cut < len(html)
        and high[0] <= html[cut - 1] <= high[1]
        and low_half[0] <= html[cut] <= low_half[1]
    ):
        cut -= 1  # not between the halves of a surrogate pair
    return cut


def _depth_bound(html: str) -> int:
    """More than the stack can ever hold for `html`: each start tag adds one element, and a
    table row or cell at most two more (an implied row group and row)."""
    starts = html.count("<") - html.count("</")
    return starts + 2 * (html.count("<t") + html.count("<T"))


def limit_body(
    html: str, max_chars: int = MAX_BODY_CHARS, max_depth: int = MAX_DEPTH
) -> tuple[str, str | None]:
    """`html` unchanged and None if it is within the limits; else its beginning, cut before
    the point where it first exceeds one (at a tag's start or between characters of text),
    and why, in a few words."""
    too_long = len(html) > max_chars
    # The usual case: too few tags to nest that deep. Each `<` adds at most three elements
    # (a cell's implied row group and row), which one count tells; then the finer bound.
    if not too_long and (html.count("<") * 3 <= max_depth or _depth_bound(html) <= max_depth):
        return html, None
    long_reason = f"over {max_chars:,} characters"
    model = OpenElements()
    last_end = 0
    for token in tags(html, model):
        start, end = token.span()
        if end > max_chars or (too_long and token.group(5) is not None):
            cut = start if start <= max_chars else _text_cut(html, max_chars, last_end)
            return html[:cut], long_reason
        if len(model.keys) - model.removed + model.floating > max_depth:
            return html[:start], f"nested deeper than {max_depth:,} elements"
        last_end = end
    if too_long:
        return html[: _text_cut(html, max_chars, last_end)], long_reason
    return html, None
