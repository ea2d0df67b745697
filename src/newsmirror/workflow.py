"""The GitHub Actions workflow of a mirror, and where it installs newsmirror from.

The install line must name something GitHub's runner can install: the VCS URL newsmirror itself
was installed from (recorded by pip in `direct_url.json`, PEP 610), an archive URL, a release
from a package index, or what the operator says with `--package`. Never a guess: when none is
known, the workflow says so and fails at its install step, and `init` warns.
"""

from __future__ import annotations

import ipaddress
import json
import shlex
from dataclasses import dataclass
from importlib import metadata
from urllib.parse import urlsplit

from newsmirror import __version__

WORKFLOW_PATH = ".github/workflows/newsmirror.yml"
MARKER = "# newsmirror workflow:"  # the first line of every workflow newsmirror writes
NOT_CONFIGURED = "NOT CONFIGURED"  # in a workflow that does not know what to install
PACKAGE_HINT = '--package "newsmirror @ git+https://github.com/OWNER/newsmirror@TAG"'


@dataclass(frozen=True, slots=True)
class InstallSource:
    """What the workflow pip-installs (`spec`), or None with the reason in `warning`."""

    spec: str | None
    origin: str  # where it came from: "--package", "vcs", "archive", "index", or a local path
    warning: str | None = None


def install_source(
    package: str | None = None, distribution: metadata.Distribution | None = None
) -> InstallSource:
    """Where GitHub can install this newsmirror from: `package` when given, else the source
    recorded for the installed distribution (`distribution`: this one), when GitHub can
    reach it."""
    if package:
        return InstallSource(package.strip(), "--package")
    try:
        found = distribution or metadata.distribution("newsmirror")
    except metadata.PackageNotFoundError:
        return _unknown("newsmirror is not installed as a package (run from a source tree)")
    recorded = found.read_text("direct_url.json")
    if recorded is None:  # installed from a package index, which has this very version
        return InstallSource(f"newsmirror=={found.version or __version__}", "index")
    return from_direct_url(recorded)


def from_direct_url(text: str) -> InstallSource:
    """The install spec for a PEP 610 `direct_url.json`, when its URL is one GitHub reaches."""
    try:
        data = json.loads(text)
        url = str(data["url"])
    except (ValueError, KeyError, TypeError):
        return _unknown("its direct_url.json cannot be read")
    subdirectory = data.get("subdirectory")
    fragment = f"#subdirectory={subdirectory}" if subdirectory else ""
    vcs = data.get("vcs_info")
    if isinstance(vcs, dict) and reachable(url):
        kind = vcs.get("vcs", "git")
        revision = vcs.get("commit_id") or vcs.get("requested_revision")
        at = f"@{revision}" if revision else ""
        return InstallSource(f"newsmirror @ {kind}+{url}{at}{fragment}", "vcs")
    if "archive_info" in data and reachable(url):
        return InstallSource(f"newsmirror @ {url}{fragment}", "archive")
    return _unknown(f"it was installed from {url}, which GitHub cannot reach")


def reachable(url: str) -> bool:
    """Whether a runner on the internet could fetch `url`: http(s) to a public host (not a
    file, not this machine, not a private network)."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or not host:
        return False
    if host == "localhost" or host.endswith((".localhost", ".local", ".internal", ".lan")):
        return False
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return "." in host
    return address.is_global


def _unknown(why: str) -> InstallSource:
    warning = (
        f"the workflow cannot install newsmirror: {why}. Say where GitHub can install it from"
        f" with `newsmirror workflow {PACKAGE_HINT}` (or `init --package`); until then the"
        " workflow fails at its install step. A mirror run only on this machine needs no workflow."
    )
    return InstallSource(None, "unknown", warning)


def render(source: InstallSource, state_dir: str, pages: bool = False) -> str:
    """The workflow file: an hourly pass that commits and pushes, with the index cached; with
    `pages`, the static site built after it and published to GitHub Pages."""
    text = _TEMPLATE.format(
        marker=MARKER,
        state_dir=state_dir,
        install=_install_step(source),
    )
    if pages:
        text = text.replace("permissions:\n  contents: write\n", _PAGES_PERMISSIONS)
        text += _PAGES_STEPS
    return text


PAGES_MARK = "# Publishes the static site"
_PAGES_PERMISSIONS = """permissions:
  contents: write
  pages: write      # the site goes to GitHub Pages (Settings > Pages > Source: GitHub Actions)
  id-token: write
"""
_PAGES_STEPS = """      # Publishes the static site (newsmirror site) to GitHub Pages.
      - name: Build the static site
        run: newsmirror site _site
      - uses: actions/upload-pages-artifact@v3
        with:
          path: _site
  pages:
    needs: mirror
    runs-on: ubuntu-latest
    environment:
      name: github-pages
      url: ${{ steps.deployment.outputs.page_url }}
    steps:
      - id: deployment
        uses: actions/deploy-pages@v4
"""


def _install_step(source: InstallSource) -> str:
    if source.spec is not None:
        return (
            "      - name: Install newsmirror\n"
            "        run: |\n"
            f"          python -m pip install {shlex.quote(source.spec)}\n"
        )
    why = (source.warning or "").split(". Say where")[0]
    return (
        f"      # {NOT_CONFIGURED}: {why}.\n"
        f"      # Rewrite this file with: newsmirror workflow {PACKAGE_HINT}\n"
        "      - name: Install newsmirror (not configured)\n"
        "        run: |\n"
        '          echo "::error::This workflow does not know where to install newsmirror from:'
        ' run newsmirror workflow --package SPEC in the mirror and commit the result."\n'
        "          exit 1\n"
    )


_TEMPLATE = """\
{marker} runs the mirror every hour and commits what is new (see the newsmirror README).
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
      # fetch state (validators, failures, backoff), which only the index holds. An index made
      # for a commit this clone does not have is rebuilt from the files, and its feeds are read
      # in full again, so that a lost push never loses an article.
      - uses: actions/cache/restore@v4
        with:
          path: {state_dir}
          key: newsmirror-index-${{{{ github.run_id }}}}
          restore-keys: newsmirror-index-
{install}      - name: Commit as newsmirror
        run: |
          git config user.name "newsmirror"
          git config user.email "newsmirror@users.noreply.github.com"
      # Exit codes: 5 when every source failed (the workflow turns red at once), 6 when the
      # commit could not be pushed (after replaying it on newer commits three times). When
      # nothing new arrives for heartbeat_days, the pass commits status.md anyway, so that
      # GitHub does not disable this schedule after 60 days without activity.
      - name: Run the mirror
        run: newsmirror run --push
      - uses: actions/cache/save@v4
        if: always()
        with:
          path: {state_dir}
          key: newsmirror-index-${{{{ github.run_id }}}}
      # Fails the workflow (and so notifies its owner) while a source has produced nothing
      # for longer than stale_hours; the pass above has already been committed and pushed.
      - name: Check for stale sources
        run: newsmirror status --check-stale
"""
