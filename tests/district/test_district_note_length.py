"""A district's least length of one reading note (``reading_note_chars``, seed 004: 每篇不少于300字),
as its other minimum writing quotas: a floor its schools may raise, never lower; the teachers'
figures follow it at once; a bad value is refused and changes nothing (service, page, API)."""

from __future__ import annotations

import pytest

from portal.errors import Invalid
from portal.extensions import db
from portal.models import District, School
from portal.policy import SYSTEM, Actor
from portal.services import credits, districts, schools, tokens, writing
from portal.timeutil import current_school_year
from tests.credits.helpers import login
from tests.support.texts import prose


def _dadmin(world) -> Actor:
    return Actor.of(world.admin1.id, ["district_admin"])


def _notes_done(world, user) -> int:
    facts = credits.teacher_year(user, world.s1, current_school_year(world.s1.timezone)).facts
    return next(q.done for q in facts.quotas if q.key == "reading_notes")


def test_the_district_sets_a_floor_of_a_notes_length_its_schools_may_raise(world):
    t3 = world.staff["t3"]
    writing.add_writing(world.s1, t3, "reading_notes", "《论语》", prose(250, "短"))
    db.session.commit()
    assert _notes_done(world, t3) == 250
    districts.update_settings(world.d1, {"reading_note_chars": 300}, by=_dadmin(world))
    assert world.s1.rule("reading_note_chars") == 300 and world.t1.rule("reading_note_chars") == 0  # another district
    assert _notes_done(world, t3) == 0  # the 250-character note counts no more
    with pytest.raises(Invalid) as info:
        schools.update_rules(world.s1, {"reading_note_chars": 200}, by=SYSTEM)
    assert info.value.fields["reading_note_chars"].code == "rules.below_district"
    assert world.s1.rule("reading_note_chars") == 300
    schools.update_rules(world.s1, {"reading_note_chars": 400}, by=SYSTEM)  # a school may ask more
    assert world.s1.rule("reading_note_chars") == 400
    districts.update_settings(world.d1, {"reading_note_chars": None}, by=_dadmin(world))  # none set again
    assert world.s1.rule("reading_note_chars") == 400


def test_bad_values_are_refused_and_change_nothing(app, world):
    for bad in ({"reading_note_chars": -1}, {"reading_note_chars": 5001}, {"reading_note_chars": 2.5},
                {"reading_note_chars": "300"}, {"reading_note_chars": True}):
        with pytest.raises(Invalid) as info:
            districts.update_settings(world.d1, bad, by=_dadmin(world))
        assert "reading_note_chars" in info.value.fields
    db.session.expire_all()
    assert db.session.get(District, world.d1.id).settings == {}
    client = login(app.test_client(), world.admin1)
    form = {"form": "defaults", "required_hours": "", "absence_limit_hours": "", "submission_period": "year",
            "plan_deadline": "06-30"}
    assert 'data-testid="district-reading_note_chars"' in client.get("/district/settings").get_data(as_text=True)
    for bad in ("three hundred", "5001", "-1"):
        assert client.post("/district/settings", data={**form, "reading_note_chars": bad}).status_code == 422
    db.session.expire_all()
    assert db.session.get(District, world.d1.id).settings == {}
    assert client.post("/district/settings", data={**form, "reading_note_chars": "300"}).status_code == 303
    db.session.expire_all()
    assert db.session.get(School, world.s1.id).rule("reading_note_chars") == 300
    page = client.get("/district/settings?lang=zh_Hans_CN").get_data(as_text=True)
    field = page.split('data-testid="district-reading_note_chars"')[0].rsplit("<label", 1)[1]
    assert "每篇读书笔记最少字数" in field and 'value="300"' in page.split('id="reading_note_chars"')[1][:120]


def test_the_floor_through_the_api(app, world):
    client = app.test_client()
    head = {"Authorization": f"Bearer {tokens.issue(world.admin1).token}"}
    db.session.commit()
    for bad in (-5, 5001, "300", 2.5, True):
        r = client.put("/api/v1/district/settings", json={"reading_note_chars": bad}, headers=head)
        assert r.status_code == 422, bad
    db.session.expire_all()
    assert db.session.get(District, world.d1.id).settings == {}
    r = client.put("/api/v1/district/settings", json={"reading_note_chars": 300}, headers=head)
    assert r.status_code == 200 and r.get_json()["settings"]["reading_note_chars"] == 300
    db.session.expire_all()
    assert db.session.get(School, world.s1.id).rule("reading_note_chars") == 300
    spec = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]["DistrictSettings"]
    assert "reading_note_chars" in spec["properties"]
    r = client.put("/api/v1/district/settings", json={"reading_note_chars": None}, headers=head)
    assert "reading_note_chars" not in r.get_json()["settings"]


def test_the_schools_rules_page_asks_the_length_and_refuses_less_than_the_district(app, world):
    """The school's own rule had no field on its rules page (only the API set it)."""
    districts.update_settings(world.d1, {"reading_note_chars": 300}, by=_dadmin(world))
    db.session.commit()
    client = login(app.test_client(), world.staff["admin"], world.s1)
    page = client.get("/admin/rules?lang=zh_Hans_CN").get_data(as_text=True)
    assert 'data-testid="rules-reading_note_chars"' in page
    r = client.post("/admin/rules", data={"required_hours": "50", "absence_limit_hours": "5",
                                          "reading_note_chars": "200"})
    assert r.status_code == 422 and "300" in r.get_data(as_text=True).split('data-testid="rules-reading_note_chars"')[1]
    db.session.expire_all()
    assert db.session.get_one(School, world.s1.id).rule("reading_note_chars") == 300
    assert client.post("/admin/rules", data={"required_hours": "50", "absence_limit_hours": "5",
                                             "reading_note_chars": "350"}).status_code == 302
    db.session.expire_all()
    assert db.session.get_one(School, world.s1.id).rule("reading_note_chars") == 350


def test_an_accepted_year_keeps_the_length_it_was_submitted_with(world):
    """The activity page's hint (``credits.note_least_in``) reads an accepted year by the rules it
    was submitted with, as the teacher's year does: the floor lifted later moves the years to come."""
    from portal.services import access, submissions
    from tests.district.conftest import YEAR

    districts.update_settings(world.d1, {"reading_note_chars": 300}, by=_dadmin(world))
    sub = submissions.submit(world.s1, YEAR, by=access.actor(world.staff["admin"].id, world.s1.id))
    submissions.decide(sub.id, True, by=Actor.of(world.reviewer1.id, ["district_reviewer"]), district_id=world.d1.id)
    db.session.commit()
    districts.update_settings(world.d1, {"reading_note_chars": None}, by=_dadmin(world))
    db.session.commit()
    assert world.s1.rule("reading_note_chars") == 0
    assert credits.note_least_in(world.s1, YEAR) == 300
    assert credits.note_least_in(world.s1, "2020-2021") == 0  # a year not accepted: the rules as they stand
