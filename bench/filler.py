"""Synthetic archived articles, to grow a mirror to a given size without fetching anything.

Files follow newsmirror's layout `articles/<slug>/<YYYY>/<MM>/<DD>/<HHMMSS>-<12 hex>.md` in the
mirror's zone (its `utc_offset`, +08:00 by default) and the archive format; every file has its
own link and hex name, and all are older than `before_ms`, so none collides with a feed's item.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

BODY = "<p>" + "填充文章正文，用于测量归档规模对一次运行的影响。" * 12 + "</p>"


def article_text(ms: int, title: str, link: str) -> str:
    return f"<!--{ms}-->\n[{title}]({link})\n------\n\n{BODY}\n"


def write_filler(
    root: Path,
    slugs: list[str],
    count: int,
    before_ms: int,
    offset_minutes: int = 480,
    step_ms: int = 60_000,
) -> int:
    """Write `count` articles under root/articles, round-robin over `slugs`, `step_ms` apart
    (a minute by default) going back from a day before `before_ms`. Returns the number of
    files written."""
    made: set[Path] = set()
    for k in range(count):
        slug = slugs[k % len(slugs)]
        ms = before_ms - 86_400_000 - k * step_ms
        link = f"https://filler.example.org/{slug}/{k:07d}.html"
        digest = hashlib.sha1(link.encode()).hexdigest()[:12]
        local = time.gmtime(ms // 1000 + offset_minutes * 60)
        day = Path(root, "articles", slug, time.strftime("%Y/%m/%d", local))
        if day not in made:
            day.mkdir(parents=True, exist_ok=True)
            made.add(day)
        name = time.strftime("%H%M%S", local) + f"-{digest}.md"
        (day / name).write_text(article_text(ms, f"填充文章 {slug} {k}", link), encoding="utf-8")
    return count


def file_sites(feeds: Path, slugs: list[str]) -> str:
    """`[[site]]` tables of sources read from `feeds/<slug>.xml` (file URLs), named 站点NN,
    reading no article pages."""
    return "".join(
        f'\n[[site]]\nname = "站点{n:02d}"\nslug = "{slug}"\n'
        f'url = "{(feeds / f"{slug}.xml").as_uri()}"\nfulltext = false\n'
        for n, slug in enumerate(slugs)
    )
