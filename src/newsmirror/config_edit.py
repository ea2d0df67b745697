"""Changing the sources of a `newsmirror.toml` from the command line (`add`, `remove`,
`import-opml`) without losing what the operator wrote in it: new [[site]] tables are appended,
a removed one is cut out, every comment and other table stays byte for byte. The result is
loaded (every rule checked) before it replaces the file, atomically."""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from urllib.parse import urlsplit

from newsmirror import config as config_module
from newsmirror.config import BAD_NAME_CHARS, WINDOWS_RESERVED, Config, Site, site_table, toml_value
from newsmirror.errors import ConfigError
from newsmirror.opml import Subscription

_TABLE = re.compile(r"^\s*\[", re.MULTILINE)
_SLUG_CHARS = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True, slots=True)
class Change:
    added: tuple[Site, ...] = ()
    skipped: tuple[tuple[str, str], ...] = ()  # (what, why)


def _key(url: str) -> str:
    """A feed URL as compared for duplicates: scheme and host lower-cased, no fragment, no
    trailing slash, http and https alike."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower().removeprefix("www.")
    port = f":{parts.port}" if parts.port and parts.port not in (80, 443) else ""
    path = parts.path.rstrip("/") or "/"
    return f"{host}{port}{path}?{parts.query}" if parts.query else f"{host}{port}{path}"


def slug_for(title: str, url: str, taken: set[str]) -> str:
    """A slug from the title's Latin letters and digits, else the feed's host; unique among
    `taken` (a -2, -3... suffix)."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    base = _SLUG_CHARS.sub("-", ascii_title.lower()).strip("-")[:30].strip("-")
    if len(base) < 2:
        host = (urlsplit(url).hostname or "feed").lower().removeprefix("www.")
        host = host.removeprefix("feeds.").removeprefix("rss.")
        base = _SLUG_CHARS.sub("-", host.rsplit(".", 1)[0] if "." in host else host).strip("-")
        base = base[:30].strip("-") or "feed"
    if not base[0].isalnum():
        base = "f" + base
    slug, n = base, 2
    while slug in taken or WINDOWS_RESERVED.match(slug):
        slug, n = f"{base[:36]}-{n}", n + 1
    return slug


def name_for(title: str, url: str, taken: set[str]) -> str:
    """A display name (a file name of lists/) from the title, else the host; unique."""
    name = BAD_NAME_CHARS.sub(" ", title)
    name = " ".join(name.split())[:70].rstrip(". ")
    if not name or name in (".", ".."):
        name = (urlsplit(url).hostname or "feed").removeprefix("www.")
    if WINDOWS_RESERVED.match(name):  # `lists/CON.md` cannot be checked out
        name = f"{name} feed"
    unique, n = name, 2
    while unique in taken:
        unique, n = f"{name} {n}", n + 1
    return unique


def plan_additions(config: Config, wanted: Iterable[Subscription]) -> Change:
    """Which subscriptions become sources (with a name and slug each), which are skipped."""
    urls = {_key(s.url): s.slug for s in config.sites if s.url}
    slugs = {s.slug for s in config.sites}
    names = {s.name for s in config.sites}
    added: list[Site] = []
    skipped: list[tuple[str, str]] = []
    for sub in wanted:
        label = sub.title or sub.xml_url
        sub = Subscription(sub.title, _lower_scheme_and_host(sub.xml_url), sub.html_url)
        if not sub.xml_url.startswith(("http://", "https://")):
            skipped.append((label, f"not an http(s) feed URL: {sub.xml_url!r}"))
            continue
        key = _key(sub.xml_url)
        if key in urls:
            skipped.append((label, f"already a source ({urls[key]})"))
            continue
        slug = slug_for(sub.title, sub.xml_url, slugs)
        name = name_for(sub.title, sub.xml_url, names)
        site = Site(name, slug, sub.xml_url)
        added.append(site)
        urls[key], slugs, names = slug, slugs | {slug}, names | {name}
    return Change(tuple(added), tuple(skipped))


def _lower_scheme_and_host(url: str) -> str:
    """`HTTPS://Example.ORG/Path` as `https://example.org/Path` (only those two are
    case-insensitive)."""
    url = url.strip()
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    host, slash, path = rest.partition("/")
    return f"{scheme.lower()}://{host.lower()}{slash}{path}"


def append_sites(path: Path, sites: Iterable[Site]) -> Config:
    """Append [[site]] tables to the file; the new configuration (checked before writing)."""
    text = path.read_text(encoding="utf-8")
    tables = "".join(f"\n{site_table(site)}" for site in sites)
    return _replace(path, text.rstrip("\n") + "\n" + tables)


def remove_site(path: Path, slug: str, keep_archive: bool) -> Config:
    """Cut the source's [[site]] table out of the file; with `keep_archive`, leave an
    archive-only table (enabled = false) in its place, so that its articles stay listed."""
    text = path.read_text(encoding="utf-8")
    config = config_module.from_dict(config_module.tomllib.loads(text), path)
    site = config.site(slug)
    if site is None:
        raise ConfigError(str(path), "site", f"no source has slug {slug!r}")
    start, end = _table_span(text, slug)
    replacement = ""
    if keep_archive:
        replacement = (
            f"[[site]]  # removed: its archive stays, listed, never fetched\n"
            f"name = {toml_value(site.name)}\nslug = {toml_value(site.slug)}\n"
            + (f"folders = {toml_value(site.folders)}\n" if site.folders else "")
            + (f'layout = "{site.layout}"\n' if site.layout != "date" else "")
            + "enabled = false\n\n"
        )
    return _replace(path, text[:start] + replacement + text[end:])


def _table_span(text: str, slug: str) -> tuple[int, int]:
    """Where the [[site]] table with this slug starts and ends in the file's text."""
    starts = [m.start() for m in _TABLE.finditer(text)] + [len(text)]
    wanted = re.compile(rf"^\s*slug\s*=\s*[\"']{re.escape(slug)}[\"']\s*(#.*)?$", re.MULTILINE)
    for start, end in pairwise(starts):
        block = text[start:end]
        if block.lstrip().startswith("[[site]]") and wanted.search(block):
            return start, end
    raise ConfigError("newsmirror.toml", "site", f"cannot find the [[site]] table of {slug!r}")


def _replace(path: Path, text: str) -> Config:
    config = config_module.from_dict(config_module.tomllib.loads(text), path)  # checks all
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temp.write_text(text, encoding="utf-8")
    os.replace(temp, path)
    return config
