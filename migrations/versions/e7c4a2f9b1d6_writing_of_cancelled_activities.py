"""writing handed in for a cancelled activity, or one held while its author was away, counts no more

Until this revision a reflection (reading notes, a paper) handed in for an activity counted
towards its author's quotas whatever became of the activity: one cancelled after it began (it
never took place), and one held while the author was away from the staff (stored before the
``evidence.away`` rule), still counted, and put a teacher who had left with nothing else on the
year. From this revision the figures leave them out (``quotas.counts_towards_quotas``, asked of
``Phase.counts_writing``). The stored teacher-year rows of each school year (not closed) holding
such writing are removed whole, as ``f1c7a3e9b250`` did: their status may differ now, and their
teachers (pages compute them from the ledger; ``flask credits rebuild-year-rows`` stores them
again). Plain SQL: a state of the core's phases whose writing counts is read from the core's
definition; any other state (a plugin's) has its year's rows removed too — removing more only
makes pages compute it.

Downgrade leaves the data: the code before this revision stores the rows again as it counted.

Revision ID: e7c4a2f9b1d6
Revises: d3b8f2a6c4e1
Create Date: 2026-12-06 01:30:00
"""
import sqlalchemy as sa
from alembic import op

from portal.models.district import WHOLE_YEAR
from portal.year_rows_upgrade import drop_years
from workflows.definition import CORE, Phase

revision = "e7c4a2f9b1d6"
down_revision = "d3b8f2a6c4e1"
branch_labels = None
depends_on = None

WRITTEN = ("reading_notes", "paper", "reflection")  # quotas.WRITTEN_KINDS when this revision was written


def upgrade():
    conn = op.get_bind()
    counting = CORE.states_in(*(p for p in Phase if p.counts_writing))
    written = sa.bindparam("written", expanding=True)
    counts = sa.bindparam("counting", expanding=True)
    # an activity not in a state whose writing counts, or written by someone whose teacher role
    # there had ended (a gap, or gone) by its start: such a year may count otherwise now
    found = conn.execute(sa.text(
        "SELECT DISTINCT a.school_id, a.school_year FROM evidence e JOIN activity a ON a.id = e.activity_id"
        " WHERE e.kind IN :written AND (a.state NOT IN :counting OR EXISTS (SELECT 1 FROM membership m"
        " WHERE m.user_id = e.user_id AND m.school_id = a.school_id AND m.role = 'teacher' AND"
        " ((m.active = :no AND m.until IS NOT NULL AND m.until <= a.starts_at) OR EXISTS (SELECT 1"
        " FROM membership_stint st WHERE st.membership_id = m.id AND st.until <= a.starts_at))))"
    ).bindparams(written, counts), {"written": list(WRITTEN), "counting": counting, "no": False}).all()
    years = []
    for school_id, year in found:
        closed = {sem for (sem,) in conn.execute(sa.text(
            "SELECT semester FROM year_lock WHERE school_id = :s AND school_year = :y"), {"s": school_id, "y": year})}
        if WHOLE_YEAR not in closed and not {1, 2} <= closed:  # a closed year's rows stay as accepted
            years.append((school_id, year))
    drop_years(conn, years)


def downgrade():
    pass
