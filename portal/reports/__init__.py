"""Credit reports: school summary (学时汇总表), certification form (学分认定表), teacher record
(成长档案), exemptions, and the district export. ``init_app`` registers blueprint ``reports``."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from portal.reports import paper_views  # noqa: F401  (its routes join the blueprint)
    from portal.reports.views import bp

    app.register_blueprint(bp)
