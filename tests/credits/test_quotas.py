"""Writing quotas: characters counted as Chinese readers count them, from written evidence and the
teacher's own writing; school rules with ranges; the assessment may count them."""

from __future__ import annotations

import io

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from portal.errors import Forbidden, Invalid
from portal.extensions import db
from portal.messages import reason_label
from portal.models import OwnWriting, School
from portal.policy import SYSTEM
from portal.services import access, activities, credits, schools, writing
from portal.textcount import chinese_count
from portal.timeutil import current_school_year
from tests.credits.helpers import credited
from tests.support import factories as f
from tests.support.sessions import log_in
from tests.support.texts import prose


@pytest.mark.parametrize(
    ("text", "n"),
    [
        ("读书笔记", 4),
        ("读书，笔记。", 4),  # punctuation is not counted
        ("  读 书\n笔\t记  ", 4),  # nor white space
        ("《给教师的建议》读后感", 9),
        ("Hello world 你好", 4),  # a Latin word is one, like Word's 字数
        ("2026年9月", 4),  # a number is one
        ("ゆっくり読む", 6),  # kana and kanji one each
        ("——！？……", 0),
        ("3.14 e-mail x.x.x", 3),  # a mark between letters or digits does not end the word
        ("a\u200b" * 3000, 1),  # nor does an invisible one, which counts nothing: 3,000 letters padded were 3,000
        ("a\u00ad" * 50 + " b", 2),  # a soft hyphen likewise
        ("abc，def。ghi", 3),  # full-width punctuation ends a word
        ("\u200b\u200b", 0),
        ("", 0),
        (None, 0),
    ],
)
def test_chinese_count(text, n):
    assert chinese_count(text) == n


def test_count_is_not_bytes():
    text = "教师的时间从读书中来"
    assert chinese_count(text) == 10 and len(text.encode("utf-8")) == 30


def year_quotas(user, school) -> dict[tuple[str, int], tuple[int, int]]:
    facts = credits.teacher_year(user, school, current_school_year(school.timezone)).facts
    return {(q.key, q.semester): (q.done, q.target) for q in facts.quotas}


def test_quotas_count_evidence_and_own_writing(s1, staff):
    t1 = staff["t1"]
    q = year_quotas(t1, s1)
    assert q[("reading_notes", 0)] == (0, 10000) and q[("paper", 0)] == (0, 1)
    assert q[("reflections", 1)] == (0, 5) and q[("books", 2)] == (0, 1)
    text = prose(6000, "notes")
    notes = "，".join(text[i:i + 10] for i in range(0, 6000, 10))  # 6,000 characters, 599 commas
    writing.add_writing(s1, t1, "reading_notes", "《给教师的建议》", notes)
    writing.add_writing(s1, t1, "paper", "大单元教学初探", prose(2999, "论"))  # one short of a paper
    act = f.plan(s1, staff["organizer"], "lecture", [(t1, "attendee")], {"topic": "阅读"})
    activities.add_evidence(act, t1, t1.id, "reading_notes", "《给教师的建议》", text=prose(4000, "读"))
    activities.add_evidence(act, t1, t1.id, "reflection", "反思", text="这节课学生参与度高。")
    q = year_quotas(t1, s1)
    assert q[("reading_notes", 0)] == (10000, 10000)
    assert q[("paper", 0)] == (0, 1)
    assert q[("reflections", act.semester)] == (1, 5)
    assert q[("books", act.semester)][0] == 1  # the same book in both places counts once
    with pytest.raises(Invalid) as err:  # the draft again, with words added: held whole, not a new piece
        writing.add_writing(s1, t1, "paper", "大单元教学初探", prose(3000, "论"))
    assert err.value.fields["text"].code == "writing.repeats"
    draft = db.session.execute(select(OwnWriting).where(OwnWriting.user_id == t1.id, OwnWriting.kind == "paper")).scalar_one()
    writing.edit_writing(s1, draft, "paper", "大单元教学初探", prose(3000, "论"), by=access.actor(t1.id, s1.id))  # finished
    assert year_quotas(t1, s1)[("paper", 0)] == (1, 1)


def test_an_unmet_quota_makes_the_year_short_only_when_the_school_says_so(s1, staff):
    t1 = staff["t1"]
    credited(s1, staff, "lecture", [(t1, "attendee")], hours="50")  # 2026-10-15: school year 2026-2027
    year = "2026-2027"
    ty = credits.teacher_year(t1, s1, year)
    assert ty.assessment.status == "met" and ty.facts.unmet_quotas
    schools.update_rules(s1, {"quotas_decide": True}, by=SYSTEM)
    ty = credits.teacher_year(t1, s1, year)
    # every quota not met is named, each once (reflections and books are asked per semester)
    assert (ty.assessment.status, ty.assessment.reason) == (
        "short", "quota_reading_notes+quota_paper+quota_reflections+quota_books")
    with force_locale("zh_Hans_CN"):
        assert reason_label(ty.assessment.reason) == "未完成写作任务：读书笔记、论文或教学心得、教学反思、读书"
    assert reason_label(ty.assessment.reason, "en") == (
        "Writing quotas not met: reading notes, paper or teaching essay, teaching reflections, books read")
    schools.update_rules(s1, {"reading_notes_chars": 0, "papers_per_year": 0, "reflections_per_semester": 0},
                         by=SYSTEM)  # one left: its own words, as before
    ty = credits.teacher_year(t1, s1, year)
    assert (ty.assessment.status, ty.assessment.reason) == ("short", "quota_books")
    assert reason_label(ty.assessment.reason, "zh") == "未完成写作任务：读书"
    schools.update_rules(s1, {k: 0 for k in ("reading_notes_chars", "papers_per_year", "reflections_per_semester",
                                             "books_per_semester")}, by=SYSTEM)
    ty = credits.teacher_year(t1, s1, year)
    assert ty.facts.quotas == () and ty.assessment.status == "met"


@pytest.mark.parametrize(
    "rules",
    [
        {"reading_notes_chars": -1},
        {"reading_notes_chars": 1.5},
        {"reading_notes_chars": "10000"},
        {"papers_per_year": True},
        {"books_per_semester": 21},
        {"quotas_decide": "yes"},
        {"absence_warning_hours": 2.3},
        {"absence_warning_hours": 8},  # after the limit (5): the year is lost before any warning
        {"absence_warning_hours": 5},  # at the limit
        {"absence_limit_hours": 3},  # the limit onto the warning (3)
        {"absence_limit_hours": 0},  # any absence voids the year: a warning (3) would come too late
        {"no_such_rule": 1},
        {"reflections_per_semester": 1e400},
    ],
)
def test_bad_rules_change_nothing(s1, rules):
    before = dict(s1.rules or {})
    with pytest.raises(Invalid):
        schools.update_rules(s1, {"reading_notes_chars": 8000, **rules}, by=SYSTEM)
    db.session.rollback()
    assert dict(db.session.get(School, s1.id).rules or {}) == before


@pytest.mark.parametrize(
    "rules",
    [{"absence_warning_hours": 4.5}, {"absence_warning_hours": 0, "absence_limit_hours": 0},
     {"absence_warning_hours": 0}, {"absence_warning_hours": 7, "absence_limit_hours": 8}],
)
def test_a_warning_before_the_limit_or_none_is_saved(s1, rules):
    schools.update_rules(s1, rules, by=SYSTEM)
    assert {k: db.session.get_one(School, s1.id).rule(k) for k in rules} == rules


def test_a_district_limit_onto_the_warning_blocks_no_save_of_other_rules(s1):
    """The district lowers its limit to the school's warning (3): the warning in force is then
    2.5 (the rules page shows it), and the school still saves its other rules (the form sends
    the two as shown); its next change of either is held to it."""
    from portal.models import District
    from portal.services import districts

    districts.update_settings(db.session.get_one(District, s1.district_id), {"absence_limit_hours": 3}, by=SYSTEM)
    school = db.session.get_one(School, s1.id)
    shown = {key: school.rule(key) for key in ("absence_warning_hours", "absence_limit_hours")}
    assert shown == {"absence_warning_hours": 2.5, "absence_limit_hours": 3}
    schools.update_rules(school, {"reading_notes_chars": 8000, **shown}, by=SYSTEM)
    with pytest.raises(Invalid) as refused:
        schools.update_rules(school, {"absence_warning_hours": 4}, by=SYSTEM)
    assert set(refused.value.fields) == {"absence_warning_hours"}
    db.session.rollback()
    schools.update_rules(db.session.get_one(School, s1.id), {"absence_warning_hours": 2.5}, by=SYSTEM)


def test_the_rules_page_refuses_a_warning_after_the_limit_in_the_readers_language(s1, staff, app):
    client = log_in(app.test_client(), staff["admin"], s1.id)
    form = {"required_hours": "50", "absence_limit_hours": "5", "absence_warning_hours": "8",
            "reading_notes_chars": "10000", "paper_chars": "3000", "papers_per_year": "1",
            "reflections_per_semester": "5", "books_per_semester": "1"}
    r = client.post("/admin/rules?lang=zh_Hans_CN", data=form)
    assert r.status_code == 422
    assert "须小于不予认定的缺席学时（5 学时）" in r.get_data(as_text=True)
    assert db.session.get_one(School, s1.id).rule("absence_warning_hours") == 3


@pytest.mark.parametrize(
    ("kind", "title", "text", "field"),
    [
        ("diary", "x", "正文", "kind"),
        ("reading_notes", "", "正文", "title"),  # the book is named
        ("paper", "题" * 201, "正文", "title"),
        ("reflection", "", "   ", "text"),
        ("reflection", "", "坏\x00字", "text"),
        ("reflection", "", 12, "text"),
    ],
)
def test_bad_writing_changes_nothing(s1, staff, kind, title, text, field):
    with pytest.raises(Invalid) as err:
        writing.add_writing(s1, staff["t1"], kind, title, text)
    assert field in err.value.fields
    assert db.session.scalar(select(func.count()).select_from(OwnWriting)) == 0


def test_only_a_teacher_adds_own_writing(s1, staff):
    with pytest.raises(Forbidden):
        writing.add_writing(s1, staff["admin"], "reflection", "", "反思")  # admin only, no teacher role


def test_pages_and_api(app, client, s1, staff):
    t1 = staff["t1"]
    log_in(client, t1, s1.id)
    ok = client.post("/writing", data={"kind": "reading_notes", "title": "《论语》", "text": "学而时习之，不亦说乎。"})
    assert ok.status_code == 302
    page = client.get("/writing")
    assert "《论语》" in page.text and 'data-done="9"' in page.text
    pdf = {"kind": "paper", "title": "论文", "file": (io.BytesIO(b"%PDF-1"), "a.pdf")}
    bad = client.post("/writing", data=pdf, content_type="multipart/form-data")
    assert bad.status_code == 422 and "Word（.docx）或 .txt 文件" in bad.text  # the files it reads, in Chinese
    txt = {"kind": "reflection", "title": "", "file": (io.BytesIO("反思：课堂节奏".encode()), "r.txt")}
    txt = client.post("/writing", data=txt, content_type="multipart/form-data")
    assert txt.status_code == 302
    home = client.get("/")
    assert 'data-testid="quota-reading_notes-0"' in home.text
    assert "9 of 10,000 characters" in client.get("/?lang=en").text
    # each count with its unit: characters 字, papers and reflections 篇, books 本
    assert "9 / 10,000 字" in home.text and "0 / 1 篇" in home.text and "0 / 1 本" in home.text
    assert "2026—2027学年" in home.text and "2026-2027 学年" not in home.text  # as the forms write it
    assert "School year 2026–2027" in client.get("/?lang=en").text
    token = client.post("/api/v1/auth/token", json={"username": "t1", "password": f.PASSWORD}).get_json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    r = client.post("/api/v1/me/writing", json={"kind": "reflection", "text": "今天的课很好。"}, headers=headers)
    assert r.status_code == 201 and r.get_json()["char_count"] == 6
    r = client.post("/api/v1/me/writing", json={"kind": "reflection", "text": ""}, headers=headers)
    assert r.status_code == 422
    got = client.get("/api/v1/me/writing", headers=headers).get_json()
    assert {q["key"] for q in got["quotas"]} == {"reading_notes", "paper", "reflections", "books"}
    assert len(got["writing"]) == 3
    log_in(client, staff["admin"], s1.id)
    summary = client.get("/reports/summary")
    assert 'data-testid="quota-head-reading_notes-0"' in summary.text
    r = client.post("/admin/rules", data={"required_hours": "50", "absence_limit_hours": "5", "absence_warning_hours": "3",
                                          "reading_notes_chars": "8000", "paper_chars": "3000", "papers_per_year": "1",
                                          "reflections_per_semester": "-4", "books_per_semester": "1"})
    assert r.status_code == 422
    assert db.session.get(School, s1.id).rule("reading_notes_chars") == 10000


def test_written_evidence_moves_the_stored_year_too(s1, staff):
    """Attack (or mere use): with the school counting its quotas, reading notes attached to an
    activity made the teacher's own page say "met" while the stored teacher-year row, which the
    school summary, its exports and the district count, still said "short". The row is now
    stored again in the same transaction, so every page tells the same verdict."""
    from portal.models import TeacherYearRow
    from portal.services import teacher_years

    t1 = staff["t1"]
    year = current_school_year(s1.timezone)
    schools.update_rules(s1, {"quotas_decide": True, "required_hours": 0, "reading_notes_chars": 100,
                              "papers_per_year": 0, "reflections_per_semester": 0, "books_per_semester": 0}, by=SYSTEM)
    act = f.plan(s1, staff["organizer"], "lecture", [(t1, "attendee")], {"topic": "阅读"})

    def stored() -> str | None:
        return db.session.scalar(select(TeacherYearRow.status).where(
            TeacherYearRow.user_id == t1.id, TeacherYearRow.school_id == s1.id, TeacherYearRow.school_year == year))

    assert credits.teacher_year(t1, s1, year).assessment.status == stored() == "short"
    activities.add_evidence(act, t1, t1.id, "reading_notes", "《给教师的建议》", text=prose(200, "读"))
    db.session.commit()
    assert credits.teacher_year(t1, s1, year).assessment.status == stored() == "met"
    assert teacher_years.counts_by_school(year, [s1])[s1.id][1]["met"] == 1


@pytest.mark.parametrize(("limit", "warning"), [(3, 2.5), (2, 1.5), (0.5, 0), (0, 0), (4, 3)])
def test_a_district_limit_onto_the_warning_moves_the_warning_before_it(s1, limit, warning):
    """Review: the district lowering its limit to 3 (or less) left every school's default warning
    (3) at or after it: teachers lost the year with no warning. The warning comes half an hour
    before the limit then, on every page the rule is read (none under a limit of 0.5 or 0)."""
    from portal.models import District
    from portal.services import districts

    districts.update_settings(db.session.get_one(District, s1.district_id), {"absence_limit_hours": limit}, by=SYSTEM)
    school = db.session.get_one(School, s1.id)
    assert (school.rule("absence_limit_hours"), school.rule("absence_warning_hours")) == (limit, warning)
