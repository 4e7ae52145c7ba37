"""What a server costs its host while it serves: the resident memory of each of its processes
and the CPU time of the whole process tree, sampled from ``/proc`` (Linux) once a second.

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

import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")
TICKS = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int) -> list[str] | None:
    """The fields of ``/proc/<pid>/stat`` after the command name (which may hold spaces)."""
    try:
        text = (PROC / str(pid) / "stat").read_text()
    except OSError:  # the process ended between listing and reading
        return None
    return text.rsplit(")", 1)[1].split()


def parent_of(pid: int) -> int | None:
    fields = _stat_fields(pid)
    return int(fields[1]) if fields else None


def cpu_seconds(pid: int) -> float:
    """User and system CPU of one process (its threads included; children it reaped not)."""
    fields = _stat_fields(pid)
    return (int(fields[11]) + int(fields[12])) / TICKS if fields else 0.0


def rss_bytes(pid: int) -> tuple[int, int]:
    """The process's resident set now and its high-water mark since it started (``VmHWM``:
    a peak between two samples is not missed)."""
    now = peak = 0
    try:
        for line in (PROC / str(pid) / "status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                now = int(line.split()[1]) * 1024
            elif line.startswith("VmHWM:"):
                peak = int(line.split()[1]) * 1024
    except OSError:
        pass
    return now, max(now, peak)


def children_by_parent() -> dict[int, list[int]]:
    """Every process alive now, under its parent's id (one walk of ``/proc``)."""
    parents: dict[int, list[int]] = {}
    for entry in PROC.iterdir():
        if entry.name.isdigit():
            parent = parent_of(int(entry.name))
            if parent is not None:
                parents.setdefault(parent, []).append(int(entry.name))
    return parents


def tree(root: int, parents: dict[int, list[int]] | None = None) -> list[int]:
    """``root`` and every process descended from it that is alive now (``parents``: a walk of
    ``/proc`` already made, shared by the trees of one sample)."""
    if parents is None:
        parents = children_by_parent()
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(parents.get(pid, []))
    return sorted(found)


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

    def sample(self, parents: dict[int, list[int]]) -> None:
        pids = tree(self.root, parents)
        sizes, peaks = zip(*[rss_bytes(pid) for pid in pids], strict=True) if pids else ((), ())
        first = not self.seen
        if first:
            self.largest_start = max(sizes, default=0)
        self.seen.update(pids)
        self.largest_peak = max(self.largest_peak, *peaks, 0)
        self.total_peak = max(self.total_peak, sum(sizes))
        for pid in pids:
            used = cpu_seconds(pid)
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
        parents = children_by_parent()
        for t in self.trees.values():
            t.sample(parents)

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
