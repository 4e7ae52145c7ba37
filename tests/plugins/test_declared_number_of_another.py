"""学时申报: one teacher's certificate number on another teacher's declaration. Only files were
compared across teachers (``test_declared_certificate_of_another``); the number, the declared
training's own field, was compared within one teacher only — t2 typing t1's certificate number
(written another way: full-width, lower case, spaces for dashes) on a declaration of his own was
approved by a reviewer who had no way to know it was t1's. The type now says what number a
declaration names (``ActivityType.certificate_number``, contract 1.22) and the core tells the
same people as of a file, a third-party type's number as the built-in's."""

from __future__ import annotations

import unicodedata
from datetime import timedelta
from typing import Any

from wtforms import Form, StringField

from portal.activity_types import ActivityType, EvidenceKind, Role, Text
from portal.extensions import db
from portal.models import Activity
from portal.registry import registry
from portal.services import access, activities, shared_certificates
from tests.plugins.plugin_throwaway import ProvidesTypes
from tests.plugins.test_broken_plugins import failures
from tests.plugins.test_declared_certificate_of_another import T1_CERTIFICATE, _api, _page, _upload, note_of
from tests.plugins.test_declared_hours import DETAILS, count, declare, ended, past_start, s1, staff  # noqa: F401
from tests.support import factories as f
from tests.support.spies import selects

NUMBER = "SZ-2026-777"
ALSO = "ｓｚ　２０２６　７７７"  # the same number: full width, lower case, ideographic spaces


def _numbered(number: str) -> dict[str, str]:
    return {**DETAILS, "certificate_no": number}


def test_a_number_another_teacher_declared_is_told_to_the_reviewers_only(app, s1, staff):  # noqa: F811
    t1, t2, t3 = staff["t1"], staff["t2"], staff["t3"]
    day = past_start(3)
    theirs = declare(s1, t1, hours="3", start=day, title="区级骨干教师培训", details=_numbered(NUMBER))
    _upload(theirs, t1, T1_CERTIFICATE)
    f.fire(theirs, t1, "hold")
    rows = count(Activity)
    borrowed = declare(s1, t2, hours="3", start=day, title="市级骨干教师培训", details=_numbered(ALSO))
    assert count(Activity) == rows + 1  # taken: another teacher's number is not refused, it is told
    _upload(borrowed, t2, b"%PDF-1.4 a scan of t2's own, 3 hours, 2026")
    honest = declare(s1, t3, hours="3", start=day, title="网络课程：大单元设计", details=_numbered("SZ-2026-778"))
    gone = declare(s1, staff["t4"], hours="3", start=day, title="区级培训", details=_numbered(NUMBER))
    f.fire(gone, staff["t4"], "cancel", "申报有误")  # cancelled: stands no more, not named
    db.session.commit()
    ids = {"theirs": theirs.id, "borrowed": borrowed.id, "honest": honest.id}
    t1_name, t2_name = t1.display_name, t2.display_name

    for who in (staff["reviewer"], staff["admin"]):
        said = note_of(_page(app, who, s1, ids["borrowed"]))
        assert "证书编号也出现在其他教师的申报中" in said and "同一证书编号" in said and t1_name in said
        assert f'/activities/{ids["theirs"]}"' in said and f'/activities/{gone.id}"' not in said
        assert "其他教师申报中的证书" not in said and "同一文件" not in said  # no file in common
        both = _page(app, who, s1, ids["theirs"])  # and the other way round
        assert 'data-testid="shared-certificate-number"' in both and t2_name in both
        assert 'data-testid="shared-certificate"' not in _page(app, who, s1, ids["honest"])
    for who, own in ((t2, ids["borrowed"]), (t1, ids["theirs"])):  # the declarers: told nothing
        assert 'data-testid="shared-certificate"' not in _page(app, who, s1, own)
    # the API's activity: the same people, with what is shared
    told = _api(app, staff["reviewer"], ids["borrowed"])["shared_certificate"]
    assert [(c["activity_id"], c["by"]) for c in told] == [(ids["theirs"], ["number"])]
    assert _api(app, staff["reviewer"], ids["honest"])["shared_certificate"] == []
    assert "shared_certificate" not in _api(app, t2, ids["borrowed"])
    assert "shared_certificate" not in _api(app, t3, ids["theirs"])  # a peer: not theirs to see


def test_a_file_and_a_number_in_common_are_one_line_saying_both(app, s1, staff):  # noqa: F811
    t1, t2 = staff["t1"], staff["t2"]
    day = past_start(3)
    theirs = declare(s1, t1, hours="3", start=day, details=_numbered(NUMBER))
    _upload(theirs, t1, T1_CERTIFICATE)
    borrowed = declare(s1, t2, hours="3", start=day, title="市级骨干教师培训", details=_numbered(NUMBER.lower()))
    _upload(borrowed, t2, T1_CERTIFICATE)
    other_school = f.school("S2", types=("declared",))
    t9 = f.person(other_school, "t9", "teacher")
    declare(other_school, t9, hours="3", start=day, details=_numbered(NUMBER))  # another school's: not this one's
    db.session.commit()
    found = shared_certificates.shared_with_others(borrowed, s1.timezone)
    assert [(c.activity_id, c.by) for c in found] == [(theirs.id, ("file", "number"))]
    note = note_of(_page(app, staff["reviewer"], s1, borrowed.id))
    assert note.count("<li>") == 1 and "同一文件" in note and "同一证书编号" in note


def test_asking_costs_no_statement_where_there_is_nothing_to_compare(app, s1, staff):  # noqa: F811
    """A lecture's page asks nothing; a declaration naming no number asks what it asked before
    (its files: one statement); one naming a number one statement more."""
    t1 = staff["t1"]
    lecture = f.plan(s1, staff["organizer"], "lecture", [(staff["t2"], "attendee")], {"topic": "大单元教学"})
    plain = declare(s1, t1, hours="3", start=past_start(3))
    numbered = declare(s1, t1, hours="3", start=past_start(6), title="市级培训", details=_numbered(NUMBER))
    db.session.commit()
    who = access.actor(staff["reviewer"].id, s1.id)
    for act in (lecture, plain, numbered):
        db.session.refresh(act)  # read before counting: the page has its activity already
    with selects() as seen:
        assert shared_certificates.told_to(who, lecture, s1.timezone) is None
    assert seen == []
    with selects() as seen:
        assert shared_certificates.told_to(who, plain, s1.timezone) == []
    assert len(seen) == 1, seen
    with selects() as seen:
        assert shared_certificates.told_to(who, numbered, s1.timezone) == []
    assert len(seen) == 2, seen
    declarer = access.actor(t1.id, s1.id)
    with selects() as seen:  # the declarer: asked nothing at all
        assert shared_certificates.told_to(declarer, numbered, s1.timezone) is None
    assert seen == []


# -- a third party's type: the same door --------------------------------------------------------

MOOC = "mooc_t"


class CodeForm(Form):
    course_code = StringField(Text("课程编码", "Course code"))


class Mooc(ActivityType):
    """A self-declared online course whose completion code is its certificate number."""

    key = MOOC
    name_zh, name_en = "慕课学时测试", "MOOC hours (test)"
    roles = {"learner": Role("学员", "Learner")}
    form = CodeForm
    self_declared = True
    evidence_kinds = {"certificate": EvidenceKind("结业证书", "Completion certificate", written=False)}

    def certificate_number(self, details: dict[str, Any]) -> str:
        code = unicodedata.normalize("NFKC", str(details.get("course_code") or "")).upper()
        return "".join(ch for ch in code if ch.isalnum())


class BrokenMooc(Mooc):
    def certificate_number(self, details: dict[str, Any]) -> str:
        raise RuntimeError("no code table")


def _mooc(school, who, code: str, days_ago: int) -> Activity:
    start = past_start(days_ago)
    end = ended(start, timedelta(hours=2))
    return activities.plan_activity(school, who, MOOC, f"慕课 {days_ago}", start.isoformat(timespec="minutes"),
                                    end.isoformat(timespec="minutes"), "2", None, {"course_code": code})


def _two_moocs(app) -> tuple[dict[str, Any], Activity, Activity]:
    school = f.school("M1", types=(MOOC,))
    people = f.staff(school)
    first = _mooc(school, people["t1"], "ZX-88 01", 3)
    second = _mooc(school, people["t2"], "zx8801", 4)
    db.session.commit()
    return {"school": school, **people}, first, second


def test_a_third_party_type_tells_its_number_through_the_contract(make_app):
    app = make_app(EXTRA_PLUGINS=[("yx_mooc", ProvidesTypes(Mooc))])
    with app.app_context():
        assert registry().get(MOOC) is not None and "yx_mooc" not in failures()
        place, first, second = _two_moocs(app)
        told = _api(app, place["reviewer"], second.id)["shared_certificate"]
        assert [(c["activity_id"], c["by"]) for c in told] == [(first.id, ["number"])]
        assert "shared_certificate" not in _api(app, place["t2"], second.id)


def test_a_third_party_number_rule_that_raises_is_reported_and_tells_nothing(make_app):
    app = make_app(EXTRA_PLUGINS=[("yx_mooc", ProvidesTypes(BrokenMooc))])
    with app.app_context():
        place, _first, second = _two_moocs(app)
        page = _page(app, place["reviewer"], place["school"], second.id)  # the page still opens
        assert 'data-testid="shared-certificate"' not in page
        assert "yx_mooc" in failures() and "certificate_number" in str(failures()["yx_mooc"])
