"""``bench/run.py`` refuses counts it cannot measure with before it builds any data (``--factor 1``
ran the whole benchmark and then failed at the report)."""

from __future__ import annotations

import pytest

from bench import run as bench_run


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--factor", "1"], "--factor must be at least 2"),
        (["--schools", "0"], "--schools must be at least 1"),
        (["--teachers", "-3"], "--teachers must be at least 1"),
        (["--years", "0"], "--years must be at least 1"),
        (["--connections", "0"], "--connections must be at least 1"),
        (["--workers", "0"], "--workers must be at least 1"),
        (["--threads", "0"], "--threads must be at least 1"),
        (["--repeats", "0"], "--repeats must be at least 1"),
        (["--duration", "0"], "--duration must be more than 0"),
        (["--duration", "nan"], "--duration must be more than 0"),
        (["--duration", "inf"], "--duration must be more than 0 seconds, and finite"),
    ],
)
def test_unmeasurable_arguments_are_refused_before_any_work(args, says, tmp_path, capsys):
    data = tmp_path / "data"
    with pytest.raises(SystemExit) as stopped:
        bench_run.main([*args, "--data-dir", str(data)])
    assert stopped.value.code == 2
    assert says in capsys.readouterr().err
    assert not data.exists()  # nothing built
