"""Golden files: feed in, articles out, one folder per class of what real feeds do.

`tests/fixtures/golden/<class>/` holds feeds (each becomes a site named after its file, with
extra site settings in `<name>.toml` beside it) and `expected/`: the article files a pass must
write, byte for byte, and `notes.txt`, what the pass must record about skipped items and cut
bodies. Each expected file was read and checked by hand against its feed; after a deliberate
change of the format, `NEWSMIRROR_UPDATE_GOLDEN=1 pytest tests/test_golden.py` rewrites them,
and the diff is then reviewed like code.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from conftest import FIXTURES
from newsmirror.cli import main
from newsmirror.store.sqlite import SqliteStore

GOLDEN = FIXTURES / "golden"
CLASSES = sorted(p.name for p in GOLDEN.iterdir() if p.is_dir())
UPDATE = os.environ.get("NEWSMIRROR_UPDATE_GOLDEN") == "1"


def _mirror_of(case: Path, root: Path) -> None:
    lines = ["[mirror]", 'utc_offset = "+08:00"']
    for feed in sorted(case.glob("*.xml")) + sorted(case.glob("*.json")):
        copy = root / "feeds" / feed.name
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(feed, copy)
        lines += ["[[site]]", f'name = "{feed.stem}"', f'slug = "{feed.stem}"']
        lines.append(f'url = "{copy.as_uri()}"')
        extra = feed.with_suffix(".toml")
        if extra.exists():
            lines.append(extra.read_text(encoding="utf-8").strip())
    (root / "newsmirror.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _written(root: Path) -> dict[str, str]:
    articles = root / "articles"
    return {
        p.relative_to(root).as_posix(): p.read_text(encoding="utf-8")
        for p in sorted(articles.rglob("*.md"))
    }


def _notes(root: Path) -> str:
    index = SqliteStore(root / ".newsmirror" / "index.sqlite")
    try:
        rows = index.db.execute(
            "SELECT site, notes FROM fetches WHERE notes IS NOT NULL ORDER BY site"
        ).fetchall()
    finally:
        index.close()
    return "".join(f"{site}: {notes}\n" for site, notes in rows)


@pytest.mark.parametrize("name", CLASSES)
def test_golden(name: str, tmp_path: Path) -> None:
    case = GOLDEN / name
    root = tmp_path / "m"
    _mirror_of(case, root)
    assert main(["-C", str(root), "run", "--no-commit"]) == 0
    written, notes = _written(root), _notes(root)
    expected_dir = case / "expected"
    if UPDATE:
        shutil.rmtree(expected_dir, ignore_errors=True)
        for path, text in written.items():
            (expected_dir / path).parent.mkdir(parents=True, exist_ok=True)
            (expected_dir / path).write_text(text, encoding="utf-8")
        (expected_dir / "notes.txt").parent.mkdir(parents=True, exist_ok=True)
        (expected_dir / "notes.txt").write_text(notes, encoding="utf-8")
    expected = {
        p.relative_to(expected_dir).as_posix(): p.read_text(encoding="utf-8")
        for p in sorted((expected_dir / "articles").rglob("*.md"))
    }
    assert sorted(written) == sorted(expected)
    for path, text in expected.items():
        assert written[path] == text, path
    assert notes == (expected_dir / "notes.txt").read_text(encoding="utf-8")
