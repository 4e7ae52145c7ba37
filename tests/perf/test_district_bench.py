"""``bench/district_bench.py`` runs end to end (two tiny districts on SQLite) and finds the
district's pages at the same statement count at both sizes."""

from __future__ import annotations

from bench import district_bench


def test_district_bench_runs_and_counts_statements(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("YANXIU_INSTANCE_PATH", str(tmp_path / "instance"))  # the bench sets it: restored after
    assert district_bench.main(["--schools", "1,2", "--n", "1", "--data-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "1 schools (100 users; generated in" in out and "2 schools (200 users; generated in" in out
    cost = out.split("cost at 2× schools", 1)[1]
    for page in district_bench.PAGES:
        assert f"| {page} | same |" in cost
    assert district_bench.main(["--schools", "1", "--n", "1", "--data-dir", str(tmp_path)]) == 0
    assert "kept from an earlier run" in capsys.readouterr().out
