"""``flask credits export`` (one school), ``flask credits export-district`` (every school),
``flask credits rebuild-year-rows`` (the stored teacher-year rows, from scratch),
``flask credits check-hours`` (stored activities outside today's bounds on hours),
``flask credits repair-away`` (credits posted, before the rule, for activities held while the
teacher was away: reversed),
``flask evidence recount`` (written evidence stored counting other than today's rule) and
``flask evidence check-padding`` (stored writing today's rule would refuse as padded).

The file is written next to its destination under a temporary name and renamed at the end,
so a failed export leaves no file behind (and never a half-written one); it is a new file, as
``flask backup``'s is: an existing one (an earlier export, the database) is refused, never replaced.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, TypeVar

import click
from flask import Flask
from flask.cli import AppGroup

from portal.cli.common import fail, give_name, refuse, usable_output
from portal.database import write_transaction
from portal.errors import DomainError
from portal.hours import fmt
from portal.messages import shown
from portal.policy import Actor
from portal.reports import exports
from portal.services import access, away_repair, credits, evidence_counts, hours_check, teacher_years, users
from portal.timeutil import local_text

group = AppGroup("credits", help="Credit reports: school summary and district exports.")
evidence = AppGroup("evidence", help="Written evidence and own writing: count again what was stored before a counting fix.")
FORMATS = ("csv", "xlsx")
T = TypeVar("T")
LANGS = click.Choice(["zh", "en"])  # the languages of the headings (as `flask workflow show --lang`)


def _check_args(year: str, fmt: str, output: str) -> tuple[str, Path]:
    try:
        year = credits.parse_year(year, required=True)
    except DomainError as exc:
        fail(exc)
    if fmt not in FORMATS:
        refuse("cli.unknown_format", format=shown(fmt), choices=" or ".join(FORMATS))
    usable_output(output)
    target = Path(output)
    folder = target.parent if str(target.parent) else Path(".")
    if target.is_dir():
        refuse("cli.output_is_dir", output=output)
    if target.exists() or target.is_symlink():  # said before the work; _write_atomically holds to it
        refuse("backup.exists", output=output)
    if not folder.is_dir():
        refuse("cli.folder_missing", output=output, folder=str(folder))
    if not os.access(folder, os.W_OK):
        refuse("cli.folder_not_writable", output=output, folder=str(folder))
    return year, target


def _write_atomically(target: Path, write: Callable[[IO[bytes]], object]) -> None:
    """Write under a temporary name (``0600``, as mkstemp makes it), then give it ``target``'s
    name — never over a file already there (the database, an earlier export)."""
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
        give_name(Path(tmp), target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _write_csv(chunks) -> Callable[[IO[bytes]], None]:
    def write(fh: IO[bytes]) -> None:
        for chunk in chunks:
            fh.write(chunk)

    return write


@group.command("export")
@click.option("--school", "code", required=True, help="School code.")
@click.option("--year", required=True, help="School year, e.g. 2026-2027.")
@click.option("--format", "fmt", default="xlsx", show_default=True, help="csv or xlsx.")
@click.option("--output", required=True, help="File to write.")
@click.option("--lang", type=LANGS, default="zh", show_default=True, help="Column headings.")
def export(code: str, year: str, fmt: str, output: str, lang: str) -> None:
    """Export one school's hours summary (学时汇总表) for a school year."""
    year, target = _check_args(year, fmt, output)
    try:
        school = access.school_by_code(code)
    except DomainError as exc:
        fail(exc)
    if fmt == "csv":
        _write_atomically(target, _write_csv(exports.stream_summary_csv(school, year, lang)))
    else:
        data = exports.summary_xlsx(school, year, lang)
        _write_atomically(target, lambda fh: fh.write(data))
    click.echo(f"wrote {target} ({school.code}, {year}, {fmt})")


@group.command("export-district")
@click.option("--year", required=True, help="School year, e.g. 2026-2027.")
@click.option("--format", "fmt", default="xlsx", show_default=True, help="csv or xlsx.")
@click.option("--output", required=True, help="File to write.")
@click.option("--lang", type=LANGS, default="zh", show_default=True, help="Column headings.")
@click.option("--ledger", is_flag=True, help="Every ledger line instead of one row per teacher.")
def export_district(year: str, fmt: str, output: str, lang: str, ledger: bool) -> None:
    """Export every school's summary (or ledger lines) for a school year, streamed."""
    year, target = _check_args(year, fmt, output)
    if fmt == "csv":
        _write_atomically(target, _write_csv(exports.stream_district_csv(year, lang, ledger=ledger)))
    else:
        _write_atomically(target, lambda fh: exports.district_xlsx(year, fh, lang, ledger=ledger))
    click.echo(f"wrote {target} (district, {year}, {fmt})")


@group.command("rebuild-year-rows")
@click.option("--year", "years", multiple=True, help="School year, e.g. 2026-2027 (repeatable; default every "
              "year with data and the current one).")
def rebuild_year_rows(years: tuple[str, ...]) -> None:
    """Compute every stored teacher-year row again from the ledger, attendance and exemptions
    (after an upgrade, or after installing a policy plugin): all or nothing."""
    chosen = []
    for year in years:
        try:
            chosen.append(credits.parse_year(year, required=True))
        except DomainError as exc:
            fail(exc)
    with write_transaction():
        written = teacher_years.rebuild(chosen or None)
    click.echo(f"rebuilt {written} teacher-year rows")


@group.command("check-hours")
def check_hours() -> None:
    """List the stored activities, not cancelled, that today's planning would refuse: hours
    longer than the activity (at most its minutes over 45, rounded up to a half hour), an end in
    another semester than the start, or, still to be credited, a role credited past a record's
    999.5 hours; and the people recorded at two activities at once for more hours than the time
    holds. Recorded before those rules; nothing is written. Exit status 1 if any is listed."""
    found = 0
    for act in hours_check.out_of_bounds():
        found += 1
        click.echo(f"{act.school_code} activity {act.activity_id} {act.title!r} ({act.state}, {fmt(act.hours)} hours)")
        for name, problem in act.problems:
            click.echo(f"  {name}: {problem.english}")
    click.echo(f"{found} activit{'y' if found == 1 else 'ies'} outside today's bounds on hours")
    crowded = 0
    for one in hours_check.at_once():  # no one attends two things at once (a later rule too)
        crowded += 1
        click.echo(f"{one.school_code} {one.username} in activity {one.activity_id} {one.title!r}: "
                   f"{fmt(one.hours)} hours there, at most {fmt(one.clash.left)} fit beside {one.clash.title!r} "
                   f"(the time they take up holds {fmt(one.clash.most)})")
    click.echo(f"{crowded} attendance record{'' if crowded == 1 else 's'} of people at two activities at once")
    if found or crowded:
        raise SystemExit(1)


def _away_credit(c: away_repair.AwayCredit) -> str:
    return (f"  {c.school_code} {c.school_year} semester {c.semester} {c.username} ({c.display_name}) activity "
            f"{c.activity_id} {c.title!r} held {local_text(c.held_at, c.timezone)}, credited "
            f"{local_text(c.credited_at, c.timezone, with_time=False)}: {fmt(c.hours)} hours")


@group.command("repair-away")
@click.option("--school", "code", default=None, help="Only this school (its code).")
@click.option("--year", default=None, help="Only this school year, e.g. 2026-2027.")
@click.option("--apply", is_flag=True, help="Write the reversing entries (without it: a dry run, nothing is written).")
@click.option("--as", "username", default=None, help="The district staff member who reverses (needed with --apply; "
              "only their district's schools).")
def repair_away(code: str | None, year: str | None, apply: bool, username: str | None) -> None:
    """List the credits posted, before the rule, to a teacher for an activity held while they
    were away from the school's teaching staff, and with --apply reverse each one (a reversing
    entry by --as, the reason from the catalogue, the teacher-year rows built again: one
    transaction). Credits in a period the district accepted are listed as locked and left: the
    district reopens the period first. A dry run unless --apply; running it again finds nothing."""
    try:
        year = None if year is None else credits.parse_year(year, required=True)
        school = None if code is None else access.school_by_code(code)
    except DomainError as exc:
        fail(exc)
    if apply and not username:
        refuse("cli.repair_needs_as")
    by: Actor | None = None
    scope: list[int] | None = None if school is None else [school.id]
    if username is not None:
        user = users.by_username(username)
        if user is None:
            refuse("cli.no_user", username=shown(username))
        seat = access.district_seat(user.id)
        if seat is None:
            refuse("cli.no_district_role", username=shown(username))
        by = Actor.of(user.id, seat.roles)
        if school is not None and school.district_id != seat.district_id:
            refuse("cli.school_outside_district", code=school.code, username=shown(username))
        scope = scope or away_repair.district_schools(seat.district_id)
    try:
        done = away_repair.repair(apply=apply, by=by, school_ids=scope, year=year)
    except DomainError as exc:
        fail(exc)
    verb = "reversed" if apply else "would reverse"
    _listed(f"{verb} {len(done.reversed)} credit(s) of activities held while the teacher was away", done.reversed,
            _away_credit)
    if done.locked:
        _listed(f"locked, not changed: {len(done.locked)} in periods the district accepted "
                "(the district reopens the period first)", done.locked, _away_credit)
    _written(apply, done.teachers, "--apply --as USERNAME")


def _listed(heading: str, items: Sequence[T], line: Callable[[T], str]) -> None:
    """A repair's heading, then a line per item."""
    click.echo(heading)
    for item in items:
        click.echo(line(item))


def _written(apply: bool, teachers: int, how: str) -> None:
    """A repair's last line: the teacher-year rows it built again, or that it was a dry run."""
    if apply:
        click.echo(f"rebuilt {teachers} teacher-year rows")
    else:
        click.echo(f"dry run: nothing was written ({how} to write)")


def _piece(piece: evidence_counts.Recount) -> str:
    counted = "?" if piece.counted is None else str(piece.counted)
    return (f"  {piece.school_code} {piece.year} semester {piece.semester} {piece.username} {piece.source}"
            f" {piece.piece_id} {piece.name!r}: {piece.stored} -> {counted} characters")


@evidence.command("recount")
@click.option("--apply", is_flag=True, help="Write the new counts (without it: a dry run, nothing is written).")
def recount(apply: bool) -> None:
    """Count again each piece of written evidence or own writing whose stored character count is
    not what today's rule counts (a .txt handed in before its words were counted stored 0), in the
    periods the district has not accepted (an accepted one is frozen: listed as skipped); the
    teacher-year rows it moves are built again and each change is a line of the person's staff
    log. A dry run unless --apply; running it again changes nothing."""
    done = evidence_counts.recount(apply=apply)
    verb = "recounted" if apply else "would recount"
    _listed(f"{verb} {len(done.changed)} piece(s) of written evidence or own writing", done.changed, _piece)
    if done.skipped:
        _listed(f"skipped {len(done.skipped)} in periods the district accepted (their figures are frozen)",
                done.skipped, _piece)
    if done.unreadable:
        _listed(f"left {len(done.unreadable)} as stored: the .txt file is not in the upload folder",
                done.unreadable, _piece)
    _written(apply, done.teachers, "--apply")


@evidence.command("check-padding")
def check_padding() -> None:
    """List each stored piece of written evidence or own writing that today's rule would refuse
    as padded by repeating itself (stored before the rule, it still counts), with the share
    repeated. Changes nothing: the school asks the teacher for the piece again."""
    found = evidence_counts.padded()
    click.echo(f"found {len(found)} piece(s) of written evidence or own writing padded by repeating themselves")
    for piece, share in found:
        click.echo(f"  {piece.school_code} {piece.year} semester {piece.semester} {piece.username} {piece.source}"
                   f" {piece.piece_id} {piece.name!r}: {share:.0%} repeated, {piece.stored} characters counted")


def register(app: Flask) -> None:
    app.cli.add_command(group)
    app.cli.add_command(evidence)
