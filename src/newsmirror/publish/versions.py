"""An article's versions for people: the list `newsmirror history` prints, and the readable
diff of `newsmirror diff` — paragraph by paragraph, and within a changed paragraph word by word
for Latin text and character by character for Chinese (which has no spaces between words).
Changes are marked `[-removed-]` and `{+added+}`, which survive copying into an issue or a chat.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from newsmirror.clean.fingerprint import paragraphs
from newsmirror.records import Article, KnownArticle, Version
from newsmirror.store.layout import local_time

# A token: a run of Latin letters or digits (a word), one CJK character, white space, or any
# other single character (punctuation).
_TOKEN = re.compile(r"[A-Za-z0-9\u00c0-\u024f]+|\s+|.", re.DOTALL)


@dataclass(frozen=True, slots=True)
class Text:
    """One version as the diff sees it."""

    n: int
    seen_ms: int
    title: str
    url: str
    body: str


def texts(known: KnownArticle, versions: Sequence[Version], current: Article) -> list[Text]:
    """Every version of an article, oldest first; the last is the file as it is."""
    found = [Text(v.n, v.seen_ms, v.title, v.url, v.body) for v in versions]
    since = versions[-1].replaced_ms if versions else known.state.archived_ms
    since = since or known.article.published_ms
    found.append(Text(len(versions) + 1, since, current.title, current.url, current.body))
    return found


def render_history(
    known: KnownArticle, versions: Sequence[Version], current: Article, offset_minutes: int
) -> str:
    lines = [f"{known.article.path}", f"  {current.url}" if current.url else "  (no link)"]
    every = texts(known, versions, current)
    for text, version in zip(every, [*versions, None], strict=True):
        when = local_time(text.seen_ms, offset_minutes)
        what = (
            f"replaced {local_time(version.replaced_ms, offset_minutes):%Y-%m-%d %H:%M}"
            f" ({', '.join(version.changed)})"
            if version
            else "current"
        )
        lines.append(f"  v{text.n}  {when:%Y-%m-%d %H:%M}  {text.title}  [{what}]")
    state = known.state
    if state.removed_ms is not None:
        when = local_time(state.removed_ms, offset_minutes)
        why = (
            "gone from its feed"
            if state.removed_signal == "feed"
            else (f"its link answered {state.removed_status}")
        )
        lines.append(f"  removed upstream {when:%Y-%m-%d %H:%M}: {why} (the copy here stays)")
    if known.article.variant_of:
        lines.append(f"  a copy in another script of {known.article.variant_of}")
    return "\n".join(lines) + "\n"


def inline_diff(old: str, new: str) -> str:
    """`old` turned into `new`, token by token: [-removed-] and {+added+}."""
    return marked_diff(_TOKEN.findall(old), _TOKEN.findall(new), "[-{}-]", "{{+{}+}}")


def marked_diff(
    old: Sequence[str],
    new: Sequence[str],
    removed: str,
    added: str,
    show: Callable[[str], str] = str,
) -> str:
    """`old` turned into `new` (sequences of tokens: characters, words), each run that
    changed put into its template (`removed`, `added`: "{}" stands for the run), every run
    written through `show`."""
    parts = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            parts.append(show("".join(old[i1:i2])))
            continue
        if i2 > i1:
            parts.append(removed.format(show("".join(old[i1:i2]))))
        if j2 > j1:
            parts.append(added.format(show("".join(new[j1:j2]))))
    return "".join(parts)


def render_diff(old: Text, new: Text) -> str:
    """What changed from one version to another: title, link, then the body's paragraphs
    (unchanged ones left out, with a count)."""
    lines = [f"v{old.n} → v{new.n}"]
    if old.title != new.title:
        lines.append(f"title: {inline_diff(old.title, new.title)}")
    if old.url != new.url:
        lines.append(f"link:  [-{old.url}-] {{+{new.url}+}}")
    a, b = paragraphs(old.body), paragraphs(new.body)
    kept = 0
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            kept += i2 - i1
        elif op == "replace" and i2 - i1 == j2 - j1:
            lines += [f"~ {inline_diff(x, y)}" for x, y in zip(a[i1:i2], b[j1:j2], strict=True)]
        else:
            lines += [f"- {x}" for x in a[i1:i2]] + [f"+ {y}" for y in b[j1:j2]]
    if len(lines) == 1:
        lines.append("(no difference in title, link or text)")
    elif kept:
        lines.append(f"({kept} paragraph{'s' if kept != 1 else ''} unchanged)")
    return "\n".join(lines) + "\n"
