"""The school's rules counted in hours (每学年应修学时, the absence limit and warning) and the
district's floors of them were checked on their own (0 to 1000, then "hours go in steps of 0.5"),
beside the one validator that checks an activity type's hours settings (``Setting(hours=True)``,
0 to 999.5 in half hours). Now they are declared hours too: one check, one wording on the rules
page, the district's page and the service, one range (1000 h was taken as a year's requirement,
past the most any number of hours may be), and the API's schema says ``multipleOf`` from it."""

from __future__ import annotations

import pytest

from portal.activity_types import Setting
from portal.errors import Invalid
from portal.school_rules import HOUR_RULES, SCHOOL_RULES
from portal.services import schools
from tests.support import factories as f

WORDS = "must be a number of hours from 0 to 999.5, in steps of 0.5"


def test_the_hour_rules_are_declared_hours():
    assert HOUR_RULES == ("required_hours", "absence_limit_hours", "absence_warning_hours")
    for key in HOUR_RULES:
        spec: Setting = SCHOOL_RULES[key]
        assert spec.hours and spec.bounds == (0, 999.5), key
        assert spec.check(0.3).english == WORDS and spec.json_schema()["multipleOf"] == 0.5, key


@pytest.mark.parametrize("bad", [60.3, 1000, -1, "60", True, float("nan")])
def test_a_school_saves_its_hour_rules_by_the_one_check(app, bad):
    school = f.school("HR")
    admin = f.person(school, "hradm", "school_admin")
    with pytest.raises(Invalid) as refused:
        schools.update_rules(school, {"required_hours": bad}, by=schools_actor(admin, school))
    assert refused.value.fields["required_hours"].english == WORDS
    assert school.rule("required_hours") != bad
    schools.update_rules(school, {"required_hours": 999.5}, by=schools_actor(admin, school))
    assert school.rule("required_hours") == 999.5


def schools_actor(user, school):
    from portal.services import access

    return access.actor(user.id, school.id)
