"""Spreading a pass over processes: parsing, cleaning and writing are CPU work, and a machine
has more than one core. Sources are split into shards; shard 0 runs here, the others in child
processes."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import TypeVar

from newsmirror.config import Site
from newsmirror.events import Observer, Relay, ignore
from newsmirror.fetch.hosts import host_key

T = TypeVar("T")
MIN_SOURCES_PER_WORKER = 8  # below this a second process costs more than it saves


def worker_count(setting: int, sources: int) -> int:
    """Processes for a pass: the `workers` setting, or (0) one per core for large mirrors."""
    if setting > 0:
        return max(1, min(setting, sources))
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(cores or 1, 4, sources // MIN_SOURCES_PER_WORKER))


def plan_shards(sites: Sequence[Site], count: int) -> list[list[Site]]:
    """Split sites into at most `count` shards of about equal size, keeping all sources of one
    host in one shard (each process limits its requests per host, so a host split over
    processes would get more than its share). Config order is kept within a shard."""
    count = max(1, min(count, len(sites)))
    groups: dict[str, list[int]] = {}
    for i, site in enumerate(sites):
        groups.setdefault(host_key(site.url), []).append(i)
    shards: list[list[int]] = [[] for _ in range(count)]
    for group in sorted(groups.values(), key=len, reverse=True):
        min(shards, key=len).extend(group)
    return [[sites[i] for i in sorted(shard)] for shard in shards if shard]


def run_shards(
    shards: Sequence[T],
    here: Callable[[T], list],
    child: Callable[[T], list],
    failed: Callable[[T, BaseException], list],
    observer: Observer = ignore,
) -> list:
    """`here(shards[0])` in this process while `child(shard)` runs for the others elsewhere;
    a child that dies becomes `failed(shard, error)`. Results in shard order. Children report
    their events to `observer` through a queue (see `child_observer`).

    Interrupted (Ctrl-C), the children are killed at once: what they journaled is finished by
    the next run's recovery, as after any crash."""
    if not shards:
        return []
    if len(shards) == 1:
        return here(shards[0])
    context = _context()
    relay = Relay(context.Queue(), observer)
    pool = ProcessPoolExecutor(
        len(shards) - 1,
        mp_context=context,
        initializer=_start_child,
        initargs=(os.getpid(), relay.queue),
    )
    try:
        futures = [pool.submit(child, shard) for shard in shards[1:]]
        relay.start()
        results = here(shards[0])
        for shard, future in zip(shards[1:], futures, strict=True):
            try:
                results += future.result()
            except Exception as exc:  # the child died: its sources fail, the pass goes on
                results += failed(shard, exc)
    except BaseException:
        for process in multiprocessing.active_children():
            process.kill()
        # Let the pool's manager thread see its workers gone and close its wake-up pipe now:
        # left to interpreter exit, its exit hook may write to that pipe while the thread
        # closes it (a race in Python 3.11), printing a traceback after the one-line message.
        manager = getattr(pool, "_executor_manager_thread", None)
        pool.shutdown(wait=False, cancel_futures=True)
        if manager is not None:
            manager.join(timeout=5)
        raise
    pool.shutdown()
    relay.close()
    return results


_CHANNEL = None  # in a child: the queue its events go to


def child_observer() -> Observer:
    """The observer for a pass's work in a child process (its events go to the parent)."""
    channel = _CHANNEL
    return channel.put if channel is not None else ignore


def _start_child(parent_pid: int, channel: object) -> None:
    global _CHANNEL
    _CHANNEL = channel
    # Ctrl-C reaches the whole process group; the parent alone answers it (and kills us).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent(parent_pid)


def die_with_parent(parent_pid: int) -> None:
    """Make this worker end when the run that started it is killed: an orphan would keep the
    mirror's lock (inherited) and block on a result nobody reads, stopping every later run.
    Linux only (prctl); elsewhere an orphan ends when its work is done."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent_pid:  # the parent died before the call: nobody waits for us
        os._exit(1)


def _context() -> multiprocessing.context.BaseContext:
    # fork starts in milliseconds; it is only safe while this process runs no other threads.
    if "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")
