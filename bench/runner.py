"""Run one command and measure it: wall time, and the peak RSS of that very child process.

Peak RSS: `ru_maxrss` of a child that Python starts is at least the harness's own RSS (the
kernel keeps the high-water mark of the address space the child had before exec, which fork or
vfork shares or copies from the harness), and `getrusage(RUSAGE_CHILDREN)` is the maximum over
all children ever waited for. So each command runs under GNU time (`/usr/bin/time -f %M`), a
small C process whose own child is measured; without it, `ru_maxrss` from `wait4()` is
reported, which is only an upper bound.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

TIMEOUT_S = 900
GNU_TIME = Path("/usr/bin/time")
RSS_METHOD = "GNU time %M" if GNU_TIME.exists() else "wait4 ru_maxrss (upper bound)"


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
    """Run `cmd` to its end (its process group killed after TIMEOUT_S), output captured."""
    os.sync()  # don't let the previous command's writeback land in this one's time
    with tempfile.TemporaryDirectory() as scratch:
        rss_file = Path(scratch, "rss")
        if GNU_TIME.exists():
            cmd = [GNU_TIME, "-q", "-f", "%M", "-o", rss_file, *cmd]
        with open(Path(scratch, "out"), "w+b") as out:
            start = time.perf_counter()
            proc = subprocess.Popen(
                cmd,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=child_env(),
                start_new_session=True,
            )
            timer = threading.Timer(TIMEOUT_S, os.killpg, (proc.pid, signal.SIGKILL))
            timer.start()
            _, status, usage = os.wait4(proc.pid, 0)
            wall = time.perf_counter() - start
            timer.cancel()
            out.seek(0)
            text = out.read().decode("utf-8", "replace")
        rss_kb = usage.ru_maxrss
        if GNU_TIME.exists():
            lines = rss_file.read_text().split()
            rss_kb = int(lines[-1]) if lines and lines[-1].isdigit() else 0
    rc = os.waitstatus_to_exitcode(status)
    proc.returncode = rc
    return Sample(wall, rss_kb / 1024, rc, text[-1000:])


def run_checked(cmd: Sequence[str | Path]) -> tuple[float, str]:
    """`measure` a command that must succeed: (wall seconds, the last line it printed); the
    benchmark stops with the command's output when it fails."""
    sample = measure(cmd)
    if sample.rc != 0:
        sys.exit(f"{' '.join(map(str, cmd))} failed ({sample.rc}):\n{sample.output}")
    lines = sample.output.strip().splitlines()
    return sample.wall_s, lines[-1] if lines else ""
