"""Correction requests (``services.corrections``): school S1 (staff org, rev, adm, t1–t4, and a second
admin adm2) and school S2 (staff b-prefixed)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from portal.extensions import db
from portal.models import School
from tests.support import factories
from tests.support.prepared import prepared_by


def _build() -> dict:
    s1, s2 = factories.school("S1"), factories.school("S2")
    staff, other = factories.staff(s1), factories.staff(s2, prefix="b")
    staff["admin2"] = factories.person(s1, "adm2", "school_admin", name="郑晓梅")
    return {"s1": s1.id, "s2": s2.id, "staff": factories.ids(staff), "other": factories.ids(other)}


prepared = prepared_by(_build)


@pytest.fixture
def world(app, make_app, prepared):
    ids = make_app.facts(prepared)
    return SimpleNamespace(school=db.session.get(School, ids["s1"]), school2=db.session.get(School, ids["s2"]),
                           people=factories.people_of(ids["staff"]), people2=factories.people_of(ids["other"]))
