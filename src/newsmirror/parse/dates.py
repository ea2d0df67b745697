"""Feed dates to epoch milliseconds: RFC 822, ISO 8601 and common non-standard forms.

Rules worth knowing:
- A time without a zone is taken as UTC.
- `CST` is China Standard Time (+08:00), not US Central: the sources mirrored here are mostly
  Chinese-language, and Chinese servers print their zone as CST.
- Military single-letter zones other than Z count as +00:00, as RFC 5322 advises (RFC 822 got
  their signs backwards, so nobody can tell what a sender meant).
- An unknown zone name is taken as UTC; an impossible date (30 February, hour 25) is None.
- A bare number is a Unix time: seconds when it has up to 11 digits, else milliseconds.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "janv", "jän"),
            ("feb", "fév", "fev"),
            ("mar", "mär", "mrz"),
            ("apr", "avr"),
            ("may", "mai"),
            ("jun", "juin"),
            ("jul", "juil"),
            ("aug", "aoû", "aou"),
            ("sep", "sept"),
            ("oct", "okt"),
            ("nov",),
            ("dec", "déc", "dez"),
        ),
        start=1,
    )
    for name in names
}
_ZONES = {
    "UT": 0, "UTC": 0, "GMT": 0, "Z": 0, "WET": 0,
    "EST": -300, "EDT": -240, "CDT": -300, "MST": -420, "MDT": -360, "PST": -480, "PDT": -420,
    "AKST": -540, "AKDT": -480, "HST": -600, "AST": -240, "ADT": -180, "NST": -210,
    "CST": 480, "HKT": 480, "SGT": 480, "AWST": 480, "PHT": 480, "MYT": 480, "BJT": 480,
    "JST": 540, "KST": 540, "IST": 330, "ICT": 420, "WIB": 420, "MSK": 180,
    "BST": 60, "CET": 60, "CEST": 120, "MET": 60, "MEST": 120, "WEST": 60, "EET": 120,
    "EEST": 180, "AEST": 600, "AEDT": 660, "ACST": 570, "NZST": 720, "NZDT": 780,
}  # fmt: skip
_TIME = r"(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?"
_ZONE = (
    r"(?:\s*(?:([+-])(\d{1,2}):?(\d{2})?|(?:GMT|UTC)?([+-])(\d{1,2}):?(\d{2})?|([A-Za-z]{1,5})\b))?"
)
_RFC822 = re.compile(
    r"^(?:[A-Za-z\u00c0-\u024f]+\.?,?\s*)?"  # a weekday, any spelling (never checked)
    r"(?:(\d{1,2})[\s-]+([A-Za-z\u00c0-\u024f]{3,9})\.?[\s,-]+|"  # day month
    r"([A-Za-z]{3,9})\.?\s+(\d{1,2}),?\s+)"  # or month day
    r"(\d{2,4})"
    r"(?:[\sT,]+" + _TIME + _ZONE + r")?"
    r"(?:\s*\(.*\))?\s*$"
)
_CJK_DATE = re.compile(
    r"^(\d{4})\s*[年/.-]\s*(\d{1,2})\s*[月/.-]\s*(\d{1,2})\s*日?"
    r"(?:[\sT]*(?:(上午|下午|凌晨|晚上)\s*)?(\d{1,2})\s*[:：时時点點]\s*(\d{1,2})"
    r"(?:\s*[:：分]\s*(\d{1,2})(?:[.,]\d+)?)?\s*秒?)?"
    r"\s*(?:([+-])(\d{2}):?(\d{2})|(?:GMT|UTC)?([+-])(\d{1,2})(?::?(\d{2}))?|Z|([A-Za-z]{2,5}))?\s*$"
)
_ISO_ZONE_SPACE = re.compile(r"\s+(?=[+-]\d\d:?\d\d$|Z$)")
_ORDINAL = re.compile(r"^(\d{4})-?(\d{3})(?=$|T)")
_EPOCH = re.compile(r"^\d{9,13}(?:\.\d+)?$")


_COMMON = re.compile(
    r"^[A-Z][a-z]{2}, (\d\d) ([A-Z][a-z]{2}) (\d{4}) (\d\d):(\d\d):(\d\d) (GMT|[+-]\d{4})$"
)
_EPOCH_START = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_MS = timedelta(milliseconds=1)


def to_ms(text: str | None) -> int | None:
    """Epoch milliseconds of a feed date, or None when it cannot be read."""
    if not text:
        return None
    common = _COMMON.match(text)
    if common:  # the RFC 822 form nearly every feed uses, read without the general rules
        try:
            return _common(*common.groups())
        except (ValueError, KeyError):
            pass
    text = " ".join(text.split())
    if not text:
        return None
    for reader in (_iso8601, _rfc822, _cjk, _epoch):
        try:
            ms = reader(text)
        except (ValueError, OverflowError):
            ms = None
        if ms is not None:
            return ms
    return None


def _common(day: str, mon: str, year: str, hh: str, mm: str, ss: str, zone: str) -> int:
    when = datetime(
        int(year), _MONTHS[mon.lower()], int(day), int(hh), int(mm), int(ss), tzinfo=UTC
    )
    if zone != "GMT":
        offset = int(zone[1:3]) * 60 + int(zone[3:])
        when -= timedelta(minutes=-offset if zone[0] == "-" else offset)
    return _epoch_ms(when)


def _rfc822(text: str) -> int | None:
    match = _RFC822.match(text)
    if not match:
        return None
    day1, month1, month2, day2, year_s, hour, minute, second = match.groups()[:8]
    month = _MONTHS.get((month1 or month2).lower()[:4]) or _MONTHS.get(
        (month1 or month2)[:3].lower()
    )
    if month is None:
        return None
    year = _full_year(year_s)
    offset = _offset(*match.groups()[8:])
    when = datetime(year, month, int(day1 or day2), *_hms(hour, minute, second), tzinfo=UTC)
    return _epoch_ms(when - timedelta(minutes=offset))


def _iso8601(text: str) -> int | None:
    if not text[:4].isdigit():
        return None
    candidate = _ISO_ZONE_SPACE.sub("", text)
    if len(candidate) > 10 and candidate[10] == " ":
        candidate = candidate[:10] + "T" + candidate[11:]
    ordinal = _ORDINAL.match(candidate)
    if ordinal:  # 2021-186: the 186th day (fromisoformat does not read ordinal dates)
        start = datetime(int(ordinal.group(1)), 1, 1) + timedelta(days=int(ordinal.group(2)) - 1)
        candidate = start.strftime("%Y-%m-%d") + candidate[ordinal.end() :]
    try:
        when = datetime.fromisoformat(candidate)
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return _epoch_ms(when)


def _cjk(text: str) -> int | None:
    match = _CJK_DATE.match(text)
    if not match:
        return None
    year, month, day, half, hour, minute, second = match.groups()[:7]
    hours = int(hour or 0)
    if half in ("下午", "晚上") and hours < 12:
        hours += 12
    elif half in ("上午", "凌晨") and hours == 12:
        hours = 0
    sign, zh, zm, sign2, zh2, zm2, name = match.groups()[7:]
    offset = _offset(sign, zh, zm, sign2, zh2, zm2, name)
    when = datetime(int(year), int(month), int(day), *_hms(str(hours), minute, second), tzinfo=UTC)
    return _epoch_ms(when - timedelta(minutes=offset))


def _epoch(text: str) -> int | None:
    if not _EPOCH.match(text):
        return None
    value = float(text)
    return int(value * 1000) if len(text.partition(".")[0]) <= 11 else int(value)


def _hms(hour: str | None, minute: str | None, second: str | None) -> tuple[int, int, int]:
    seconds = int(second or 0)
    return int(hour or 0), int(minute or 0), min(seconds, 59)  # a leap second is :59


def _full_year(text: str) -> int:
    year = int(text)
    if len(text) <= 2:  # RFC 2822: 00-49 are 2000-2049, 50-99 are 1950-1999
        return year + (2000 if year < 50 else 1900)
    if len(text) == 3:
        return year + 1900
    return year


def _offset(
    sign: str | None,
    hours: str | None,
    minutes: str | None,
    sign2: str | None,
    hours2: str | None,
    minutes2: str | None,
    name: str | None,
) -> int:
    """The zone's offset from UTC in minutes."""
    sign, hours, minutes = (sign, hours, minutes) if sign else (sign2, hours2, minutes2)
    if sign:
        value = int(hours or 0) * 60 + int(minutes or 0)
        return -value if sign == "-" else value
    if name:
        return _ZONES.get(name.upper(), 0)
    return 0


def _epoch_ms(when: datetime) -> int:
    return (when - _EPOCH_START) // _ONE_MS
