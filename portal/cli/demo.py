from __future__ import annotations

import click
from flask import Flask

from portal.demo import DEMO_PASSWORD, STAFF, load_demo


@click.command("demo")
@click.option("--schools", type=click.IntRange(min=1), default=None,
              help="Generate this many invented schools at district scale instead of the small DEMO school.")
@click.option("--teachers", type=click.IntRange(min=4), default=100, show_default=True,
              help="Teachers per generated school.")
@click.option("--years", type=click.IntRange(min=1, max=20), default=1, show_default=True,
              help="School years of history per generated school, ending with the current one.")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed (same seed, same data).")
def demo_command(schools: int | None, teachers: int, years: int, seed: int) -> None:
    """Load the invented DEMO school (staff of every role, activities of every type and state),
    or with --schools N generate N schools of --teachers M with --years Y of history."""
    if schools is None:
        school = load_demo()
        click.echo(f"demo school {school.code} ready; password for every demo login: {DEMO_PASSWORD}")
        click.echo("logins: " + ", ".join(u for u, *_ in STAFF) + ", district")
        return
    from portal.datagen import generate

    report = generate(schools, teachers, years, seed=seed, password=DEMO_PASSWORD)
    click.echo(f"generated {report.summary()}")
    first, last = report.school_codes[0], report.school_codes[-1]
    click.echo(
        f"schools {first}…{last}; logins {first.lower()}-t001 (school admin), -t002/-t003 (reviewers), "
        f"-t004… (organizers, then teachers); password {DEMO_PASSWORD}"
    )


def register(app: Flask) -> None:
    app.cli.add_command(demo_command)
