"""`newsmirror.toml`: one declarative table of settings, loaded into frozen objects.

Every problem is reported with the file, the key and what is wrong.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from newsmirror.errors import ConfigError

CONFIG_NAME = "newsmirror.toml"
SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
_OFFSET = re.compile(r"^([+-])(\d\d):(\d\d)$")
BAD_NAME_CHARS = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]')
# Names Windows reserves for devices, whatever the extension: `lists/CON.md` cannot be checked out.
WINDOWS_RESERVED = re.compile(r"^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\..*)?$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Setting:
    key: str
    type: type
    default: Any
    help: str
    choices: tuple[str, ...] = ()
    zero_allowed: bool = False  # for numbers: 0 is a meaningful value (off, automatic)


IMAGE_MODES = ("keep", "proxy", "mirror")
DEFAULT_PROXY = "https://images.weserv.nl/?url={url}"
FULLTEXT_MODES = (True, False, "auto")

MIRROR_SETTINGS = (
    Setting("title", str, "抓取新闻媒体文章", "heading of the mirror's README.md"),
    Setting("list_size", int, 300, "entries per list page"),
    Setting("list_dates", str, "month-day", "date in list entries", ("month-day", "full")),
    Setting("utc_offset", str, "+08:00", "zone of list dates and of date folders"),
    Setting("concurrency", int, 64, "requests in flight at the same time"),
    Setting("per_host", int, 2, "requests to one host at the same time"),
    Setting("timeout", float, 30.0, "seconds allowed for one feed request"),
    Setting("connect_timeout", float, 10.0, "seconds allowed to connect to a host"),
    Setting("max_bytes", int, 64 * 1024 * 1024, "largest feed body accepted"),
    Setting("workers", int, 0, "processes for a pass (0: one per core for 16+ sources)"),
    Setting("stale_hours", float, 72.0, "a source with nothing new for this long is stale"),
    Setting("retry_ceiling_hours", float, 6.0, "longest wait between retries of a failing source"),
    Setting(
        "heartbeat_days",
        float,
        30.0,
        "commit at least this often, even with no news (0: never)",
        zero_allowed=True,
    ),
    Setting("images", str, "keep", "what to do with pictures in bodies", IMAGE_MODES),
    Setting("image_proxy", str, DEFAULT_PROXY, "URL template of images = proxy ({url})"),
    Setting("image_max_bytes", int, 10 * 1024 * 1024, "largest picture downloaded"),
    Setting("image_max_width", int, 1600, "wider pictures are scaled down to this width"),
    Setting("image_quality", int, 82, "JPEG/WebP quality of re-encoded pictures (1-95)"),
    Setting("image_budget", int, 1000, "pictures downloaded per pass, at most"),
    Setting("page_budget", int, 300, "article pages fetched per pass, at most"),
    Setting("page_max_bytes", int, 8 * 1024 * 1024, "largest article page accepted"),
    Setting("enrich_attempts", int, 4, "tries for a page or picture before giving up"),
    Setting("strip_feedx_footer", bool, False, "remove feedx's promotional footer from bodies"),
    Setting(
        "public_url",
        str,
        "",
        "where the files are published, for links in feeds/ (default: the GitHub remote)",
    ),
    Setting("feed_size", int, 50, "entries per feed in feeds/"),
    Setting("epub", bool, False, "also write each day's digest as an EPUB book"),
    Setting(
        "recheck_per_pass",
        int,
        20,
        "links of recent articles checked per pass for removal (404/410); 0: none",
        zero_allowed=True,
    ),
    Setting("recheck_days", float, 7.0, "how long after archiving an article's link is checked"),
    Setting(
        "recheck_hours",
        float,
        6.0,
        "the least time between two checks of one link",
        zero_allowed=True,
    ),
    Setting("changes_size", int, 200, "edits and removals listed on changes.md"),
)
HOST_SETTINGS = (Setting("per_host", int, None, "requests to this host at the same time"),)

SITE_SETTINGS = (
    Setting("name", str, None, "display name, used for lists/<name>.md"),
    Setting("slug", str, None, "folder under articles/"),
    Setting("url", str, None, "feed URL (http, https or file)"),
    Setting("enabled", bool, True, "fetch this source (false keeps an archive-only site)"),
    Setting("layout", str, "date", "where new articles go", ("date", "flat")),
    Setting("folders", list, [], "older folders under articles/ that belong to this site"),
    Setting("link_from", str, "link", "item field that gives the article link", ("link", "guid")),
    Setting("category_pattern", str, "", "keep only items with a category matching this regex"),
    Setting("default_zone", str, "", "zone of the feed's dates that name none, e.g. +08:00"),
    Setting(
        "fulltext",
        (bool, str),
        "auto",
        'take bodies from article pages: true, false, or "auto" (when the feed gives summaries)',
        FULLTEXT_MODES,
    ),
    Setting("content_selector", str, "", "CSS selector of the article body on its page"),
    Setting("remove_selectors", list, [], "CSS selectors of parts of the page body to drop"),
    Setting(
        "images",
        str,
        "",
        "this source's images setting (default: the mirror's)",
        ("", *IMAGE_MODES),
    ),
)


def _default(settings: tuple[Setting, ...], key: str) -> Any:
    """A setting's default, as the table above says (the one place defaults are written)."""
    value = next(s.default for s in settings if s.key == key)
    return tuple(value) if isinstance(value, list) else value


@dataclass(frozen=True, slots=True)
class Site:
    name: str
    slug: str
    url: str
    enabled: bool = _default(SITE_SETTINGS, "enabled")
    layout: str = _default(SITE_SETTINGS, "layout")
    folders: tuple[str, ...] = _default(SITE_SETTINGS, "folders")
    link_from: str = _default(SITE_SETTINGS, "link_from")
    category_pattern: str = _default(SITE_SETTINGS, "category_pattern")
    default_zone: str = _default(SITE_SETTINGS, "default_zone")
    fulltext: bool | str = _default(SITE_SETTINGS, "fulltext")
    content_selector: str = _default(SITE_SETTINGS, "content_selector")
    remove_selectors: tuple[str, ...] = _default(SITE_SETTINGS, "remove_selectors")
    images: str = _default(SITE_SETTINGS, "images")

    @property
    def all_folders(self) -> tuple[str, ...]:
        return (self.slug, *self.folders)

    @property
    def zone_minutes(self) -> int | None:
        """`default_zone` in minutes east of UTC, None when not set."""
        return offset_minutes(self.default_zone) if self.default_zone else None


@dataclass(frozen=True, slots=True)
class Config:
    path: Path
    sites: tuple[Site, ...]
    title: str = _default(MIRROR_SETTINGS, "title")
    list_size: int = _default(MIRROR_SETTINGS, "list_size")
    list_dates: str = _default(MIRROR_SETTINGS, "list_dates")
    utc_offset: str = _default(MIRROR_SETTINGS, "utc_offset")
    concurrency: int = _default(MIRROR_SETTINGS, "concurrency")
    per_host: int = _default(MIRROR_SETTINGS, "per_host")
    timeout: float = _default(MIRROR_SETTINGS, "timeout")
    connect_timeout: float = _default(MIRROR_SETTINGS, "connect_timeout")
    max_bytes: int = _default(MIRROR_SETTINGS, "max_bytes")
    workers: int = _default(MIRROR_SETTINGS, "workers")
    stale_hours: float = _default(MIRROR_SETTINGS, "stale_hours")
    retry_ceiling_hours: float = _default(MIRROR_SETTINGS, "retry_ceiling_hours")
    heartbeat_days: float = _default(MIRROR_SETTINGS, "heartbeat_days")
    images: str = _default(MIRROR_SETTINGS, "images")
    image_proxy: str = _default(MIRROR_SETTINGS, "image_proxy")
    image_max_bytes: int = _default(MIRROR_SETTINGS, "image_max_bytes")
    image_max_width: int = _default(MIRROR_SETTINGS, "image_max_width")
    image_quality: int = _default(MIRROR_SETTINGS, "image_quality")
    image_budget: int = _default(MIRROR_SETTINGS, "image_budget")
    page_budget: int = _default(MIRROR_SETTINGS, "page_budget")
    page_max_bytes: int = _default(MIRROR_SETTINGS, "page_max_bytes")
    enrich_attempts: int = _default(MIRROR_SETTINGS, "enrich_attempts")
    strip_feedx_footer: bool = _default(MIRROR_SETTINGS, "strip_feedx_footer")
    public_url: str = _default(MIRROR_SETTINGS, "public_url")
    feed_size: int = _default(MIRROR_SETTINGS, "feed_size")
    epub: bool = _default(MIRROR_SETTINGS, "epub")
    recheck_per_pass: int = _default(MIRROR_SETTINGS, "recheck_per_pass")
    recheck_days: float = _default(MIRROR_SETTINGS, "recheck_days")
    recheck_hours: float = _default(MIRROR_SETTINGS, "recheck_hours")
    changes_size: int = _default(MIRROR_SETTINGS, "changes_size")
    # [hosts."name"] / [hosts."name:port"] per_host = N: exceptions to per_host.
    hosts: tuple[tuple[str, int], ...] = ()
    # [[remote]] tables: more homes the mirror is pushed to (`run --push`).
    remotes: tuple[RemoteHome, ...] = ()

    @property
    def offset_minutes(self) -> int:
        return offset_minutes(self.utc_offset)

    def site(self, slug: str) -> Site | None:
        return next((s for s in self.sites if s.slug == slug), None)

    def images_of(self, site: Site) -> str:
        """What happens to a source's pictures: its own `images`, else the mirror's."""
        return site.images or self.images

    @property
    def warnings(self) -> tuple[str, ...]:
        """What is valid but probably not meant: said before a command runs."""
        found = []
        if not self.sites:
            found.append(f"{self.path}: no [[site]] tables: there is nothing to fetch")
        elif not any(s.enabled for s in self.sites):
            found.append(f"{self.path}: every site has enabled = false: there is nothing to fetch")
        return tuple(found)


def offset_minutes(offset: str) -> int:
    """A validated "+08:00" in minutes east of UTC."""
    sign, hours, minutes = _OFFSET.match(offset).groups()  # type: ignore[union-attr]
    return (1 if sign == "+" else -1) * (int(hours) * 60 + int(minutes))


DEFAULT_SITES = (
    Site("路透", "reuters", "https://feedx.net/rss/reuters.xml"),
    Site("纽约时报", "nyt", "https://feedx.net/rss/nytimes.xml"),
    Site("美国之音", "voa", "https://feedx.net/rss/mgzy1.xml"),
    Site("金融时报", "ft", "https://feedx.net/rss/ft.xml"),
    Site("BBC", "bbc", "https://feedx.net/rss/bbc.xml"),
    Site("法广", "rfi", "https://feedx.net/rss/rfi.xml"),
    Site("德国之声", "dw", "https://feedx.net/rss/dw.xml"),
    Site(
        "自由亚洲电台",
        "rfa",
        "https://www.rfa.org/mandarin/yataibaodao/rss2.xml",
        link_from="guid",
    ),
    Site(
        "中国数字时代",
        "cdt",
        "https://chinadigitaltimes.net/chinese/feed/",
        category_pattern="[\u00a9\u00ae\u2000-\u3300\U0001f000-\U0001faff]",
        fulltext=True,
        content_selector="div.post-content",
    ),
)


def load(path: Path) -> Config:
    display = str(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        problem = "not found (is this a mirror? try `newsmirror init`)"
        raise ConfigError(display, None, problem) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(display, None, f"not valid TOML: {exc}") from exc
    return from_dict(raw, path)


def from_dict(raw: dict[str, Any], path: Path) -> Config:
    display = str(path)
    unknown = set(raw) - {"mirror", "site", "hosts", "remote"}
    if unknown:
        raise ConfigError(
            display,
            sorted(unknown)[0],
            "unknown table or key (known: mirror, site, hosts, remote)",
        )
    mirror = _settings(raw.get("mirror", {}), MIRROR_SETTINGS, "mirror", display)
    _check_mirror(mirror, display)
    sites_raw = raw.get("site", [])
    if not isinstance(sites_raw, list):
        raise ConfigError(display, "site", "must be an array of [[site]] tables")
    sites = tuple(_site(entry, i, display) for i, entry in enumerate(sites_raw))
    _check_unique(sites, display)
    hosts = _hosts(raw.get("hosts", {}), display)
    remotes = _remotes(raw.get("remote", []), display)
    return Config(path=path, sites=sites, hosts=hosts, remotes=remotes, **mirror)


REMOTE_SETTINGS = (
    Setting("name", str, None, "a name for this home (lower-case letters, digits, - or _)"),
    Setting("url", str, None, "where git pushes: https://, ssh://, git@host:path or a path"),
    Setting("branch", str, "", "the branch pushed to (default: the mirror's own)"),
)


@dataclass(frozen=True, slots=True)
class RemoteHome:
    """A `[[remote]]`: another place the mirror is pushed to, besides its own upstream."""

    name: str
    url: str
    branch: str = ""


def _remotes(entries: Any, display: str) -> tuple[RemoteHome, ...]:
    if not isinstance(entries, list):
        raise ConfigError(display, "remote", "must be an array of [[remote]] tables")
    found: list[RemoteHome] = []
    for i, entry in enumerate(entries):
        where = f"remote[{i}]"
        values = _settings(entry, REMOTE_SETTINGS, where, display)
        if not SLUG.match(values["name"]):
            raise ConfigError(
                display, f"{where}.name", "must be lower-case letters, digits, - or _"
            )
        if any(r.name == values["name"] for r in found):
            raise ConfigError(display, f"{where}.name", f"{values['name']!r} is used twice")
        if not values["url"].strip() or values["url"].startswith("-"):
            raise ConfigError(display, f"{where}.url", "must be a git URL or path")
        if values["branch"].startswith("-") or " " in values["branch"]:
            raise ConfigError(display, f"{where}.branch", "must be a branch name")
        found.append(RemoteHome(**values))
    return tuple(found)


_HOST = re.compile(r"^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d{1,5})?$|^\[[0-9a-f:.]+\](:\d{1,5})?$")


def _hosts(table: Any, display: str) -> tuple[tuple[str, int], ...]:
    """[hosts."name"] or [hosts."name:port"] tables: per-host exceptions to `per_host`."""
    if not isinstance(table, dict):
        raise ConfigError(display, "hosts", 'must be tables such as [hosts."example.org"]')
    found = []
    for host, settings in table.items():
        where = f'hosts."{host}"'
        if not _HOST.match(host):
            problem = "must be a lower-case host name, or name:port (no scheme, no path)"
            raise ConfigError(display, where, problem)
        values = _settings(settings, HOST_SETTINGS, where, display)
        if values["per_host"] < 1:
            raise ConfigError(display, f"{where}.per_host", "must be 1 or more")
        found.append((_host_key(host), values["per_host"]))
    return tuple(found)


def _host_key(host: str) -> str:
    """A host as the fetch layer names hosts: `name` (every port) or `name:port`, an IPv6
    address without its brackets."""
    if host.startswith("["):
        address, _, rest = host[1:].partition("]")
        return f"{address}:{int(rest[1:])}" if rest.startswith(":") else address
    name, _, port = host.partition(":")
    return f"{name}:{int(port)}" if port else name


def _settings(table: Any, spec: tuple[Setting, ...], where: str, display: str) -> dict[str, Any]:
    if not isinstance(table, dict):
        raise ConfigError(display, where, "must be a table")
    known = {s.key: s for s in spec}
    for key in table:
        if key not in known:
            raise ConfigError(display, f"{where}.{key}", f"unknown key (known: {', '.join(known)})")
    values: dict[str, Any] = {}
    for setting in spec:
        key = f"{where}.{setting.key}"
        if setting.key not in table:
            if setting.default is None:
                raise ConfigError(display, key, "is required")
            values[setting.key] = setting.default
            continue
        values[setting.key] = _typed(table[setting.key], setting, key, display)
    return values


_TYPE_WORDS = {
    int: "an integer",
    float: "a number",
    str: "a string",
    bool: "true or false",
    list: "an array",
    (bool, str): 'true, false or "auto"',
}


def _typed(value: Any, setting: Setting, key: str, display: str) -> Any:
    wanted = setting.type
    if wanted is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, wanted) or (wanted is int and isinstance(value, bool)):
        raise ConfigError(display, key, f"must be {_TYPE_WORDS[wanted]}, not {value!r}")
    if setting.choices and value not in setting.choices:
        choices = ", ".join(toml_value(c) if not isinstance(c, str) else c for c in setting.choices)
        raise ConfigError(display, key, f"must be one of {choices}")
    zero_allowed = setting.zero_allowed or setting.default == 0
    if wanted in (int, float) and (value < 0 or (value == 0 and not zero_allowed)):
        raise ConfigError(
            display, key, "must be 0 or more" if zero_allowed else "must be more than 0"
        )
    return value


def _check_mirror(values: dict[str, Any], display: str) -> None:
    if not _OFFSET.match(values["utc_offset"]):
        raise ConfigError(display, "mirror.utc_offset", 'must look like "+08:00"')
    proxy = values["image_proxy"]
    if "{url}" not in proxy or not proxy.startswith(("http://", "https://")):
        raise ConfigError(
            display,
            "mirror.image_proxy",
            "must be an http(s) URL holding {url}, e.g. " + DEFAULT_PROXY,
        )
    public = values["public_url"]
    if public and not public.startswith(("http://", "https://")):
        raise ConfigError(display, "mirror.public_url", "must be an http(s) URL (or empty)")
    if public and not public.endswith("/"):
        values["public_url"] = public + "/"  # a folder: the paths of files are appended
    if not 1 <= values["image_quality"] <= 95:
        raise ConfigError(display, "mirror.image_quality", "must be from 1 to 95")


def _site(entry: Any, index: int, display: str) -> Site:
    where = f"site[{index}]"
    if not isinstance(entry, dict):
        raise ConfigError(display, where, "must be a table")
    if entry.get("enabled") is False and "url" not in entry:
        entry = {**entry, "url": ""}  # an archive-only site needs no feed
    try:
        values = _settings(entry, SITE_SETTINGS, where, display)
        _check_site(values, where, display)
    except ConfigError as exc:  # say which site: an index alone is hard to count to
        raise ConfigError(exc.path, f"{exc.key}{_site_label(entry)}", exc.problem) from None
    values["folders"] = tuple(values["folders"])
    values["remove_selectors"] = tuple(values["remove_selectors"])
    return Site(**values)


def _site_label(entry: dict[str, Any]) -> str:
    """How to name a site in a message besides its index: its slug, or its name when the slug
    is missing or itself the problem."""
    slug, name = entry.get("slug"), entry.get("name")
    if isinstance(slug, str) and SLUG.match(slug):
        return f' (slug "{slug}")'
    if isinstance(name, str) and name.strip():
        return f' (name "{name[:40]}")'
    return ""


def _check_site(values: dict[str, Any], where: str, display: str) -> None:
    name, slug, url = values["name"], values["slug"], values["url"]
    if not name.strip() or BAD_NAME_CHARS.search(name) or name in (".", "..") or len(name) > 80:
        raise ConfigError(
            display, f"{where}.name", 'must be 1-80 characters without / \\ : * ? " < > | '
        )
    if name != name.rstrip(". ") or WINDOWS_RESERVED.match(name):
        raise ConfigError(
            display, f"{where}.name", f"{name!r} cannot be a file name on Windows (lists/)"
        )
    if not SLUG.match(slug):
        raise ConfigError(
            display,
            f"{where}.slug",
            "must be 1 to 40 lower-case letters, digits, - or _, starting with a letter or digit"
            + (f" (it has {len(slug)} characters)" if len(slug) > 40 else ""),
        )
    if WINDOWS_RESERVED.match(slug):
        raise ConfigError(display, f"{where}.slug", f"{slug!r} is a device name on Windows")
    if values["enabled"] and not url.startswith(("http://", "https://", "file://")):
        raise ConfigError(display, f"{where}.url", "must be an http, https or file URL")
    for folder in values["folders"]:
        # any single path component: old archives' folders are whatever names they had
        if (
            not isinstance(folder, str)
            or folder in ("", ".", "..")
            or any(c in folder for c in "/\\\0")
        ):
            raise ConfigError(display, f"{where}.folders", f"{folder!r} is not a folder name")
    zone = values["default_zone"]
    if zone and (
        not _OFFSET.match(zone) or offset_minutes(zone) not in range(-14 * 60, 14 * 60 + 1)
    ):
        raise ConfigError(display, f"{where}.default_zone", 'must look like "+08:00" (or be "")')
    if values["category_pattern"]:
        try:
            re.compile(values["category_pattern"])
        except re.error as exc:
            raise ConfigError(display, f"{where}.category_pattern", f"bad regex: {exc}") from exc
    selectors = (
        [("content_selector", values["content_selector"])] if values["content_selector"] else []
    )
    for selector in values["remove_selectors"]:
        if not isinstance(selector, str) or not selector.strip():
            raise ConfigError(
                display, f"{where}.remove_selectors", f"{selector!r} is not a CSS selector"
            )
        selectors.append(("remove_selectors", selector))
    for key, selector in selectors:
        problem = css_problem(selector)
        if problem:
            raise ConfigError(
                display, f"{where}.{key}", f"bad CSS selector {selector!r}: {problem}"
            )


def css_problem(selector: str) -> str | None:
    """Why `selector` is not a CSS selector lxml can use; None when it is."""
    from cssselect import SelectorError
    from lxml.cssselect import CSSSelector

    try:
        CSSSelector(selector)
    except (SelectorError, ValueError) as exc:
        return str(exc) or type(exc).__name__
    return None


def _check_unique(sites: tuple[Site, ...], display: str) -> None:
    """Names must differ (one list page each), and so must every folder of every site."""
    owners: dict[str, int] = {}
    for i, site in enumerate(sites):
        tokens = [("name", f"name:{site.name}")]
        tokens += [
            ("slug" if f == site.slug else "folders", f"folder:{f}") for f in site.all_folders
        ]
        for key, token in tokens:
            if token in owners:
                first = sites[owners[token]]
                raise ConfigError(
                    display,
                    f"site[{i}].{key}",
                    f"{token.split(':', 1)[1]!r} is already used by site[{owners[token]}]"
                    f' (slug "{first.slug}")',
                )
            owners[token] = i


def to_toml(config_sites: tuple[Site, ...], mirror: dict[str, Any] | None = None) -> str:
    """The text of a newsmirror.toml holding these sites (with a commented mirror table)."""
    lines = ["# newsmirror configuration: see `newsmirror --help` and the README.", "", "[mirror]"]
    mirror = mirror or {}
    for setting in MIRROR_SETTINGS:
        value = mirror.get(setting.key, setting.default)
        prefix = "" if setting.key in mirror else "# "
        lines.append(f"{prefix}{setting.key} = {toml_value(value)}  # {setting.help}")
    for site in config_sites:
        lines += ["", site_table(site).rstrip("\n")]
    return "\n".join(lines) + "\n"


def site_table(site: Site) -> str:
    """A site's [[site]] table: its required keys, and every other one that is not at its
    default (so that the file says what is particular about the source)."""
    lines = ["[[site]]"]
    for setting in SITE_SETTINGS:
        value = getattr(site, setting.key)
        if setting.default is None or value != _default_for(setting):
            lines.append(f"{setting.key} = {toml_value(value)}")
    return "\n".join(lines) + "\n"


def _default_for(setting: Setting) -> Any:
    return tuple(setting.default) if isinstance(setting.default, list) else setting.default


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    text = str(value)
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    escaped = "".join(c if c.isprintable() else f"\\U{ord(c):08x}" for c in escaped)
    return f'"{escaped}"'
