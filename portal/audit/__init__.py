"""The audit trail for school admins: the transition log and the credit ledger, page and CSV."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from portal.audit.views import bp

    app.register_blueprint(bp)
