"""JSON API v1 under ``/api/v1``: thin views over the same services the pages use.

Every view declares its operation next to it (``portal.api.openapi.operation``) with the
pydantic models of ``portal.api.models``; spectree validates requests against them and
generates the document at ``/api/v1/openapi.json`` from them.
"""

from __future__ import annotations

from flask import Flask

from portal.api.blueprint import bp
from portal.api.errors import init_error_handling


def init_app(app: Flask) -> None:
    from portal.api import (  # noqa: F401  (routes)
        views_activities,
        views_announcements,
        views_auth,
        views_corrections,
        views_district,
        views_exports,
        views_school,
        views_writing,
        views_year,
    )
    from portal.extensions import csrf

    csrf.exempt(bp)
    app.register_blueprint(bp)
    init_error_handling(app)
