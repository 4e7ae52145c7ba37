from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from portal import policy
from portal.cli.common import fail, refuse
from portal.errors import DomainError, Invalid
from portal.messages import msg
from portal.models import DISTRICT_ROLES, ROLES
from portal.services import access, districts, moves, staff, users
from portal.timeutil import BIRTH_YEARS, parse_day

group = AppGroup("user", help="People and their roles.")


@group.command("create")
@click.argument("username")
@click.option("--school", "school_code", help="school code (not needed for district roles)")
@click.option("--district", "district_code", default=None,
              help="district code of a district role (default: the deployment's default district)")
@click.option("--role", "roles", multiple=True, type=click.Choice(ROLES), required=True, help="repeatable")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="asked for (not echoed) when left out: a password given here stays in the shell's history")
@click.option("--name", default="", help="display name")
@click.option("--gender", type=click.Choice(["F", "M"]), default=None)
@click.option("--birth-date", default=None, help="YYYY-MM-DD (or 1970年5月1日); staff are 16 to 80 years old")
def create(username, school_code, district_code, roles, password, name, gender, birth_date) -> None:
    """Create a user with one or more roles in a school (district roles in a district)."""
    try:
        school = access.school_by_code(school_code) if school_code else None
        district = districts.by_code(district_code) if district_code is not None else None
        if district is not None and not set(roles) & set(DISTRICT_ROLES):
            refuse("cli.district_roles_only")
        if school is not None and set(roles) <= set(DISTRICT_ROLES):  # --school would be dropped unsaid
            refuse("cli.school_roles_only")
        born = None
        if birth_date:
            born = parse_day(birth_date, BIRTH_YEARS)  # as the staff page and the roster import read it
            if born is None:
                raise Invalid(msg("user.invalid"), {"birth_date": msg("cli.birth_date", low=BIRTH_YEARS[0],
                                                                      high=BIRTH_YEARS[1])})
        # the roles given in the school are a line of its staff log, by the command line
        user = users.create_user(username, password, name, school, list(roles), gender, born,
                                 district_id=district.id if district else None, logged_by=policy.SYSTEM)
    except DomainError as exc:
        fail(exc)
    click.echo(f"created user {user.username} (id {user.id}) roles: {', '.join(roles)}")


@group.command("set-password")
@click.argument("username")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="asked for (not echoed) when left out: a password given here stays in the shell's history")
def set_password(username, password) -> None:
    """Give a person a new password (a school admin, a district role, or anyone who forgot
    theirs: a school admin can do it on the staff page for the school's other staff). Their
    sessions and API tokens stop working; each school they work in gets a line in its staff log."""
    user = users.by_username(username)
    if user is None:
        refuse("user.not_found")
    try:
        staff.set_password_by_operator(user, password)
    except DomainError as exc:
        fail(exc)
    click.echo(f"new password set for {user.username} (id {user.id})")


@group.command("move")
@click.argument("username")
@click.argument("school_code")
@click.option("--on", "day", required=True, help="the first day at the new school, YYYY-MM-DD (at most "
              f"{moves.MOVE_AHEAD_DAYS} days ahead, later than their last change of school)")
@click.option("--from", "from_code", default=None, help="the school they leave (only for one who teaches at two)")
def move(username, school_code, day, from_code) -> None:
    """Move a teacher to another school of their district from a day: their roles at the school they
    leave end, they teach at the new one; each school year is judged at its school, and the old
    school's activities from the day on are no longer theirs. The district page does the same."""
    user = users.by_username(username)
    if user is None:
        refuse("user.not_found")
    try:
        school = access.school_by_code(school_code)
        leaves = access.school_by_code(from_code).id if from_code is not None else None
        done = moves.move_teacher(user.id, school.id, day, by=policy.SYSTEM, district_id=None, from_school_id=leaves)
    except DomainError as exc:
        fail(exc)
    click.echo(f"moved {user.username} from {done.leaves.code} to {done.joins.code} on {done.day.isoformat()}; "
               f"{done.away} activities of {done.leaves.code} from then on are no longer theirs"
               + (f" ({done.recorded} with hours recorded: `flask credits repair-away` reverses them)"
                  if done.recorded else ""))


def register(app: Flask) -> None:
    app.cli.add_command(group)
