"""Schools are listed by the pinyin of their names, as a Chinese reader files them (北苑 běi,
东城 dōng, 西湖路 xī, 研修 yán), on the district's pages, its exports and the API alike.

Auditor: the district's table, its dashboard, the API and the exports listed the schools by
code (研修示范小学, 东城…, 北苑…, 西湖路…)."""

from __future__ import annotations

import csv
import io

from portal.extensions import db
from portal.models import School
from portal.services import dashboard, schools, tokens
from portal.timeutil import current_school_year
from tests.credits.helpers import login
from tests.support import factories as f

#: codes in the order of their names' pinyin; their code order is another
NAMES = {"D4": "北苑第二小学", "C3": "东城实验小学", "B2": "西湖路中学", "A1": "研修示范小学"}
BY_PINYIN = list(NAMES)


def _order(text: str, marker: str) -> list[str]:
    found = {code: text.find(marker.format(code=code)) for code in BY_PINYIN}
    assert all(at >= 0 for at in found.values()), found
    return sorted(found, key=found.__getitem__)


def test_the_district_lists_its_schools_by_the_pinyin_of_their_names(app):
    for code in sorted(NAMES):
        f.person(schools.create_school(code, NAMES[code]), f"t{code.lower()}", "teacher")
    district = f.person(None, "district", "district_admin")
    year = current_school_year()
    client = login(app.test_client(), district)
    assert _order(client.get(f"/district?year={year}").get_data(as_text=True),
                  'data-testid="district-row-{code}"') == BY_PINYIN
    rows = list(csv.reader(io.StringIO(client.get(f"/district/export.csv?year={year}").data.decode("utf-8-sig"))))
    assert list(dict.fromkeys(c for r in rows[1:] for c in r if c in NAMES)) == BY_PINYIN, rows
    body = app.test_client().get(f"/api/v1/district/schools?year={year}",
                                 headers={"Authorization": f"Bearer {tokens.issue(district).token}"}).get_json()
    assert [s["school"] for s in body] == BY_PINYIN
    district_id = db.session.execute(db.select(School.district_id)).scalars().first()
    assert [s.school.code for s in dashboard.dashboard(district_id, year).schools] == BY_PINYIN
    # a school renamed moves with its name
    renamed = db.session.execute(db.select(School).where(School.code == "A1")).scalar_one()
    renamed.name = "安定门小学"  # ān
    db.session.commit()
    assert [s.school.code for s in dashboard.dashboard(district_id, year).schools] == ["A1", *BY_PINYIN[:3]]


def test_the_migration_keys_the_schools_there_by_their_names(app):
    from flask_migrate import downgrade, upgrade

    from portal.sorting import name_key

    for code in sorted(NAMES):
        schools.create_school(code, NAMES[code])
    db.session.commit()
    db.session.remove()
    downgrade(revision="c8e3f1a5b7d2")  # before school.name_key
    upgrade()
    keys = dict(db.session.execute(db.select(School.code, School.name_key)).all())
    assert {code: keys[code] for code in NAMES} == {code: name_key(name) for code, name in NAMES.items()}
    assert keys["D4"] == "bei3yuan4di4er4xiao3xue2"


def test_a_long_or_odd_name_never_breaks_the_pages(app):
    """Review: a 51-character name made a 213-character cursor, which paging refuses (200 at
    most): no school after it could be reached. Keys keep a-z and 0-9 only, 120 at most, and a
    name with neither is keyed "0" (an empty key broke the walk)."""
    from portal.services import overview
    from portal.sorting import NAME_KEY_MOST, name_key

    odd = {"L1": "新疆生产建设兵团第一师阿拉尔市塔里木大学附属实验学校暨教师发展中心研修基地第二分校（南校区）附属幼儿园",
           "L2": "St. Mary's School (East)", "L3": "（）", "L4": "北苑第二小学", "L5": "北苑第二小学"}
    for code, name in odd.items():
        schools.create_school(code, name)
    assert len(name_key(odd["L1"])) == NAME_KEY_MOST and name_key(odd["L2"]) == "stmarysschooleast"
    assert name_key(odd["L3"]) == "0"
    year, seen, after = current_school_year(), [], None
    while True:
        page = overview.district_page(year, after=after, size=1)
        seen += [r.school.code for r in page.items]
        if page.next is None:
            break
        after = page.next
    keys = {s.code: s.name_key for s in db.session.execute(db.select(School)).scalars()}
    assert sorted(seen) == sorted(keys) and seen == sorted(keys, key=lambda c: (keys[c], c))
