"""``bench/served_settings.py`` (BENCHMARKS round 52) serves the bench's app under several gunicorn
settings side by side; a setting's options reach each worker through a ``post_fork`` hook."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from bench import served_settings


def test_a_setting_is_read_and_a_wrong_one_refused():
    assert served_settings.parse_setting("1x4") == (1, 4, {})
    assert served_settings.parse_setting("2x2:sw=0.001:cpu=0:cache") == (2, 2, {"sw": "0.001", "cpu": "0", "cache": ""})
    for bad in ("", "4", "1x", "0x4", "1x0", "1x4:threads=2", "axb", "1x4x2"):
        with pytest.raises(ValueError):
            served_settings.parse_setting(bad)


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="Linux")
def test_the_hook_sets_the_switch_interval_and_the_cpu_in_the_worker():
    cpu = min(os.sched_getaffinity(0))
    text = served_settings.config_text({"sw": "0.0015", "cpu": str(cpu)})
    worker = f"{text}\npost_fork(None, None)\nimport os, sys\nprint(sys.getswitchinterval(), sorted(os.sched_getaffinity(0)))"
    out = subprocess.run([sys.executable, "-c", worker], capture_output=True, text=True, check=True).stdout.split(maxsplit=1)
    assert float(out[0]) == pytest.approx(0.0015) and out[1].strip() == f"[{cpu}]"
    # no options: the hook changes nothing
    plain = served_settings.config_text({}) + "\npost_fork(None, None)\nimport sys\nprint(sys.getswitchinterval())"
    assert float(subprocess.run([sys.executable, "-c", plain], capture_output=True, text=True, check=True).stdout) == 0.005
