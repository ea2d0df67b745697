"""Where an article file goes: pure functions from (site, article, what is taken) to a path.

Date layout (default): articles/<slug>/<YYYY>/<MM>/<DD>/<HHMMSS>-<key hash>.md, in the mirror's
zone. A day folder holds one day of one site, so it stays far below GitHub's 1,000-entry listing
limit; names sort in publication order, carry no title, and are the same on every run.
Flat layout (adopted archives): articles/<folder>/<id>.md with ids counting down, as the old
system numbered them, but the next id comes from the numeric minimum, not from byte order.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

ARTICLES = "articles"
_DATE_NAME = re.compile(r"^(\d{6})-([0-9a-f]{12})(?:-(\d+))?\.md$")
_FLAT_NAME = re.compile(r"^(\d+)(?:_.*)?\.md$", re.DOTALL)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def local_time(ms: int, offset_minutes: int) -> datetime:
    return _EPOCH + timedelta(milliseconds=ms, minutes=offset_minutes)


def date_path(slug: str, published_ms: int, key_hash: str, offset_minutes: int, n: int = 1) -> str:
    when = local_time(published_ms, offset_minutes)
    suffix = "" if n == 1 else f"-{n}"
    return (
        f"{ARTICLES}/{slug}/{when.year:04d}/{when.month:02d}/{when.day:02d}/"
        f"{when.hour:02d}{when.minute:02d}{when.second:02d}-{key_hash}{suffix}.md"
    )


def flat_path(folder: str, flat_id: int) -> str:
    return f"{ARTICLES}/{folder}/{flat_id}.md"


def key_hash_of(path: str) -> str | None:
    """The identity hash a date-layout file name carries, if it is one."""
    match = _DATE_NAME.match(path.rpartition("/")[2])
    return match.group(2) if match else None


def flat_id_of(path: str) -> int | None:
    """The id of a flat-layout file (`<id>.md` or the early `<id>_<title>.md`)."""
    name = path.rpartition("/")[2]
    parts = path.split("/")
    if len(parts) != 3:
        return None
    match = _FLAT_NAME.match(name)
    return int(match.group(1)) if match else None


def rank_of(path: str) -> int:
    """Tie-break among articles of the same time: a lower flat id is newer."""
    flat_id = flat_id_of(path)
    return -flat_id if flat_id is not None else 0


def folder_of(path: str) -> str:
    """The folder under articles/ a path belongs to (which names the site)."""
    return path.split("/", 2)[1]


def is_article_name(path: str) -> bool:
    """Whether a file name is one newsmirror gives articles (date layout or flat id)."""
    name = path.rpartition("/")[2]
    return _DATE_NAME.match(name) is not None or _FLAT_NAME.match(name) is not None


def relative_path(target: str, start_folder: str) -> str:
    """`target` relative to the folder `start_folder`, both relative to the mirror's root
    (`posixpath.relpath` would consult the working directory, which may be gone)."""
    to = [p for p in target.split("/") if p]
    start = [p for p in start_folder.split("/") if p and p != "."]
    common = 0
    while common < min(len(to), len(start)) and to[common] == start[common]:
        common += 1
    return "/".join([".."] * (len(start) - common) + to[common:]) or "."
