"""A district reviewer sees the school's rules a round was judged by (kept with the round), beside
what the district sets now: a school's rule more lenient than the district's is flagged; where the
district sets nothing the rule is shown, not flagged; a round sent before rules were kept says so
(the page in both languages, and the API answer of one round)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select, update

from portal.extensions import db
from portal.models import YearSubmission
from portal.policy import SYSTEM, Actor
from portal.services import access, districts, schools, submissions, tokens
from tests.credits.helpers import login
from tests.district.conftest import YEAR


@pytest.fixture
def sent(world):
    """S1 (its district sets nothing) asks 20 hours, allows 8 hours' absence and lets the quotas
    decide; it submits its year; then D1 sets 40 hours and an absence limit of 5 for its schools."""
    schools.update_rules(world.s1, {"required_hours": 20, "absence_limit_hours": 8, "quotas_decide": True},
                         by=SYSTEM)
    sub = submissions.submit(world.s1, YEAR, by=access.actor(world.staff["admin"].id, world.s1.id))
    db.session.commit()
    return sub


def _row(page: str, key: str) -> str:
    found = re.search(rf'<tr data-testid="judged-{key}"[^>]*>.*?</tr>', page, re.S)
    assert found, key
    return found.group(0)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_page_shows_the_rules_and_flags_the_lenient_ones(app, world, sent, lang):
    reviewer = login(app.test_client(), world.reviewer1)
    reviewer.get(f"/lang/{lang}")
    page = reviewer.get(f"/district/submissions/{sent.id}").get_data(as_text=True)
    assert ("认定所依据的学校规则" if lang == "zh" else "Rules the year was judged by") in page
    hours = _row(page, "required_hours")
    assert ">20<" in hours.replace(" ", "").replace("\n", "") and "data-laxer" not in hours  # the district sets none
    assert ("未设定" if lang == "zh" else "none set") in hours
    assert ("是" if lang == "zh" else "Yes") in _row(page, "quotas_decide")
    assert 'data-testid="judged-reading_notes_chars"' in page and 'data-testid="judged-books_per_semester"' in page
    assert 'data-laxer' not in page

    districts.update_settings(world.d1, {"required_hours": 40, "absence_limit_hours": 5},
                              by=Actor.of(world.admin1.id, ["district_admin"]))
    db.session.commit()
    page = reviewer.get(f"/district/submissions/{sent.id}").get_data(as_text=True)
    lenient = "宽于区设定" if lang == "zh" else "more lenient than the district's"
    for key, district in (("required_hours", ">40<"), ("absence_limit_hours", ">5<")):
        row = _row(page, key)
        assert 'data-laxer="1"' in row and lenient in row, key
        assert district in row.replace(" ", "").replace("\n", ""), key
    assert page.count('data-laxer="1"') == 2  # the quotas: the district sets none


def test_the_api_answer_gives_the_rules(app, world, sent):
    districts.update_settings(world.d1, {"required_hours": 40},
                              by=Actor.of(world.admin1.id, ["district_admin"]))
    db.session.commit()
    head = {"Authorization": f"Bearer {tokens.issue(world.reviewer1).token}"}
    body = app.test_client().get(f"/api/v1/district/submissions/{sent.id}", headers=head).get_json()
    rules = {r["key"]: r for r in body["rules"]}
    assert rules["required_hours"] == {"key": "required_hours", "label_zh": "每学年应修学时",
                                       "label_en": "Required hours per school year", "value": 20, "district": 40,
                                       "more_lenient": True}
    assert rules["absence_limit_hours"]["value"] == 8 and rules["absence_limit_hours"]["district"] is None
    assert rules["absence_limit_hours"]["more_lenient"] is False
    assert rules["quotas_decide"]["value"] is True
    assert list(rules) == list(submissions.JUDGED_BY)
    listed = app.test_client().get("/api/v1/district/submissions", headers=head).get_json()["items"]
    assert listed and all("rules" not in r for r in listed)  # the queue's rounds: as before


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_round_sent_before_rules_were_kept_says_so(app, world, sent, lang):
    db.session.execute(update(YearSubmission).where(YearSubmission.id == sent.id).values(rules=None))
    db.session.commit()
    count = db.session.scalar(select(func.count()).select_from(YearSubmission))
    reviewer = login(app.test_client(), world.reviewer1)
    reviewer.get(f"/lang/{lang}")
    page = reviewer.get(f"/district/submissions/{sent.id}").get_data(as_text=True)
    assert 'data-testid="judged-by-unknown"' in page and 'data-testid="judged-by"' not in page
    assert ("无法得知认定时所依据的规则" if lang == "zh" else "the rules it was judged by are not known") in page
    head = {"Authorization": f"Bearer {tokens.issue(world.reviewer1).token}"}
    body = app.test_client().get(f"/api/v1/district/submissions/{sent.id}", headers=head).get_json()
    assert "rules" in body and body["rules"] is None
    assert db.session.scalar(select(func.count()).select_from(YearSubmission)) == count  # reading changed nothing
