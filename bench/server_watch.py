"""What a server costs its host while it serves: the resident memory of each of its processes
and the CPU time of the whole process tree, sampled with psutil once a second (Linux: the
high-water mark comes from ``/proc``).

An operator sizing a machine for a district asks how much memory one gunicorn worker needs
once it has served every kind of page, how that grows under load, and how much CPU each
request costs the web server and the database. :class:`Watch` samples a process tree (a
gunicorn master and its workers; PostgreSQL's postmaster and its backends) in a thread while
a load run goes on, and reports per tree: processes seen, the largest resident set of any one
process at the start and at its peak (the kernel's high-water mark, not a sample), the largest
sum of resident sets at one sample, and CPU seconds.

Resident memory of PostgreSQL's processes counts the shared buffers each one has touched, so
for the database only CPU is meaningful; the report keeps both for every tree and the reader
of ``BENCHMARKS.md`` is told which to use.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path

import psutil


def high_water_mark(pid: int) -> int:
    """The process's largest resident set since it started (``VmHWM``, Linux): a peak between
    two samples is not missed. psutil does not report it on Linux, hence ``/proc``."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:  # the process ended, or no /proc here
        pass
    return 0


def tree(root: int) -> list[psutil.Process]:
    """``root`` and every process descended from it that is alive now."""
    try:
        top = psutil.Process(root)
        return [top, *top.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def _measure(process: psutil.Process) -> tuple[int, int, int, float] | None:
    """(pid, resident set, high-water mark, user + system CPU seconds), or None if it ended."""
    try:
        with process.oneshot():
            rss = process.memory_info().rss
            cpu = process.cpu_times()
    except psutil.NoSuchProcess:
        return None
    return process.pid, rss, max(rss, high_water_mark(process.pid)), cpu.user + cpu.system


def postmaster_pid(data_directory: str) -> int | None:
    """PostgreSQL's main process, from the first line of ``postmaster.pid`` in its data folder."""
    try:
        return int((Path(data_directory) / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


@dataclass(frozen=True)
class TreeReport:
    """One process tree over a watch: memory in MiB, CPU in seconds."""

    processes: int  # distinct processes seen
    largest_start_mib: float  # the largest resident set of one process at the first sample
    largest_peak_mib: float  # the largest high-water mark of one process (since it started)
    total_peak_mib: float  # the largest sum of the tree's resident sets at one sample
    cpu_s: float  # CPU the tree's processes used from the first sample (or ``since``) to the last


class _Tree:
    def __init__(self, root: int) -> None:
        self.root = root
        self.seen: set[int] = set()
        self.cpu_first: dict[int, float] = {}
        self.cpu_last: dict[int, float] = {}
        self.largest_start = self.largest_peak = self.total_peak = 0
        self.history: list[tuple[float, float]] = []  # (time.time(), CPU used since the first sample)

    def sample(self) -> None:
        measured = [m for m in map(_measure, tree(self.root)) if m is not None]
        first = not self.seen
        if first:
            self.largest_start = max((rss for _p, rss, _h, _c in measured), default=0)
        self.seen.update(pid for pid, *_ in measured)
        self.largest_peak = max(self.largest_peak, *(peak for _p, _r, peak, _c in measured), 0)
        self.total_peak = max(self.total_peak, sum(rss for _p, rss, _h, _c in measured))
        for pid, _rss, _peak, used in measured:
            # alive at the first sample: count from there; started since: all of its CPU
            self.cpu_first.setdefault(pid, used if first else 0.0)
            self.cpu_last[pid] = used
        self.history.append((time.time(), sum(self.cpu_last[p] - self.cpu_first[p] for p in self.cpu_last)))

    def report(self, since: float | None) -> TreeReport:
        mib = 1024 * 1024
        base = 0.0
        for at, used in self.history:
            if since is None or at > since:
                break
            base = used
        cpu = self.history[-1][1] - base if self.history else 0.0
        return TreeReport(len(self.seen), self.largest_start / mib, self.largest_peak / mib,
                          self.total_peak / mib, cpu)


class Watch:
    """Sample the process trees of ``roots`` (a label → root pid) every ``interval`` seconds
    from :meth:`start` to :meth:`stop`, which returns a :class:`TreeReport` per label.

    CPU counts from the first sample for the processes alive then, and from zero for those
    started later (a worker gunicorn replaced, a new database backend); a process that ended
    between two samples keeps what it had used at the last one that saw it."""

    def __init__(self, roots: dict[str, int], interval: float = 1.0) -> None:
        self.trees = {label: _Tree(pid) for label, pid in roots.items()}
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="server-watch", daemon=True)

    def _sample(self) -> None:
        for t in self.trees.values():
            t.sample()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def start(self) -> Watch:
        self._sample()
        self._thread.start()
        return self

    def stop(self, since: float | None = None) -> dict[str, TreeReport]:
        """End the watch; CPU is counted from the last sample taken at or before ``since``
        (a ``time.time()``: e.g. when a load run's logins were over), else from the first.
        Memory peaks are over the whole watch."""
        self._stop.set()
        self._thread.join()
        self._sample()
        return {label: t.report(since) for label, t in self.trees.items()}
