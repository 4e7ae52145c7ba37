"""``flask district …`` (districts, submissions of the year, locks) and ``flask activity fire``
(a workflow trigger at the command line: the same service, the same refusals — a locked year
included)."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from portal.cli.common import fail, refuse
from portal.errors import DomainError
from portal.messages import shown
from portal.models import User
from portal.services import access, credits, districts, submissions, transitions, users

group = AppGroup("district", help="Districts, the school years submitted to them, and their locks.")
activity_group = AppGroup("activity", help="Activities at the command line.")


def _user(username: str) -> User:
    user = users.by_username(username)
    if user is None:
        refuse("cli.no_user", username=shown(username))
    return user


@group.command("create")
@click.argument("code")
@click.argument("name")
def create(code: str, name: str) -> None:
    """Create a district."""
    try:
        d = districts.create_district(code, name)
    except DomainError as exc:
        fail(exc)
    click.echo(f"created district {d.code} ({d.name})")


@group.command("submit")
@click.argument("school_code")
@click.option("--year", required=True, help="school year, e.g. 2026-2027")
@click.option("--semester", type=int, default=None,
              help="1 or 2 when the district collects semesters (none, or 0: the whole year)")
@click.option("--as", "username", required=True, help="the school admin who submits")
def submit(school_code: str, year: str, semester: int | None, username: str) -> None:
    """Submit a school's year to its district."""
    try:
        school = access.school_by_code(school_code)
        user = _user(username)
        year = credits.parse_year(year, required=True)
        sub = submissions.submit(school, year, semester, by=access.actor(user.id, school.id))
    except DomainError as exc:
        fail(exc)
    click.echo(f"submitted {school.code} {sub.school_year} (submission {sub.id}, round {sub.round})")
    left = submissions.unfinished(school.id, sub.school_year, sub.semester)
    if left.count:
        ids = ", ".join(str(a.id) for a in left.activities) + (f" and {left.more} more" if left.more else "")
        click.echo(f"warning: activities neither credited nor closed: {left.count} (ids {ids}); "
                   "once the district accepts, they can no longer be credited", err=True)


def _seat(username: str) -> tuple[User, access.DistrictSeat]:
    user = _user(username)
    seat = access.district_seat(user.id)
    if seat is None:
        refuse("cli.no_district_role", username=shown(username))
    return user, seat


@group.command("decide")
@click.argument("submission_id", type=int)
@click.argument("decision", type=click.Choice(["accept", "return"]))
@click.option("--comment", default="")
@click.option("--as", "username", required=True, help="the district reviewer")
def decide(submission_id: int, decision: str, comment: str, username: str) -> None:
    """Accept (and lock) or return a submitted year."""
    from portal.policy import Actor

    user, seat = _seat(username)
    try:
        sub = submissions.decide(submission_id, decision == "accept", comment,
                                 by=Actor.of(user.id, seat.roles), district_id=seat.district_id)
    except DomainError as exc:
        fail(exc)
    click.echo(f"submission {sub.id}: {sub.status}")


@group.command("reopen")
@click.argument("submission_id", type=int)
@click.option("--reason", required=True)
@click.option("--as", "username", required=True, help="district staff")
def reopen(submission_id: int, reason: str, username: str) -> None:
    """Reopen an accepted (locked) year, with a reason for the audit log."""
    from portal.policy import Actor

    user, seat = _seat(username)
    try:
        sub = submissions.reopen(submission_id, reason, by=Actor.of(user.id, seat.roles), district_id=seat.district_id)
    except DomainError as exc:
        fail(exc)
    click.echo(f"submission {sub.id}: {sub.status}")


@activity_group.command("fire")
@click.argument("activity_id", type=int)
@click.argument("trigger")
@click.option("--comment", default="")
@click.option("--as", "username", required=True, help="who fires it (their roles decide)")
def fire(activity_id: int, trigger: str, comment: str, username: str) -> None:
    """Fire a workflow trigger (credit, revoke, …) as a person."""
    from portal.extensions import db
    from portal.models import Activity

    user = _user(username)
    act = db.session.get(Activity, activity_id) if access.id_in_range(activity_id) else None
    if act is None:
        refuse("cli.no_activity", id=activity_id)
    try:
        done = transitions.fire(act.id, act.school_id, user, trigger, comment)
    except DomainError as exc:
        fail(exc)
    click.echo(f"activity {done.id}: {done.state}")


def register(app: Flask) -> None:
    app.cli.add_command(group)
    app.cli.add_command(activity_group)
