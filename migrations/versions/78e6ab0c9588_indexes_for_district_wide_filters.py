"""indexes for district-wide filters

The district page and district exports read one school year across every school; the school
summary reads a school's exemptions of one year. Without these the first two scan every
year's ledger and activity rows, and the last scans every school's exemptions.

Revision ID: 78e6ab0c9588
Revises: 7c1e5a90b3d2
Create Date: 2026-11-22 14:52:14.146290

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '78e6ab0c9588'
down_revision = '7c1e5a90b3d2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_activity_year_state', 'activity', ['school_year', 'state'], unique=False)
    op.create_index(
        'ix_credit_year_school', 'credit_entry', ['school_year', 'school_id', 'user_id', 'type_key'], unique=False
    )
    op.create_index('ix_exemption_school_year', 'exemption', ['school_id', 'school_year'], unique=False)


def downgrade():
    op.drop_index('ix_exemption_school_year', table_name='exemption')
    op.drop_index('ix_credit_year_school', table_name='credit_entry')
    op.drop_index('ix_activity_year_state', table_name='activity')
