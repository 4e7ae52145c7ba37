from __future__ import annotations

import click
from flask import Flask, current_app

from portal.cli.common import refuse
from portal.demo import DEMO_PASSWORD, DISTRICT, STAFF, load_demo


@click.command("demo")
@click.option("--public-demo", is_flag=True,
              help="Load it even with YANXIU_ENV=production (a site that exists to show the demo).")
def demo_command(public_demo: bool) -> None:
    """Load the invented DEMO school (staff of every role, activities of every type and state) and
    the demo district (schools at every stage of the year's submission, a district reviewer).
    District-scale data: ``python bench/datagen.py --schools N`` in a checkout. Run again, it
    adds only a type installed since: enabled in the DEMO school, with its demo activities.

    Ends with the verification codes of forms the demo printed, to try ``/verify`` with: the
    database keeps only their digests, so a demo loaded before has teacher1's 学时证明 printed
    again rather than none (the code it had while her figures are the same: one code per printed
    version of the figures)."""
    from portal import demo_paper
    from portal.demo_district import load_district_demo
    from portal.services import planner_stats, verification

    if current_app.config.get("PRODUCTION") and not public_demo:
        refuse("cli.demo_in_production", password=DEMO_PASSWORD)
    printed: dict[str, str] = {}
    school = load_demo(printed=printed)
    load_district_demo()
    planner_stats.refresh()
    click.echo(f"demo school {school.code} ready; password for every demo login: {DEMO_PASSWORD}")
    click.echo("logins: " + ", ".join(demo_logins()))
    if "record" not in printed:  # loaded before: its codes were told then
        printed["record"] = demo_paper.print_record(school)
    for kind, code in printed.items():
        click.echo(f"printed {PRINTED[kind]}; verify it at /verify/{code} (or type {verification.grouped(code)} at /verify)")


#: What the demo's printed forms are, by kind (``portal.demo_paper``).
PRINTED = {
    "record": "teacher1's hours record (学时证明) of this school year",
    "certificate": "a credit certificate (学分认定表) before its credits were revoked",
}


def demo_logins() -> list[str]:
    """Every demo login the command lists: the DEMO school's staff, the district's people, each
    district school's admin. Not the school's leaver (``LEFT_AFTER_LAST_YEAR``): holding no role
    any more, she may not sign in (``policy.may_sign_in``)."""
    from portal.demo_declarations import DEPUTY
    from portal.demo_district import OTHER, OTHER_REVIEWER, REVIEWER, SCHOOLS, login_of

    admins = [login_of(code) for code, *_ in (*SCHOOLS, OTHER)]
    return [u for u, *_ in STAFF] + [DEPUTY[0], DISTRICT[0], REVIEWER[0], OTHER_REVIEWER[0], *admins]


def register(app: Flask) -> None:
    app.cli.add_command(demo_command)
