"""who knows a password besides its holder: ``user_account.password_known_to``

The school admin who set a person's password (an account added on the staff page or from a
roster, a password reset) knows it until the person changes it; while they do, the person is
given no role that decides about others' hours (reviewing, administering): whoever knows the
password could sign in as them and credit their own hours. NULL: only the holder knows it (they
set it, or the operator did). Accounts made before this revision start NULL: who set their
passwords was not kept.

Revision ID: a9c4e2f7d310
Revises: f4b2d8a6c1e9
Create Date: 2026-12-04 22:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = "a9c4e2f7d310"
down_revision = "f4b2d8a6c1e9"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("user_account", sa.Column("password_known_to", sa.Integer(), nullable=True))  # no table copy


def downgrade():
    op.drop_column("user_account", "password_known_to")  # in place on SQLite: a copy loses triggers
