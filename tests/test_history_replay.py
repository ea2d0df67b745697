"""The replay of a generated feed history (bench/history_gen.py, bench/history_replay.py)
through real passes against a loopback server, scored against the truth: the issue's goals
on a few days of three sites."""

from __future__ import annotations

import contextlib
import io
import sys
from pathlib import Path

from newsmirror.cli import main

BENCH = Path(__file__).resolve().parent.parent / "bench"


def _run(root: Path) -> None:
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(["-q", "-C", str(root), "run", "--force", "--no-commit"]) == 0


def test_a_replayed_history_meets_the_goals(tmp_path):
    sys.path.insert(0, str(BENCH))
    try:
        import history_replay
    finally:
        sys.path.remove(str(BENCH))
    score = history_replay.replay(tmp_path / "m", days=5, seed=11, run=_run)
    assert score.stories > 100 and score.edits_expected > 15 and score.deletions >= 3
    assert score.false_merges == 0
    assert score.duplicates <= score.stories // 100
    assert score.edits_captured >= 0.99 * score.edits_expected
    assert score.noise_taken_for_edits == 0
    assert score.deletions_detected >= 0.95 * score.deletions
    assert score.false_removals == 0
    assert score.twins_as_variants == score.twins > 0
