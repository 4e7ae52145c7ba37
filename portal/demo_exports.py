"""Demo data of exports done in the background (``services.export_jobs``): the district admin
asked for the district's ledger workbook and for its summary. The first was written as the
worker writes it (``export_jobs.run``, called here at once: loading the demo needs no worker)
and is ready to download, kept ``EXPORT_KEEP_HOURS``; the second waits for the worker
(``make run`` starts one, which writes it). A third, the ledger as CSV, failed for good: the
server's disk filled up a third of the way through its last try, and its page says so. The
worker that ``make run`` starts is handed it too (its request queued it) and leaves it as it
is: a failed export is not tried again (``export_jobs.run``); asked again, it is a new one.
Invented people."""

from __future__ import annotations

from sqlalchemy import select

from portal import policy
from portal.extensions import db
from portal.models import ExportJob, School, User
from portal.services import access, export_jobs
from portal.timeutil import current_school_year

#: Who asked for the demo's exports (a district admin: no school is theirs to ask in).
ASKED_BY = "district"


def load(school: School) -> tuple[ExportJob, ExportJob, ExportJob] | None:
    """The ledger workbook written, the summary waiting, the ledger as CSV failed; None if
    ``school`` is in no district."""
    user = db.session.execute(select(User).where(User.username == ASKED_BY)).scalar_one()
    seat = access.district_seat(user.id)
    if seat is None or school.district_id != seat.district_id:
        return None
    actor = policy.Actor.of(user.id, list(seat.roles))
    year = current_school_year(school.timezone)
    done, waiting = (export_jobs.request_export(user.id, actor, kind, year, "zh", district_id=seat.district_id)
                     for kind in (export_jobs.DISTRICT_LEDGER, export_jobs.DISTRICT_SUMMARY))
    export_jobs.run(done.id)  # as the worker runs it
    db.session.refresh(done)
    failed = export_jobs.request_export(user.id, actor, export_jobs.DISTRICT_LEDGER, year, "zh", fmt="csv",
                                        district_id=seat.district_id)
    total = export_jobs.count_rows(export_jobs.DISTRICT_LEDGER, year, district_id=seat.district_id)
    # as the worker's last try leaves it (``export_jobs.run``: the file it began is deleted)
    failed.status, failed.failure = "failed", "export.failed_disk_full"
    failed.total_rows, failed.done_rows = total, total // 3
    db.session.commit()
    return done, waiting, failed
