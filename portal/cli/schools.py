from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from portal import policy
from portal.cli.common import fail
from portal.errors import DomainError
from portal.services import access, districts, schools, text_check
from portal.timeutil import DEFAULT_ZONE

group = AppGroup("school", help="Schools and the activity types they run.")


@group.command("create")
@click.argument("code")
@click.argument("name")
@click.option("--timezone", default=DEFAULT_ZONE, show_default=True)
@click.option("--district", "district_code", default=None,
              help="code of its district (`flask district create`); default: the deployment's default district")
def create(code: str, name: str, timezone: str, district_code: str | None) -> None:
    """Create a school."""
    try:
        district = districts.by_code(district_code) if district_code is not None else None
        school = schools.create_school(code, name, timezone, district_id=district.id if district else None)
        if district is not None:
            districts.take_district_types(school, district)
    except DomainError as exc:
        fail(exc)
    click.echo(f"created school {school.code} ({school.name})")


def _set_type(code: str, type_key: str, enabled: bool) -> None:
    try:
        school = access.school_by_code(code)
        schools.set_type(school, type_key, enabled=enabled, by=policy.SYSTEM)
    except DomainError as exc:
        fail(exc)
    click.echo(f"{code}: {'enabled' if enabled else 'disabled'} {type_key}")


@group.command("enable")
@click.argument("code")
@click.argument("type_key")
def enable(code: str, type_key: str) -> None:
    """Enable an activity type for a school."""
    _set_type(code, type_key, True)


@group.command("disable")
@click.argument("code")
@click.argument("type_key")
def disable(code: str, type_key: str) -> None:
    """Disable an activity type for a school (its activities stay readable)."""
    _set_type(code, type_key, False)


@group.command("list")
def list_() -> None:
    """List schools with their enabled types."""
    for school in schools.all_schools():
        keys = " ".join(r.decl.key for r in schools.enabled_types(school.id))
        click.echo(f"{school.code}\t{school.name}\t{keys}")


@group.command("check-text")
def check_text() -> None:
    """List the stored texts holding a direction control that turns text around (U+202E and
    the like), written before requests refused them: each shows and prints as other words
    until the school corrects it. Nothing is written. Exit status 1 if any is listed."""
    found = 0
    for one in text_check.reordering_text():
        found += 1
        click.echo(f"{one.table}.{one.column} {one.row_id}: {one.shown!r}")
    click.echo(f"{found} stored text{'' if found == 1 else 's'} with direction controls")
    if found:
        raise SystemExit(1)


def register(app: Flask) -> None:
    app.cli.add_command(group)
