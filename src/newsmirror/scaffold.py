"""Creating mirrors: `init`, `init --adopt` (an archive of the old system) and `demo`."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path

from newsmirror import config as config_module
from newsmirror import workflow
from newsmirror.config import BAD_NAME_CHARS, DEFAULT_SITES, Site
from newsmirror.errors import MirrorError
from newsmirror.mirror import STATE_DIR, Mirror, ReindexReport
from newsmirror.publish.pages import LISTS, README_MARK
from newsmirror.repo import git
from newsmirror.store import rebuild
from newsmirror.store.layout import ARTICLES
from newsmirror.workflow import InstallSource

_FLAT_FILE = re.compile(r"^\d+(_.*)?\.md$", re.DOTALL)
GITIGNORE = f"# derived from the archive files; `newsmirror reindex` rebuilds it\n{STATE_DIR}/\n"


@dataclass(frozen=True, slots=True)
class InitReport:
    root: Path
    created_repo: bool
    sites: tuple[Site, ...]
    reindexed: ReindexReport | None = None
    unclaimed_folders: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()  # what the operator should know: repositories, replaced files
    committed: tuple[str, ...] = ()  # the paths of the first commit
    workflow: InstallSource | None = None  # None: no workflow written (the demo)
    repository: Path | None = None  # the repository commits go to (None: no git)


def init(
    root: Path, adopt: bool = False, package: str | None = None, force: bool = False
) -> InitReport:
    """Make `root` a mirror: configuration, .gitignore, workflow, git repository, index, and a
    first commit of them, so that the mirror is ready to push."""
    root = root.resolve()
    _refuse_existing(root)
    if adopt and not (root / ARTICLES).is_dir():
        raise MirrorError(f"nothing to adopt: {root / ARTICLES} is not a folder")
    if not adopt and _has_articles(root):
        raise MirrorError(
            f"{root / ARTICLES} already holds article files: to turn an archive into a mirror,"
            " use `newsmirror init --adopt`"
        )
    notes = _refuse_foreign_files(root, adopt, force)
    sites, unclaimed = adopted_sites(root) if adopt else (DEFAULT_SITES, ())
    source = workflow.install_source(package)
    created_repo, repository = _create(root, sites, source, notes)
    mirror = Mirror.open(root)
    with mirror.open_index() as index:
        report = rebuild.reindex(index, mirror.archive)
        if not adopt:  # an adopted archive keeps its README until the first run or build
            mirror.pages.write_readme(index)
    paths = [config_module.CONFIG_NAME, ".gitignore", workflow.WORKFLOW_PATH]
    if adopt:
        paths += [ARTICLES, LISTS, "README.md"]  # an archive not yet in git is committed as it is
        message = "Adopt the archive: newsmirror configuration and workflow"
    else:
        paths.append("README.md")
        message = "Create the mirror: newsmirror configuration, workflow and README"
    committed = _first_commit(root, repository, paths, message)
    return InitReport(
        root, created_repo, sites, report, unclaimed, tuple(notes), committed, source, repository
    )


def _refuse_existing(root: Path) -> None:
    config_path = root / config_module.CONFIG_NAME
    if config_path.exists():
        raise MirrorError(f"{config_path} already exists: this is a mirror already")


def _has_articles(root: Path) -> bool:
    folder = root / ARTICLES
    return folder.is_dir() and next(folder.rglob("*.md"), None) is not None


def _refuse_foreign_files(root: Path, adopt: bool, force: bool) -> list[str]:
    """Files in `root` that init would write over although newsmirror did not write them:
    refused unless `force` (then each is named). An adopted archive's README is the old
    system's index of lists, which the first run replaces by design: said, not refused."""
    notes = []
    foreign = []
    readme = root / "README.md"
    if readme.exists() and README_MARK not in _text(readme):
        if adopt:
            notes.append(
                f"{readme} is kept until the first run, which rewrites it as the mirror's"
                " index of list pages"
            )
        else:
            foreign.append(readme)
    flow = root / workflow.WORKFLOW_PATH
    if flow.exists() and not _text(flow).startswith(workflow.MARKER):
        foreign.append(flow)
    if foreign and not force:
        named = " and ".join(str(p) for p in foreign)
        raise MirrorError(
            f"{named} {'exists' if len(foreign) == 1 else 'exist'} and newsmirror did not write"
            f" {'it' if len(foreign) == 1 else 'them'}: init would replace"
            f" {'it' if len(foreign) == 1 else 'them'}. Use `newsmirror init --force` to replace"
            " such files, or make the mirror in another folder"
        )
    notes += [f"replaced {p}, which newsmirror had not written (--force)" for p in foreign]
    return notes


def _text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def _create(
    root: Path, sites: tuple[Site, ...], source: InstallSource | None, notes: list[str]
) -> tuple[bool, Path | None]:
    """Write the mirror's files and find (or make) its repository: (created, repository)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / config_module.CONFIG_NAME).write_text(config_module.to_toml(sites), encoding="utf-8")
    _write_gitignore(root)
    if source is not None:
        flow = root / workflow.WORKFLOW_PATH
        flow.parent.mkdir(parents=True, exist_ok=True)
        flow.write_text(workflow.render(source, STATE_DIR), encoding="utf-8")
    return _repository(root, notes)


def _repository(root: Path, notes: list[str]) -> tuple[bool, Path | None]:
    """A mirror commits into a repository of its own, unless it is a folder a larger
    repository already tracks files in (an archive kept inside another project)."""
    where = git.placement(root)
    if where.kind == "own":
        return False, root
    if where.kind == "parent":
        notes.append(
            f"commits go to the enclosing repository {where.enclosing}, which tracks files in"
            f" {root}; GitHub runs workflows only from a repository's top folder, so"
            f" {workflow.WORKFLOW_PATH} here will not run (copy it to the top folder, or make the"
            " mirror a repository of its own)"
        )
        return False, where.enclosing
    git.init(root)
    if where.kind == "nested":
        why = "ignores it" if where.ignored else "does not track it"
        notes.append(
            f"{root} is inside the repository {where.enclosing}, which {why}: created a"
            " repository of its own in it"
        )
    return True, root


def _first_commit(
    root: Path, repository: Path | None, paths: list[str], message: str
) -> tuple[str, ...]:
    if repository is None:
        return ()
    present = [p for p in paths if (root / p).exists()]
    git.stage(root, present)
    changed = tuple(sorted({path for _, path in git.staged(root)}))
    if changed:
        git.commit_staged(root, message + "\n")
    return changed


def write_workflow(
    root: Path, package: str | None, force: bool = False, pages: bool = False
) -> InstallSource:
    """(Re)write a mirror's workflow, e.g. with a new install line; a workflow newsmirror did
    not write is replaced only with `force`."""
    flow = root / workflow.WORKFLOW_PATH
    if flow.exists() and not _text(flow).startswith(workflow.MARKER) and not force:
        raise MirrorError(
            f"{flow} exists and newsmirror did not write it: use --force to replace it"
        )
    source = workflow.install_source(package)
    flow.parent.mkdir(parents=True, exist_ok=True)
    flow.write_text(workflow.render(source, STATE_DIR, pages), encoding="utf-8")
    return source


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
    The feeds are copied into the mirror and configured as file URLs; no workflow (a GitHub
    runner could not read them)."""
    root = root.resolve()
    _refuse_existing(root)
    feeds = root / "demo-feeds"
    feeds.mkdir(parents=True, exist_ok=True)
    samples = resources.files("newsmirror") / "demo"
    sites = []
    for name, slug, filename in DEMO_SITES:
        (feeds / filename).write_bytes((samples / filename).read_bytes())
        sites.append(Site(name=name, slug=slug, url=(feeds / filename).as_uri()))
    notes: list[str] = []
    created_repo, repository = _create(root, tuple(sites), None, notes)
    paths = [config_module.CONFIG_NAME, ".gitignore", "demo-feeds"]
    committed = _first_commit(root, repository, paths, "Create the demo mirror")
    return InitReport(
        root,
        created_repo,
        tuple(sites),
        notes=tuple(notes),
        committed=committed,
        repository=repository,
    )
