"""``flask evidence recount``: a .txt handed in as written evidence before the fix was stored
counting 0 characters (own writing counted its words) and kept its 0 after the fix, so the
teacher's reading notes stayed behind on every page. The command counts such pieces again by
today's rule — a dry run by default, ``--apply`` to write — only in periods the district has not
accepted (an accepted year is frozen: listed as skipped), builds the moved teacher-year rows
again, writes a staff-log line by the command line, and a second run changes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from portal.database import write_transaction
from portal.extensions import db
from portal.models import Activity, Evidence, School, StaffChange, User
from portal.policy import Actor
from portal.services import access, activities, evidence_counts, submissions, teacher_years, tokens, users
from portal.textcount import chinese_count
from portal.timeutil import current_school_year
from tests.support import factories as f
from tests.support.sessions import log_in
from tests.year.helpers import quota_done

NOTES = "读《给教师的建议》第3章：Growth mindset 让我重新看待后进生。"
TXT = ("\ufeff" + NOTES).encode("utf-8")
WORDS = chinese_count(NOTES)


def _handed_in_the_old_way(s: School, staff: dict[str, User]) -> Evidence:
    """t1's notes.txt at a lecture, stored as before the fix: counting 0, the stored row too."""
    act = f.plan(s, staff["organizer"], "lecture", [(staff["t1"], "attendee")], {"topic": "读书"})
    ev = activities.add_evidence(act, staff["t1"], staff["t1"].id, "reading_notes", "给教师的建议",
                                 filename="notes.txt", data=TXT)
    with write_transaction():
        db.session.execute(update(Evidence).where(Evidence.id == ev.id).values(char_count=0))
        teacher_years.refresh(s, current_school_year(s.timezone), [staff["t1"].id])
    return ev


@pytest.fixture
def schools(app):
    """F1 (open) and F2 (its year accepted by the district), each with t1's notes stored at 0."""
    open_school, accepted = f.school("F1"), f.school("F2")
    open_staff, accepted_staff = f.staff(open_school), f.staff(accepted, "f2")
    ev_open = _handed_in_the_old_way(open_school, open_staff)
    ev_frozen = _handed_in_the_old_way(accepted, accepted_staff)
    reviewer = users.create_user("rev.f", f.PASSWORD, "区审核", None, ["district_reviewer"],
                                 district_id=accepted.district_id)
    year = current_school_year(accepted.timezone)
    sub = submissions.submit(accepted, year, by=access.actor(accepted_staff["admin"].id, accepted.id))
    submissions.decide(sub.id, True, by=Actor.of(reviewer.id, ["district_reviewer"]), district_id=accepted.district_id)
    db.session.commit()
    return (open_school, open_staff, ev_open), (accepted, accepted_staff, ev_frozen)


def _stored_done(s: School, user: User) -> int:
    rows = teacher_years.summary_rows(s, current_school_year(s.timezone))
    if rows is None:  # an accepted year: the submitted rows
        rows = submissions.latest(s.id, current_school_year(s.timezone), 0).rows  # type: ignore[union-attr]
        row = next(r for r in rows if r["user_id"] == user.id)
        return next(q["done"] for q in row["quotas"] if q["key"] == "reading_notes")
    return next(q.done for q in next(r for r in rows if r.user.id == user.id).facts.quotas if q.key == "reading_notes")


def _shown(app, s: School, user: User) -> tuple[str, int]:
    """The reading notes done as the teacher's home page and the API say."""
    page = log_in(app.test_client(), user, s.id).get("/").get_data(as_text=True)
    headers = {"Authorization": f"Bearer {tokens.issue(user).token}", "X-School": s.code}
    quotas = app.test_client().get("/api/v1/me/writing", headers=headers).get_json()["quotas"]
    return page, next(q["done"] for q in quotas if q["key"] == "reading_notes")


def _counts() -> dict[int, int]:
    db.session.expire_all()
    return dict(db.session.execute(select(Evidence.id, Evidence.char_count)).all())


def _recount(app, *args: str):
    result = app.test_cli_runner().invoke(args=["evidence", "recount", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_the_recount_is_a_dry_run_then_fixes_the_open_year_only(app, schools):
    (s1, staff1, ev1), (s2, staff2, ev2) = schools
    t1, f2t1 = staff1["t1"], staff2["t1"]
    assert _counts() == {ev1.id: 0, ev2.id: 0}
    assert quota_done(t1, s1, "reading_notes") == 0 and _stored_done(s1, t1) == 0
    page, api = _shown(app, s1, t1)
    assert 'data-testid="quota-reading_notes-0" data-done="0"' in page and api == 0
    frozen_before = (_stored_done(s2, f2t1), _shown(app, s2, f2t1)[1])
    log_lines = db.session.scalar(select(db.func.count()).select_from(StaffChange))

    dry = _recount(app)
    assert "would recount 1 piece(s)" in dry and f"evidence {ev1.id} '给教师的建议': 0 -> {WORDS}" in dry
    assert "skipped 1 in periods the district accepted" in dry and f"evidence {ev2.id}" in dry
    assert "dry run: nothing was written" in dry
    assert _counts() == {ev1.id: 0, ev2.id: 0} and _stored_done(s1, t1) == 0
    assert db.session.scalar(select(db.func.count()).select_from(StaffChange)) == log_lines

    done = _recount(app, "--apply")
    assert "recounted 1 piece(s)" in done and f"evidence {ev1.id}" in done and "skipped 1" in done
    assert _counts() == {ev1.id: WORDS, ev2.id: 0}  # the accepted year's piece is as accepted
    assert quota_done(t1, s1, "reading_notes") == WORDS and _stored_done(s1, t1) == WORDS
    page, api = _shown(app, s1, t1)
    assert f'data-testid="quota-reading_notes-0" data-done="{WORDS}"' in page and api == WORDS
    assert (_stored_done(s2, f2t1), _shown(app, s2, f2t1)[1]) == frozen_before
    line = db.session.execute(select(StaffChange).where(StaffChange.what == "char_count")).scalar_one()
    assert (line.school_id, line.user_id, line.changed_by) == (s1.id, t1.id, None)
    assert line.before == [ev1.id, "给教师的建议", 0] and line.after == [ev1.id, "给教师的建议", WORDS]
    admin = log_in(app.test_client(), staff1["admin"], s1.id)
    audit = admin.get("/admin/audit?view=staff").get_data(as_text=True)
    assert "命令行" in audit and f"给教师的建议（过程材料 {ev1.id} 号）：{WORDS} 字" in audit
    assert "字数（书面过程材料）" in audit
    csv_text = admin.get("/admin/audit.csv?view=staff").get_data(as_text=True)
    assert f"给教师的建议（过程材料 {ev1.id} 号）：0 字" in csv_text

    again = _recount(app, "--apply")  # idempotent: nothing moves, no new line
    assert "recounted 0 piece(s)" in again and "rebuilt 0 teacher-year rows" in again
    assert _counts() == {ev1.id: WORDS, ev2.id: 0}
    assert db.session.scalar(select(db.func.count()).select_from(StaffChange)) == log_lines + 1
    assert [p.piece_id for p in evidence_counts.disagreeing()] == [ev2.id]  # only the frozen one differs


def test_a_piece_whose_file_is_gone_is_left_as_stored(app, schools):
    (s1, _staff1, ev1), _accepted = schools
    (activities.upload_folder() / str(ev1.stored_name)).unlink()
    out = _recount(app, "--apply")
    assert "recounted 0 piece(s)" in out and "left 1 as stored" in out and f"evidence {ev1.id}" in out
    assert _counts()[ev1.id] == 0
    assert db.session.get(Activity, ev1.activity_id) is not None


def test_a_word_file_stored_before_it_was_read_is_counted_again(app):
    """A .docx handed in as reading notes before Word files were read counted 0 as well: the
    recount reads its words as a new one is read (portal.file_text)."""
    from tests.year.test_word_files import LINES, _docx
    from tests.year.test_word_files import WORDS as DOCX_WORDS

    s = f.school("F3")
    staff = f.staff(s, "f3")
    t1 = staff["t1"]
    act = f.plan(s, staff["organizer"], "lecture", [(t1, "attendee")], {"topic": "读书"})
    ev = activities.add_evidence(act, t1, t1.id, "reading_notes", "给教师的建议", filename="笔记.docx",
                                 data=_docx(*LINES))
    with write_transaction():
        db.session.execute(update(Evidence).where(Evidence.id == ev.id).values(char_count=0))
        teacher_years.refresh(s, current_school_year(s.timezone), [t1.id])
    db.session.commit()
    assert quota_done(t1, s, "reading_notes") == 0
    _recount(app, "--apply")
    db.session.expire_all()
    assert db.session.get(Evidence, ev.id).char_count == DOCX_WORDS > 0
    assert quota_done(t1, s, "reading_notes") == DOCX_WORDS


def test_own_writing_stored_with_an_old_count_is_counted_again_and_logged(app):
    """A teacher's own reading notes keep the count of the rule they were written under: the
    recount counts them again as a new piece is counted, moves the teacher's row and logs it."""
    from portal.models import OwnWriting
    from portal.services import writing

    s = f.school("F4")
    staff = f.staff(s, "f4")
    t1 = staff["t1"]
    piece = writing.add_writing(s, t1, "reading_notes", "给教师的建议", NOTES)
    with write_transaction():  # as a rule before the counting fix stored it
        db.session.execute(update(OwnWriting).where(OwnWriting.id == piece.id).values(char_count=3))
        teacher_years.refresh(s, current_school_year(s.timezone), [t1.id])
    db.session.commit()
    assert quota_done(t1, s, "reading_notes") == 3 and _stored_done(s, t1) == 3
    dry = _recount(app)
    assert f"F4 {current_school_year(s.timezone)} semester 1 f4t1 own writing {piece.id} '给教师的建议': 3 -> {WORDS}" in dry
    db.session.expire_all()
    assert db.session.get(OwnWriting, piece.id).char_count == 3  # a dry run
    done = _recount(app, "--apply")
    assert f"own writing {piece.id}" in done and "rebuilt 1 teacher-year rows" in done
    db.session.expire_all()
    assert db.session.get(OwnWriting, piece.id).char_count == WORDS
    assert quota_done(t1, s, "reading_notes") == WORDS and _stored_done(s, t1) == WORDS
    line = db.session.execute(select(StaffChange).where(StaffChange.what == "writing_count")).scalar_one()
    assert line.before == [piece.id, "给教师的建议", 3] and line.after == [piece.id, "给教师的建议", WORDS]
    audit = log_in(app.test_client(), staff["admin"], s.id).get("/admin/audit?view=staff").get_data(as_text=True)
    assert f"给教师的建议（本人文章 {piece.id} 号）：{WORDS} 字" in audit and "字数（本人文章）" in audit
    assert "recounted 0 piece(s)" in _recount(app, "--apply")  # idempotent


def test_writing_stored_padded_before_the_rule_is_listed_and_left_alone(app):
    """The rule refusing writing padded by repeating itself came after pieces were stored: such
    a piece still counts. ``flask evidence check-padding`` lists them (typed own writing, a .txt
    handed in) with the share repeated, and changes nothing; a piece written once is not listed."""
    from portal.models import OwnWriting
    from portal.services import writing
    from tests.support.texts import prose

    s = f.school("F5")
    staff = f.staff(s, "f5")
    t1, t2 = staff["t1"], staff["t2"]
    honest = writing.add_writing(s, t2, "reading_notes", "读书笔记", prose(400, "honest"))
    typed = writing.add_writing(s, t1, "reading_notes", "教育随笔", prose(400, "typed"))
    act = f.plan(s, staff["organizer"], "lecture", [(t1, "attendee")], {"topic": "读书"})
    handed = activities.add_evidence(act, t1, t1.id, "reading_notes", "给教师的建议", filename="notes.txt",
                                     data=prose(300, "file").encode("utf-8"))
    with write_transaction():  # padded as pieces stored before the rule could be
        db.session.execute(update(OwnWriting).where(OwnWriting.id == typed.id).values(text=prose(400, "typed") * 3))
    (activities.upload_folder() / str(handed.stored_name)).write_bytes((prose(300, "file") * 4).encode("utf-8"))
    db.session.commit()
    before = (_counts(), db.session.get(OwnWriting, typed.id).char_count)

    result = app.test_cli_runner().invoke(args=["evidence", "check-padding"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "found 2 piece(s)" in out
    assert f"f5t1 evidence {handed.id} '给教师的建议': 75% repeated, 300 characters counted" in out
    assert f"f5t1 own writing {typed.id} '教育随笔': 67% repeated, 400 characters counted" in out
    assert "f5t2" not in out and f"own writing {honest.id} " not in out
    db.session.expire_all()
    assert (_counts(), db.session.get(OwnWriting, typed.id).char_count) == before
