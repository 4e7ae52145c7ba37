"""The load runner's resource figures (``bench/server_watch.py``): a process tree's memory and
CPU as ``/proc`` tells them, checked against what the processes themselves report."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time

from bench.server_watch import Watch, _Tree, postmaster_pid, tree

# A parent that starts a child; the child touches 64 MiB and gives it back (before the watch
# starts: only the kernel's high-water mark still shows it), burns a fixed amount of CPU, writes
# how much CPU it used (its own clock; renamed into place, so the file is never seen half
# written), then waits to be told to end.
CHILD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    folder = Path(sys.argv[1])
    block = bytearray(64 * 1024 * 1024)
    for i in range(0, len(block), 4096):
        block[i] = 1
    del block
    (folder / "freed").write_text("")
    total = 0
    for i in range(6_000_000):
        total += i * i
    (folder / "cpu.part").write_text(str(time.process_time()))
    (folder / "cpu.part").replace(folder / "cpu")  # whole: the test reads it as soon as it exists
    while not (folder / "end").exists():
        time.sleep(0.05)
    """
)
PARENT = textwrap.dedent(
    """
    import subprocess, sys
    sys.exit(subprocess.call([sys.executable, "-c", sys.argv[1], sys.argv[2]]))
    """
)


def test_a_watch_sees_the_tree_its_memory_and_its_cpu(tmp_path):
    parent = subprocess.Popen([sys.executable, "-c", PARENT, CHILD, str(tmp_path)])
    try:
        deadline = time.time() + 60
        while not (tmp_path / "freed").exists():
            assert time.time() < deadline and parent.poll() is None
            time.sleep(0.01)
        assert len(tree(parent.pid)) == 2  # the parent and its child
        watch = Watch({"parent": parent.pid}, interval=0.05).start()
        while not (tmp_path / "cpu").exists():
            assert time.time() < deadline and parent.poll() is None
            time.sleep(0.02)
        report = watch.stop()["parent"]
        child_cpu = float((tmp_path / "cpu").read_text())
    finally:
        (tmp_path / "end").write_text("")
        parent.wait(timeout=30)
    assert report.processes == 2
    assert report.largest_peak_mib >= 64  # the high-water mark
    assert report.total_peak_mib < 64  # what was resident at the samples: the block was given back
    # The child's own clock, less what it used before the first sample (its start-up and the
    # allocation): the watch counts no more than that, and most of it.
    assert report.cpu_s <= child_cpu + 0.2  # + the parent's and a clock tick
    assert report.cpu_s >= 0.5 * child_cpu - 0.05


def test_cpu_is_counted_from_the_sample_before_since():
    t = _Tree(0)
    t.history = [(10.0, 0.0), (11.0, 1.0), (12.0, 3.0), (13.0, 6.0)]
    assert t.report(None).cpu_s == 6.0
    assert t.report(11.5).cpu_s == 5.0  # from the sample at 11.0
    assert t.report(12.0).cpu_s == 3.0
    assert t.report(99.0).cpu_s == 0.0
    assert t.report(1.0).cpu_s == 6.0


def test_postmaster_pid_reads_the_first_line_and_refuses_nonsense(tmp_path):
    assert postmaster_pid(str(tmp_path)) is None
    (tmp_path / "postmaster.pid").write_text("4321\n/var/lib/data\n")
    assert postmaster_pid(str(tmp_path)) == 4321
    (tmp_path / "postmaster.pid").write_text("not a pid\n")
    assert postmaster_pid(str(tmp_path)) is None
