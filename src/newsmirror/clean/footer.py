"""feedx's promotional footer (format.md): `<br><hr><div>获取更多RSS：<br><a href="https://feedx.net"
…>…</a> <br><a href="https://feedx.top" …>…</a><br></div>`, whose second domain changed over the
years (feedx.xyz, feedx.top, feedx.best...). Removed only when the mirror asks for it
(`strip_feedx_footer`): by default a body stays as the feed gave it."""

from __future__ import annotations

import re

_BR = r"<br\s*/?>"
_FEEDX_LINK = (
    r"<a\s[^<>]*?href\s*=\s*[\"']?https?://(?:www\.)?feedx\.[a-z]{2,10}/?[\"']?[^<>]*>[^<]*</a>"
)
_FOOTER = re.compile(
    rf"(?:\s*{_BR})*\s*<hr\s*/?>\s*<div>\s*获取更多RSS\s*[：:]?\s*(?:{_BR}\s*)*"
    rf"(?:{_FEEDX_LINK}\s*(?:{_BR}\s*)*)+</div>",
    re.IGNORECASE,
)


def strip_feedx_footer(body: str) -> str:
    """`body` without feedx's footer (every domain variant), byte for byte otherwise."""
    if "获取更多RSS" not in body:
        return body
    return _FOOTER.sub("", body)
