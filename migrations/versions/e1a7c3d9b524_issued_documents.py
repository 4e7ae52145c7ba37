"""issued documents: printed PDF forms and the digest of their verification code

Revision ID: e1a7c3d9b524
Revises: 5d8a2f61c0e4
Create Date: 2026-12-01 12:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = "e1a7c3d9b524"
down_revision = "5d8a2f61c0e4"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "issued_document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("school_year", sa.String(length=9), nullable=False),
        sa.Column("activity_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("issued_by", sa.Integer(), nullable=False),
        sa.Column("issued_at", sa.DateTime(), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["activity_id"], ["activity.id"], name=op.f("fk_issued_document_activity_id_activity")),
        sa.ForeignKeyConstraint(["issued_by"], ["user_account.id"], name=op.f("fk_issued_document_issued_by_user_account")),
        sa.ForeignKeyConstraint(["school_id"], ["school.id"], name=op.f("fk_issued_document_school_id_school")),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name=op.f("fk_issued_document_user_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_issued_document")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_issued_document_code_hash")),
    )
    op.create_index("ix_issued_document_school_year", "issued_document", ["school_id", "school_year"], unique=False)


def downgrade():
    op.drop_index("ix_issued_document_school_year", table_name="issued_document")
    op.drop_table("issued_document")
