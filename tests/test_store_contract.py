"""The storage contract (contract_store.py) against the SQLite store; a second backend adds
itself to IMPLEMENTATIONS and must pass the same cases."""

from __future__ import annotations

from pathlib import Path

import pytest

from contract_store import CASES
from newsmirror.store.sqlite import MIGRATIONS, SCHEMA_VERSION, SqliteStore


def _sqlite(tmp_path: Path):  # type: ignore[no-untyped-def]
    counter = iter(range(1_000_000))
    return lambda: SqliteStore(tmp_path / f"store-{next(counter)}.sqlite")


IMPLEMENTATIONS = {"sqlite": _sqlite}


@pytest.mark.parametrize("name", sorted(IMPLEMENTATIONS))
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.__name__)
def test_the_contract(name, case, tmp_path):
    case(IMPLEMENTATIONS[name](tmp_path))


def test_every_schema_version_has_its_migration():
    assert set(MIGRATIONS) == set(range(2, SCHEMA_VERSION + 1))
