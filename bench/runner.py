"""Run one command and measure it: wall time, and the peak RSS of that very child process."""

from __future__ import annotations

import os
import subprocess
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

TIMEOUT_S = 900


@dataclass
class Sample:
    wall_s: float
    rss_mb: float
    rc: int
    output: str
    server: dict[str, int] = field(default_factory=dict)


def child_env() -> dict[str, str]:
    """The environment for measured commands: no proxy, so nothing leaves 127.0.0.1."""
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    return env


def measure(cmd: Sequence[str | Path]) -> Sample:
    """Run `cmd` to its end (killed after TIMEOUT_S). Its peak RSS comes from the rusage that
    wait4() returns for this one child: unlike getrusage(RUSAGE_CHILDREN), which keeps the
    maximum over every child ever waited for, it cannot carry over from an earlier command.
    (For a command that starts worker processes it is the largest single process.)"""
    os.sync()  # don't let the previous command's writeback land in this one's time
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        proc = subprocess.Popen(
            cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=child_env()
        )
        timer = threading.Timer(TIMEOUT_S, proc.kill)
        timer.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read().decode("utf-8", "replace")
    return Sample(wall, usage.ru_maxrss / 1024, proc.returncode, text[-1000:])
