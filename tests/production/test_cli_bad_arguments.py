"""``flask`` commands given bad values (a person nobody is, a day like 2026-13-40, an id above
MAX_ID, an empty string, a name too long for the file system) say what is wrong in a few lines,
exit non-zero and change nothing — no traceback (a walk of every command's arguments found three)."""

from __future__ import annotations

import pytest

from portal.security import MAX_ID
from tests.production.helpers import row_counts

LONG = "x" * 300  # longer than a file name may be (255 bytes): the system refuses to look at it
TOO_BIG = str(MAX_ID + 1)

BAD = [
    # found: tracebacks before
    ["school", "create", "OKY", "新学校", "--timezone", LONG],  # zoneinfo's OSError (File name too long)
    ["credits", "export", "--school", "DEMO", "--year", "2026-2027", "--format", "csv", "--output", LONG],
    ["backup", "--output", LONG],
    # kept: already one clear error
    ["user", "set-password", "nobody", "--password", "a-long-password-1"],
    ["user", "move", "nobody", "DEMO", "--on", "2026-09-01"],
    ["user", "move", "teacher1", "DEMO", "--on", "2026-13-40"],
    ["user", "move", "teacher1", "DEMO", "--on", ""],
    ["user", "move", "teacher1", "", "--on", "2026-09-01"],
    ["user", "create", "new.x", "--school", "DEMO", "--role", "teacher", "--password", "a-long-password-1",
     "--birth-date", "2026-13-40"],
    ["user", "create", "", "--school", "DEMO", "--role", "teacher", "--password", "a-long-password-1"],
    ["credits", "export", "--school", "DEMO", "--year", "2026-13-40", "--format", "csv", "--output", "o.csv"],
    ["credits", "export-district", "--year", "", "--format", "csv", "--output", "o.csv"],
    ["credits", "rebuild-year-rows", "--year", "9999-10000"],
    ["credits", "repair-away", "--apply", "--as", "nobody"],
    ["credits", "repair-away", "--school", ""],
    ["district", "submit", "DEMO", "--year", "2026-13-40", "--as", "admin"],
    ["district", "decide", TOO_BIG, "accept", "--as", "district.reviewer"],
    ["district", "reopen", TOO_BIG, "--reason", "r", "--as", "district.admin"],
    ["district", "create", "", "学区"],
    ["activity", "fire", TOO_BIG, "start", "--as", "organizer"],
    ["activity", "fire", "1", "", "--as", "organizer"],
    ["school", "enable", "DEMO", ""],
    ["school", "create", "", "新学校"],
    ["workflow", "show", ""],
]


@pytest.mark.parametrize("args", BAD, ids=lambda a: " ".join(x[:12] for x in a))
def test_a_bad_value_is_refused_clearly_and_changes_nothing(app, demo, args, tmp_path, monkeypatch):
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)  # any file a command wrote would be here
    before = row_counts()
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code in (1, 2), (args, result.output)
    assert isinstance(result.exception, SystemExit), (args, repr(result.exception))  # not a traceback
    error = [line for line in result.output.splitlines() if line.startswith("Error: ")]
    assert len(error) == 1 and len(result.output.strip().splitlines()) <= 4, result.output
    assert row_counts() == before
    assert list(work.iterdir()) == []


def test_a_time_zone_name_too_long_for_the_system_is_said_as_an_unknown_zone(app, demo):
    """What ``flask school create --timezone`` met also stops a start with such a setting in one
    line (``DEFAULT_TIMEZONE``), not in zoneinfo's traceback."""
    from portal import create_app
    from portal.config import BadConfiguration

    result = app.test_cli_runner().invoke(args=["school", "create", "OKY", "新学校", "--timezone", LONG])
    assert "timezone: 未知的时区 x" in result.output and "— unknown time zone x" in result.output, result.output
    assert "…" in result.output
    with pytest.raises(BadConfiguration, match="DEFAULT_TIMEZONE='xxx"):
        create_app({"TESTING": True, "DEFAULT_TIMEZONE": LONG})


def test_an_output_name_too_long_is_said_in_one_line(app, demo, tmp_path):
    result = app.test_cli_runner().invoke(args=["credits", "export", "--school", "DEMO", "--year", "2026-2027",
                                                "--format", "csv", "--output", str(tmp_path / LONG)])
    assert result.exit_code == 1 and result.output.strip().endswith(": File name too long"), result.output
    assert result.output.startswith("Error: 无法写入 ") and " — cannot write " in result.output
    assert result.output.count("\n") == 1
