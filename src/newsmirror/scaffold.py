"""Creating mirrors: `init`, `init --adopt` (an archive of the old system) and `demo`."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path

from newsmirror import __version__
from newsmirror import config as config_module
from newsmirror.config import BAD_NAME_CHARS, DEFAULT_SITES, Site
from newsmirror.errors import MirrorError
from newsmirror.mirror import STATE_DIR, Mirror, ReindexReport
from newsmirror.publish import git
from newsmirror.store.layout import ARTICLES

WORKFLOW_PATH = ".github/workflows/newsmirror.yml"
_FLAT_FILE = re.compile(r"^\d+(_.*)?\.md$", re.DOTALL)

WORKFLOW = """\
# Runs the mirror every hour and commits what is new (see the newsmirror README).
name: newsmirror
on:
  schedule:
    - cron: "23 * * * *"   # minute 23: away from the top of the hour, when everyone runs
  workflow_dispatch: {{}}
permissions:
  contents: write
concurrency:
  group: newsmirror
  cancel-in-progress: false
jobs:
  mirror:
    runs-on: ubuntu-latest
    timeout-minutes: 30
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.12"
      # The index: articles (derived from the files; caching saves a rebuild) and each source's
      # fetch state (validators, failures, backoff), which only the index holds.
      - uses: actions/cache/restore@v4
        with:
          path: {state_dir}
          key: newsmirror-index-${{{{ github.run_id }}}}
          restore-keys: newsmirror-index-
      - run: pip install "{package}"
      - run: |
          git config user.name "newsmirror"
          git config user.email "newsmirror@users.noreply.github.com"
      - run: newsmirror run --push
      - uses: actions/cache/save@v4
        if: always()
        with:
          path: {state_dir}
          key: newsmirror-index-${{{{ github.run_id }}}}
      # Fails the workflow (and so notifies its owner) while a source has produced nothing
      # for longer than stale_hours; the pass above has already been committed and pushed.
      - run: newsmirror status --check-stale
"""

GITIGNORE = f"# derived from the archive files; `newsmirror reindex` rebuilds it\n{STATE_DIR}/\n"


@dataclass(frozen=True, slots=True)
class InitReport:
    root: Path
    created_repo: bool
    sites: tuple[Site, ...]
    reindexed: ReindexReport | None = None
    unclaimed_folders: tuple[str, ...] = ()


def init(root: Path, adopt: bool = False, package: str | None = None) -> InitReport:
    """Make `root` a mirror: configuration, .gitignore, workflow, git repository, index."""
    root = root.resolve()
    _refuse_existing(root)
    if adopt and not (root / ARTICLES).is_dir():
        raise MirrorError(f"nothing to adopt: {root / ARTICLES} is not a folder")
    sites, unclaimed = adopted_sites(root) if adopt else (DEFAULT_SITES, ())
    created_repo = _create(root, sites, package)
    mirror = Mirror.open(root)
    with mirror.open_index() as index:
        report = mirror.reindex(index)
        if not adopt:  # an adopted archive keeps its README until the first run or build
            mirror.write_readme()
    return InitReport(root, created_repo, sites, report, unclaimed)


def _refuse_existing(root: Path) -> None:
    config_path = root / config_module.CONFIG_NAME
    if config_path.exists():
        raise MirrorError(f"{config_path} already exists: this is a mirror already")


def _create(root: Path, sites: tuple[Site, ...], package: str | None) -> bool:
    """Write the mirror's files; True when a git repository had to be created."""
    root.mkdir(parents=True, exist_ok=True)
    (root / config_module.CONFIG_NAME).write_text(config_module.to_toml(sites), encoding="utf-8")
    _write_gitignore(root)
    workflow = root / WORKFLOW_PATH
    if not workflow.exists():
        workflow.parent.mkdir(parents=True, exist_ok=True)
        package = package or f"newsmirror=={__version__}"
        workflow.write_text(WORKFLOW.format(state_dir=STATE_DIR, package=package), encoding="utf-8")
    if git.is_repo(root):
        return False
    git.init(root)
    return True


def _write_gitignore(root: Path) -> None:
    path = root / ".gitignore"
    existing = path.read_text(encoding="utf-8") if path.exists() else ""
    if f"{STATE_DIR}/" in existing.splitlines():
        return
    if existing and not existing.endswith("\n"):
        existing += "\n"
    path.write_text(existing + GITIGNORE, encoding="utf-8")


def adopted_sites(root: Path) -> tuple[tuple[Site, ...], tuple[str, ...]]:
    """The default sites mapped onto the folders of an old archive, plus archive-only sites
    for folders no default site claims (so that every file stays indexed and listed)."""
    folders = sorted(p.name for p in (root / ARTICLES).iterdir() if p.is_dir())
    sites: list[Site] = []
    claimed: set[str] = set()
    for site in DEFAULT_SITES:
        mine = [f for f in folders if f in (site.slug, site.name)]
        claimed.update(mine)
        if not mine:
            sites.append(site)
            continue
        legacy = tuple(f for f in mine if f != site.slug)
        flat = any(_has_flat_files(root / ARTICLES / f) for f in mine)
        sites.append(replace(site, folders=legacy, layout="flat" if flat else site.layout))
    unclaimed = tuple(f for f in folders if f not in claimed)
    for n, folder in enumerate(unclaimed, 1):
        sites.append(_archive_only_site(folder, n))
    return tuple(sites), unclaimed


def _archive_only_site(folder: str, n: int) -> Site:
    """A site for a folder no default site claims: indexed and listed, never fetched."""
    name = BAD_NAME_CHARS.sub("_", folder)[:80]  # a list page name every OS accepts
    if re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,39}", folder):
        return Site(name=name, slug=folder, url="", enabled=False)
    return Site(name=name, slug=f"folder{n}", url="", enabled=False, folders=(folder,))


def _has_flat_files(folder: Path) -> bool:
    return any(_FLAT_FILE.match(entry.name) for entry in folder.iterdir() if entry.is_file())


DEMO_SITES = (
    ("示例新闻", "sample-rss", "sample-rss.xml"),
    ("Sample Atom", "sample-atom", "sample-atom.xml"),
    ("示例 JSON", "sample-json", "sample-feed.json"),
)


def demo(root: Path) -> InitReport:
    """A mirror of the sample feeds shipped with newsmirror: works with no network.
    The feeds are copied into the mirror and configured as file URLs."""
    root = root.resolve()
    _refuse_existing(root)
    feeds = root / "demo-feeds"
    feeds.mkdir(parents=True, exist_ok=True)
    samples = resources.files("newsmirror") / "demo"
    sites = []
    for name, slug, filename in DEMO_SITES:
        (feeds / filename).write_bytes((samples / filename).read_bytes())
        sites.append(Site(name=name, slug=slug, url=(feeds / filename).as_uri()))
    created_repo = _create(root, tuple(sites), None)
    return InitReport(root, created_repo, tuple(sites))
