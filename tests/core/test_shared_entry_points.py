"""The installed plugins' entry points read once per test process (``portal.testing``'s
:func:`~portal.testing.shared_entry_points`, which the suite's conftest gives the plugin loader),
and read again when what they are read from changes: a distribution added on ``sys.path``, or an
``entry_points.txt`` rewritten."""

from __future__ import annotations

import importlib.metadata

from portal import plugin_loader
from portal.testing import shared_entry_points

GROUP = "portal.plugins"


def _names() -> set[str]:
    return {ep.name for ep in shared_entry_points(group=GROUP)}


def test_the_loader_reads_them_once_and_again_when_a_distribution_comes_or_changes(tmp_path, monkeypatch):
    assert plugin_loader.entry_points is shared_entry_points  # what every app's loader calls
    reads: list[dict] = []
    real = importlib.metadata.entry_points

    def counted(**params):
        reads.append(params)
        return real(**params)

    monkeypatch.setattr(importlib.metadata, "entry_points", counted)
    first = _names()
    assert "lecture" in first and first == {ep.name for ep in real(group=GROUP)}
    before = len(reads)
    assert _names() == first and len(reads) == before  # nothing changed: nothing read

    info = tmp_path / "speed_dating-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: speed-dating\nVersion: 0.1\n", encoding="utf-8")
    (info / "entry_points.txt").write_text(f"[{GROUP}]\nspeed_dating = speed_dating\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert _names() == first | {"speed_dating"} and len(reads) == before + 1

    (info / "entry_points.txt").write_text(f"[{GROUP}]\nspeed_dating_two = speed_dating\n", encoding="utf-8")
    assert _names() == first | {"speed_dating_two"} and len(reads) == before + 2
