from __future__ import annotations

from datetime import date

import click
from flask import Flask
from flask.cli import AppGroup

from portal.cli.common import fail, refuse
from portal.errors import DomainError, Invalid
from portal.messages import msg
from portal.models import DISTRICT_ROLES, ROLES
from portal.services import access, districts, users

group = AppGroup("user", help="People and their roles.")


@group.command("create")
@click.argument("username")
@click.option("--school", "school_code", help="school code (not needed for district roles)")
@click.option("--district", "district_code", default=None,
              help="district code of a district role (default: the deployment's default district)")
@click.option("--role", "roles", multiple=True, type=click.Choice(ROLES), required=True, help="repeatable")
@click.option("--password", required=True)
@click.option("--name", default="", help="display name")
@click.option("--gender", type=click.Choice(["F", "M"]), default=None)
@click.option("--birth-date", default=None, help="YYYY-MM-DD")
def create(username, school_code, district_code, roles, password, name, gender, birth_date) -> None:
    """Create a user with one or more roles in a school (district roles in a district)."""
    try:
        school = access.school_by_code(school_code) if school_code else None
        district = districts.by_code(district_code) if district_code is not None else None
        if district is not None and not set(roles) & set(DISTRICT_ROLES):
            refuse("cli.district_roles_only")
        born = None
        if birth_date:
            try:
                born = date.fromisoformat(birth_date)
            except ValueError:
                raise Invalid(msg("user.invalid"), {"birth_date": msg("cli.birth_date")}) from None
        user = users.create_user(username, password, name, school, list(roles), gender, born,
                                 district_id=district.id if district else None)
    except DomainError as exc:
        fail(exc)
    click.echo(f"created user {user.username} (id {user.id}) roles: {', '.join(roles)}")


def register(app: Flask) -> None:
    app.cli.add_command(group)
