"""Every corpus document parses or is refused cleanly; real feeds agree with feedparser."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from conftest import REPO, shared_path


def _script() -> ModuleType:
    path = REPO / "bench" / "corpus_agreement.py"
    spec = importlib.util.spec_from_file_location("corpus_agreement", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def test_no_corpus_document_crashes_or_hangs():
    script = _script()
    report = script.Report()
    script.run_all(shared_path("corpus", "feeds"), report)
    assert report.crashed == []
    assert report.parsed > 2500


def test_real_feeds_agree_with_feedparser():
    script = _script()
    report = script.Report()
    root: Path = shared_path("corpus", "feeds")
    script.compare_real(root, report)
    assert report.real >= 80
    unexplained = [p for p, why in report.disagreements if "not explained yet" in why]
    assert unexplained == []
    assert report.figure >= 0.98, script.markdown(report)
