"""``flask db revision -m … --head <plugin>@head`` writes a plugin's next revision into the
plugin's own folder, on the plugin's branch, importing only public names (alembic, sqlalchemy):
nothing of the portal."""

from __future__ import annotations

import ast
from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy import inspect

from portal.extensions import db
from portal.hookspecs import hookimpl

FIRST = '''"""scratch: first table"""
import sqlalchemy as sa
from alembic import op

revision = "sc01_scratch"
down_revision = None
branch_labels = ("scratch",)
depends_on = "1456b1ddd087"


def upgrade():
    op.create_table("scratch_note", sa.Column("id", sa.Integer(), primary_key=True),
                    sa.Column("activity_id", sa.Integer(), sa.ForeignKey("activity.id"), nullable=False))


def downgrade():
    op.drop_table("scratch_note")
'''


class Scratch:
    def __init__(self, folder: Path):
        self.folder = folder

    @hookimpl
    def portal_migration_dirs(self):
        return [str(self.folder)]


def imported_modules(source: str) -> set[str]:
    tree = ast.parse(source)
    names = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    return names | {node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}


def test_a_plugins_next_revision_imports_only_public_names(make_app, tmp_path):
    versions = tmp_path / "scratch" / "versions"
    versions.mkdir(parents=True)
    (versions / "sc01_scratch.py").write_text(FIRST, encoding="utf-8")
    app = make_app(EXTRA_PLUGINS=[("scratch", Scratch(versions))])
    result = app.test_cli_runner().invoke(args=["db", "revision", "-m", "scratch: a body column",
                                                "--head", "scratch@head"])
    assert result.exit_code == 0, result.output
    [new] = [p for p in versions.glob("*.py") if p.name != "sc01_scratch.py"]  # in the plugin's own folder
    source = new.read_text(encoding="utf-8")
    assert imported_modules(source) == {"alembic", "sqlalchemy"}, source
    assert "down_revision = 'sc01_scratch'" in source and "branch_labels = None" in source
    assert "portal" not in source.replace("portal_migration_dirs", "")

    new.write_text(source.replace("def upgrade():\n    pass", 'def upgrade():\n    op.add_column("scratch_note", '
                                  'sa.Column("body", sa.Text(), nullable=True))'), encoding="utf-8")
    with app.app_context():
        upgrade()  # the core and the plugin's two revisions
        assert "body" in {c["name"] for c in inspect(db.engine).get_columns("scratch_note")}
