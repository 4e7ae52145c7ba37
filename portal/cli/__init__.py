"""``flask`` commands: schools, users, plugins, workflows, demo data."""

from __future__ import annotations

from flask import Flask

from portal.cli import demo, plugins, schools, users, workflow


def init_app(app: Flask) -> None:
    for module in (schools, users, plugins, workflow, demo):
        module.register(app)
    from portal.cli import backup

    backup.register(app)
    from portal.cli import credits as credits_cli

    credits_cli.register(app)
    from portal.cli import cache as cache_cli

    cache_cli.register(app)
    from portal.cli import district as district_cli

    district_cli.register(app)
