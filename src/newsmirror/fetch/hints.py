"""What a publisher's headers say about when to ask again: pure functions of header values and
`now_ms`, so every rule is tested without a server or a clock.

- `fresh_until_ms`: Cache-Control `max-age` (less `Age`), else `Expires` (measured against the
  response's own `Date`, so a server whose clock is off still means what it says).
- `retry_after_ms`: `Retry-After` as delta-seconds or an HTTP-date.

Nonsense (negative, unparsable, already past) gives None; anything further ahead than
`MAX_AHEAD_MS` is cut to it, so one bad header can never silence a source for months.
"""

from __future__ import annotations

import re
from datetime import UTC
from email.utils import parsedate_to_datetime

MAX_AHEAD_MS = 7 * 24 * 3600 * 1000

# One directive of Cache-Control: a token, optionally `=` a token or a quoted string.
_TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_DIRECTIVE = re.compile(rf"""\s*({_TOKEN})\s*(?:=\s*("(?:[^"\\]|\\.)*"|[^,]*))?\s*""")
_DIGITS = re.compile(r"\d+")
_MAX_DIGITS = 15  # more seconds than that is "forever" in any case; int() of huge strings is slow


def parse_http_date(value: str | None) -> int | None:
    """Epoch ms of an HTTP-date (IMF-fixdate, the obsolete RFC 850 and asctime forms), or None."""
    if not value or not value.strip():
        return None
    try:
        parsed = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if parsed.tzinfo is None:  # asctime dates carry no zone: HTTP dates are always GMT
        parsed = parsed.replace(tzinfo=UTC)
    try:
        return int(parsed.timestamp() * 1000)
    except (OverflowError, ValueError):
        return None


def delta_seconds(value: str | None) -> int | None:
    """A non-negative whole number of seconds, or None (signs, fractions and words are not)."""
    if value is None:
        return None
    text = value.strip().strip('"')
    if not _DIGITS.fullmatch(text):
        return None
    return int(text) if len(text) <= _MAX_DIGITS else 10**_MAX_DIGITS


def cache_directives(value: str | None) -> dict[str, str | None]:
    """Cache-Control directives, names lower-cased, values unquoted (None when bare)."""
    directives: dict[str, str | None] = {}
    for part in _split_directives(value or ""):
        match = _DIRECTIVE.fullmatch(part)
        if match is None:
            continue
        name, raw = match.group(1).lower(), match.group(2)
        if raw is not None:
            raw = raw.strip()
            if raw.startswith('"') and raw.endswith('"') and len(raw) >= 2:
                raw = re.sub(r"\\(.)", r"\1", raw[1:-1])
        directives.setdefault(name, raw)  # the first occurrence wins, as caches do
    return directives


def _split_directives(value: str) -> list[str]:
    """Split on commas outside quoted strings (`no-cache="a, b"` is one directive)."""
    parts, current, quoted, escaped = [], [], False, False
    for char in value:
        if escaped:
            escaped = False
        elif char == "\\" and quoted:
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == "," and not quoted:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return [p for p in parts if p.strip()]


def fresh_until_ms(
    cache_control: str | None,
    expires: str | None,
    date: str | None,
    age: str | None,
    now_ms: int,
) -> int | None:
    """Until when an answer is fresh, from its caching headers; None when they say nothing or
    forbid reuse (`no-store`, or `no-cache` without field names). `s-maxage` is for shared
    caches and is ignored; `max-age` wins over `Expires`, as in HTTP caching."""
    directives = cache_directives(cache_control)
    bare_no_cache = "no-cache" in directives and directives["no-cache"] is None
    if "no-store" in directives or bare_no_cache:
        return None
    if "max-age" in directives:
        seconds = delta_seconds(directives["max-age"])
        if seconds is None:  # an invalid max-age means stale
            return None
        already = delta_seconds(age) or 0
        return _ahead(now_ms, (seconds - already) * 1000)
    if expires is None:
        return None
    expires_ms = parse_http_date(expires)
    if expires_ms is None:  # "0", "-1" and the like: already expired
        return None
    return _ahead(now_ms, expires_ms - _origin(date, now_ms))


def retry_after_ms(value: str | None, date: str | None, now_ms: int) -> int | None:
    """When the publisher asked to be asked again (`Retry-After`), or None."""
    if value is None:
        return None
    seconds = delta_seconds(value)
    if seconds is not None:
        return _ahead(now_ms, seconds * 1000)
    at_ms = parse_http_date(value)
    if at_ms is None:
        return None
    return _ahead(now_ms, at_ms - _origin(date, now_ms))


def _origin(date: str | None, now_ms: int) -> int:
    """The server's idea of now: its `Date` header when it sent a usable one."""
    date_ms = parse_http_date(date)
    return now_ms if date_ms is None else date_ms


def _ahead(now_ms: int, delta_ms: int) -> int | None:
    if delta_ms < 0:
        return None
    return now_ms + min(delta_ms, MAX_AHEAD_MS)
