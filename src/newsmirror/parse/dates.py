"""Feed dates to epoch milliseconds: RFC 822, ISO 8601 and common non-standard forms."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from email.utils import parsedate_tz

_CJK_DATE = re.compile(
    r"(\d{4})\s*[年/.-]\s*(\d{1,2})\s*[月/.-]\s*(\d{1,2})\s*日?"
    r"(?:\s*(\d{1,2})[:：时](\d{1,2})(?:[:：分](\d{1,2}))?)?"
)
_ZONE_TAIL = re.compile(r"([+-]\d\d):?(\d\d)$|Z$", re.IGNORECASE)


def to_ms(text: str | None) -> int | None:
    """Epoch milliseconds of a feed date, or None when it cannot be read.
    Times without a zone are taken as UTC."""
    if not text:
        return None
    text = text.strip()
    if not text:
        return None
    for reader in (_rfc822, _iso8601, _loose):
        ms = reader(text)
        if ms is not None:
            return ms
    return None


def _rfc822(text: str) -> int | None:
    if not text[:1].isalpha() and not text[:2].strip().isdigit():
        return None
    parts = parsedate_tz(text)
    if parts is None or parts[0] < 100:
        return None
    year, month, day, hour, minute, second = parts[:6]
    offset = parts[9] or 0
    try:
        when = datetime(year, month, day, hour, minute, min(second, 59), tzinfo=UTC)
    except ValueError:
        return None
    return _epoch_ms(when - timedelta(seconds=offset))


def _iso8601(text: str) -> int | None:
    candidate = text.replace(" ", "T", 1) if len(text) > 10 and text[10] == " " else text
    try:
        when = datetime.fromisoformat(candidate)
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return _epoch_ms(when)


def _loose(text: str) -> int | None:
    match = _CJK_DATE.search(text)
    if not match:
        return None
    year, month, day, hour, minute, second = (int(g) if g else 0 for g in match.groups())
    zone = _ZONE_TAIL.search(text)
    tz = UTC
    if zone and zone.group(1):
        sign = -1 if zone.group(1).startswith("-") else 1
        tz = timezone(sign * timedelta(hours=abs(int(zone.group(1))), minutes=int(zone.group(2))))
    try:
        return _epoch_ms(datetime(year, month, day, hour, minute, second, tzinfo=tz))
    except ValueError:
        return None


def _epoch_ms(when: datetime) -> int:
    delta = when - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000
