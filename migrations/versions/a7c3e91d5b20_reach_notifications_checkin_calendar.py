"""reach people: notifications (in-app, email settings, deliveries), QR check-in, calendar feeds,
long exports as jobs

Revision ID: a7c3e91d5b20
Revises: e1a7c3d9b524
Create Date: 2026-12-01 12:45:00
"""
import sqlalchemy as sa
from alembic import op

revision = "a7c3e91d5b20"
down_revision = "e1a7c3d9b524"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "notification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("link", sa.String(length=300), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("read_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["school_id"], ["school.id"], name=op.f("fk_notification_school_id_school")),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name=op.f("fk_notification_user_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification")),
        sa.UniqueConstraint("key", name=op.f("uq_notification_key")),
    )
    op.create_index("ix_notification_user_read", "notification", ["user_id", "read_at"], unique=False)
    op.create_table(
        "notification_delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notification_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=80), nullable=False),
        sa.Column("claimed_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["notification_id"], ["notification.id"],
            name=op.f("fk_notification_delivery_notification_id_notification"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_delivery")),
        sa.UniqueConstraint("notification_id", "channel", name=op.f("uq_notification_delivery_notification_id_channel")),
    )
    op.create_index(
        op.f("ix_notification_delivery_notification_id"), "notification_delivery", ["notification_id"], unique=False
    )
    op.create_table(
        "notification_setting",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("email_off", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_notification_setting_user_id_user_account")
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_notification_setting")),
    )
    op.create_table(
        "check_in",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("activity_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("checked_in_at", sa.DateTime(), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["activity_id"], ["activity.id"], name=op.f("fk_check_in_activity_id_activity")),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name=op.f("fk_check_in_user_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_check_in")),
        sa.UniqueConstraint("activity_id", "user_id", name=op.f("uq_check_in_activity_id_user_id")),
    )
    op.create_index(op.f("ix_check_in_activity_id"), "check_in", ["activity_id"], unique=False)
    op.create_table(
        "calendar_feed",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=40), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name=op.f("fk_calendar_feed_user_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_feed")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_calendar_feed_token_hash")),
        sa.UniqueConstraint("user_id", "scope", name=op.f("uq_calendar_feed_user_id_scope")),
    )
    op.create_table(
        "export_job",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("year", sa.String(length=9), nullable=False),
        sa.Column("lang", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("done_rows", sa.Integer(), nullable=False),
        sa.Column("total_rows", sa.Integer(), nullable=False),
        sa.Column("stored_name", sa.String(length=64), nullable=True),
        sa.Column("download_name", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("expires_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["school_id"], ["school.id"], name=op.f("fk_export_job_school_id_school")),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name=op.f("fk_export_job_user_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_export_job")),
    )
    op.create_index(op.f("ix_export_job_user_id"), "export_job", ["user_id"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_export_job_user_id"), table_name="export_job")
    op.drop_table("export_job")
    op.drop_table("calendar_feed")
    op.drop_index(op.f("ix_check_in_activity_id"), table_name="check_in")
    op.drop_table("check_in")
    op.drop_table("notification_setting")
    op.drop_index(op.f("ix_notification_delivery_notification_id"), table_name="notification_delivery")
    op.drop_table("notification_delivery")
    op.drop_index("ix_notification_user_read", table_name="notification")
    op.drop_table("notification")
