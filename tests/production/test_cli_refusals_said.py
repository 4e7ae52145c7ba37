"""Every refusal of a ``flask`` command of the portal's is said as a start-up refusal is: one line,
Chinese then English (``portal.cli.common.said``) — a service's refusal a command prints with its
field lines, the catalogue's, a text argument no column stores. They were English only, while the
start-up and newer-database refusals were both. Click's own usage errors stay as click prints them.

The commands are walked as ``flask --help`` lists them: each is here, refused, or named among those
that refuse nothing (they list or report) or speak their own words (the plugin author's
scaffold; a plugin's command refuses through ``Portal.said``, as the portal's do); a command
added later fails :func:`test_every_command_is_walked` until it is."""

from __future__ import annotations

import click
import pytest
from sqlalchemy import select

from tests.production.helpers import row_counts

CJK = ("\u4e00", "\u9fff")
NOBODY = "nobody.here"

#: a command → arguments it refuses (the demo loaded); ``{out}`` is a file that exists
REFUSED: dict[tuple[str, ...], list[str]] = {
    ("school", "create"): ["school", "create", "DEMO", "重名的学校"],
    ("school", "enable"): ["school", "enable", "DEMO", "no_such_type"],
    ("school", "disable"): ["school", "disable", "NOSUCH", "lecture"],
    ("user", "create"): ["user", "create", "x2", "--school", "DEMO", "--role", "teacher", "--password", "short"],
    ("user", "set-password"): ["user", "set-password", NOBODY, "--password", "a-long-password"],
    ("user", "move"): ["user", "move", NOBODY, "DEMO", "--on", "2026-09-01"],
    ("workflow", "show"): ["workflow", "show", "no_such_type", "--lang", "en"],  # its --lang is the diagram's
    ("demo",): ["demo"],  # in production (set below)
    ("backup",): ["backup", "--output", "{out}"],
    ("credits", "export"): ["credits", "export", "--school", "DEMO", "--year", "2026-2027", "--format", "pdf",
                            "--output", "{out}.pdf", "--lang", "en"],
    ("credits", "export-district"): ["credits", "export-district", "--year", "2026-2027", "--output", "{out}"],
    ("credits", "rebuild-year-rows"): ["credits", "rebuild-year-rows", "--year", "next year"],
    ("credits", "repair-away"): ["credits", "repair-away", "--apply"],
    ("district", "create"): ["district", "create", "{district}", "同名学区"],
    ("district", "submit"): ["district", "submit", "DEMO", "--year", "2026-2027", "--as", NOBODY],
    ("district", "decide"): ["district", "decide", "1", "accept", "--as", NOBODY],
    ("district", "reopen"): ["district", "reopen", "1", "--reason", "x", "--as", NOBODY],
    ("activity", "fire"): ["activity", "fire", "1", "credit", "--as", NOBODY],
    ("worker",): ["worker"],  # with JOBS_IMMEDIATE (set below)
    ("lesson-study", "notes"): ["lesson-study", "notes", "999999"],  # a plugin's, through Portal.said (1.21)
}
#: commands that refuse nothing: they list or report (exit 1 the listing's verdict), or clear a cache
REFUSE_NOTHING = {("school", "list"), ("school", "check-text"), ("plugins", "list"), ("credits", "check-hours"),
                  ("evidence", "recount"), ("evidence", "check-padding"), ("cache", "clear"), ("reminders", "run")}
#: their own words: the plugin author's scaffold (``yanxiu plugins new`` too, English as the code it
#: writes, a usage error)
OWN_WORDS = {("plugins", "new")}


def _leaves(group: click.Group, path: tuple[str, ...] = ()):
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            yield from _leaves(command, (*path, name))
        else:
            yield (*path, name)


def _said(line: str) -> tuple[str, str]:
    """(Chinese, English) of a line said in both, or an assertion error."""
    assert " — " in line, line
    chinese, english = line.split(" — ", 1)
    assert any(CJK[0] <= ch <= CJK[1] for ch in chinese), line
    assert english[:1].isascii() and chinese != english, line  # English: what it names may be Chinese
    return chinese, english


def test_every_command_is_walked(app):
    """The portal's commands (the ``db`` group's are the migrations', alembic's words)."""
    walked = {path for path in _leaves(app.cli) if path[0] != "db"}
    assert walked == set(REFUSED) | REFUSE_NOTHING | OWN_WORDS, walked ^ (set(REFUSED) | REFUSE_NOTHING | OWN_WORDS)


def test_every_refusal_is_said_chinese_then_english_and_changes_nothing(app, demo, tmp_path):
    from portal.jobs import queue
    from portal.models import District

    out = tmp_path / "exists.xlsx"
    out.write_bytes(b"an earlier copy")
    district = app.extensions["sqlalchemy"].session.execute(select(District.code)).scalars().first()
    huey = queue(app).huey
    assert district
    before = row_counts()
    runner = app.test_cli_runner()
    for path, args in REFUSED.items():
        args = [a.format(out=out, district=district) for a in args]
        app.config["PRODUCTION"] = path == ("demo",)
        huey.immediate = path == ("worker",)
        try:
            result = runner.invoke(args=args)
        finally:
            app.config["PRODUCTION"] = huey.immediate = False
        assert result.exit_code == 1, (path, result.output, result.exception)
        head, *fields = result.output.rstrip("\n").splitlines()
        assert head.startswith("Error: ") and "Traceback" not in result.output, (path, result.output)
        _said(head.removeprefix("Error: "))
        for field in fields:  # a service's field lines: "  name: 中文 — English"
            assert field.startswith("  ") and ": " in field, (path, result.output)
            _said(field.split(": ", 1)[1])
        if path == ("user", "create"):
            assert fields and fields[0].startswith("  password: "), result.output
    assert row_counts() == before
    assert out.read_bytes() == b"an earlier copy"


def test_a_text_argument_no_column_stores_is_said_in_both_in_clicks_frame(app, demo):
    """Any command's text argument (one wrapper: ``guard_text_arguments``): click's "Invalid
    value" line, the portal's words in it Chinese then English; exit 2, nothing written."""
    before = row_counts()
    result = app.test_cli_runner().invoke(args=["school", "create", "NUL1", "学校\x00名"])
    assert result.exit_code == 2, result.output
    line = next(x for x in result.output.splitlines() if x.startswith("Error: "))
    assert line.startswith("Error: Invalid value for 'name': "), line
    _said(line.removeprefix("Error: Invalid value for 'name': "))
    assert row_counts() == before


@pytest.mark.parametrize("args", [["user", "move", "teacher1"], ["school", "list", "--no-such-option"],
                                  ["credits", "export-district", "--year", "2026-2027", "--output", "x",
                                   "--lang", "fr"]])
def test_clicks_own_usage_errors_stay_as_click_prints_them(app, args):
    """A missing argument, an unknown option, a value not among the choices: click's English under
    the command's ``Usage:`` line (exit 2), as the README says — not the portal's words."""
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 2 and result.output.startswith("Usage: "), result.output
    assert not any(CJK[0] <= ch <= CJK[1] for ch in result.output), result.output
