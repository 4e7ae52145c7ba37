"""The Alembic migrations build exactly the schema the models declare."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from portal.extensions import db


def test_migrations_match_models(app):
    # the database of every test was built by `flask db upgrade` (see conftest)
    with db.engine.connect() as conn:
        from portal.plugin_assets import core_tables_only

        ctx = MigrationContext.configure(conn, opts={"compare_type": True, "include_object": core_tables_only})
        diff = compare_metadata(ctx, db.metadata)
    assert diff == []


def test_upgrade_builds_every_table(app):
    tables = set(inspect(db.engine).get_table_names())
    assert {t.name for t in db.metadata.sorted_tables} <= tables
    assert "alembic_version" in tables
