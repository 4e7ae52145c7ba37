from __future__ import annotations

import click
from flask import Flask

from portal.demo import DEMO_PASSWORD, STAFF, load_demo


@click.command("demo")
def demo_command() -> None:
    """Load the invented DEMO school (staff of every role, activities of every type and state) and
    the demo district (schools at every stage of the year's submission, a district reviewer).
    District-scale data: ``python bench/datagen.py --schools N`` in a checkout."""
    from portal.demo_district import REVIEWER, load_district_demo
    from portal.services import planner_stats

    school = load_demo()
    load_district_demo()
    planner_stats.refresh()
    click.echo(f"demo school {school.code} ready; password for every demo login: {DEMO_PASSWORD}")
    click.echo("logins: " + ", ".join(u for u, *_ in STAFF) + f", district, {REVIEWER[0]}")


def register(app: Flask) -> None:
    app.cli.add_command(demo_command)
