"""Printed forms in the demo, printed as their routes print them (``portal.reports.paper``: a
verification code issued, the form laid out), so ``/verify`` shows real documents: a 学分认定表
the reviewer printed while its activity was credited (its credits were revoked after it: the
page says what changed since), and :data:`RECORD_OF`'s 学时证明 of this year, printed by the
school admin when the demo is loaded. A code's only copy is the one printed (the database keeps
its digest): ``flask demo`` tells the codes it printed. Invented people."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from portal.extensions import db
from portal.models import Activity, School, User
from portal.reports import paper
from portal.timeutil import current_school_year

#: Whose 学时证明 the demo prints, and who prints it (as on the record page's PDF link).
RECORD_OF, PRINTED_BY = "teacher1", "admin"


def _user(username: str) -> User:
    return db.session.execute(select(User).where(User.username == username)).scalar_one()


def print_certificate(act: Activity, by: User) -> str:
    """The activity's 学分认定表, printed by ``by``: its verification code."""
    return paper.certificate_printed(act.id, db.session.get_one(School, act.school_id), by.id).code


def print_record(school: School, now: datetime | None = None) -> str:
    """:data:`RECORD_OF`'s 学时证明 of the school year of ``now``, printed by :data:`PRINTED_BY`:
    its verification code."""
    year = current_school_year(school.timezone, now)
    return paper.record_printed(_user(RECORD_OF), school, year, _user(PRINTED_BY).id).code
