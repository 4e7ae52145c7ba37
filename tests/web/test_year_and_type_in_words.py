"""What a teacher and a school admin read on the demo's pages, found walking them in a browser:

* a school year is written as the school writes it (2026—2027学年 / School year 2026–2027) in the
  headings of the record, the sign-ups, the writing, the plans, the school plan, the submission,
  the exemptions and the district's pages — not as its code ``2026-2027``;
  (and the district's submission, and a piece of writing being corrected);
* an activity held on one day names its day once (2026-11-12 10:00–12:00), on its page, its list
  and the printed sign-in sheet, and its participants' table says its figures are hours;
* the record's total says its unit (合计 25.5 / 应修 50 学时), as the home does;
* a refused figure of the development plan's hours per type stands under that type's box, in
  words: the page read 「lecture：'x' 不是数字；observation：…」, the types' keys for their names;
  and a figure that is no number says how to write one (如 2 或 1.5).
"""

from __future__ import annotations

import html as html_lib
import re

from sqlalchemy import select

from portal.extensions import db
from portal.models import DevelopmentPlan, User

YEAR_CODE = re.compile(r"\b\d{4}-\d{4}\b")
YEAR_ZH = re.compile(r"\d{4}—\d{4}学年")
YEAR_EN = re.compile(r"School year \d{4}–\d{4}")
HEADING = re.compile(r"<h([12])[^>]*>(.*?)</h\1>", re.S)
TAG = re.compile(r"<[^>]+>")


def _headings(page: str) -> list[str]:
    return [" ".join(html_lib.unescape(TAG.sub(" ", inner)).split()) for _level, inner in HEADING.findall(page)]


def _user_id(site, username: str) -> int:
    with site.app_context():
        return db.session.execute(select(User.id).where(User.username == username)).scalar_one()


def _year_heading(client, path: str, lang: str) -> str:
    response = client.get(path + ("&" if "?" in path else "?") + f"lang={lang}")
    assert response.status_code == 200, (path, response.status_code)
    page = response.get_data(as_text=True)
    pattern = YEAR_ZH if lang == "zh" else YEAR_EN
    found = [h for h in _headings(page) if pattern.search(h)]
    assert found, f"{path} ({lang}): no heading names the school year as the school writes it: {_headings(page)}"
    coded = [h for h in _headings(page) if YEAR_CODE.search(h)]
    assert not coded, f"{path} ({lang}): a heading shows the school year's code: {coded}"
    return found[0]


def test_the_school_year_is_written_out_in_the_headings(site, as_user):
    teacher = as_user("teacher1")
    record = f"/teachers/{_user_id(site, 'teacher1')}/record"
    for lang in ("zh", "en"):
        for path in (record, "/signups", "/writing"):
            _year_heading(teacher, path, lang)
    reviewer = as_user("reviewer")
    with site.app_context():
        plan_id = db.session.execute(select(DevelopmentPlan.id).order_by(DevelopmentPlan.id)).scalars().first()
    admin = as_user("admin")
    district = as_user("district")
    for lang in ("zh", "en"):
        _year_heading(reviewer, f"/plans/{plan_id}", lang)
        for path in ("/school-plan", "/submission", "/admin/exemptions"):
            _year_heading(admin, path, lang)
        for path in ("/district", "/district/dashboard", "/district/plans", "/reports/summary"):
            _year_heading(district, path, lang)
    from portal.models import OwnWriting, YearSubmission

    with site.app_context():
        submission_id = db.session.execute(select(YearSubmission.id).order_by(YearSubmission.id)).scalars().first()
        piece_id = db.session.execute(select(OwnWriting.id).where(OwnWriting.user_id == _user_id(site, "teacher1"))
                                      .order_by(OwnWriting.id)).scalars().first()
    dreviewer = as_user("dreviewer")
    for lang in ("zh", "en"):
        _year_heading(dreviewer, f"/district/submissions/{submission_id}", lang)
        _year_heading(teacher, f"/writing/{piece_id}", lang)


def test_the_records_total_says_its_unit(site, as_user):
    teacher = as_user("teacher1")
    path = f"/teachers/{_user_id(site, 'teacher1')}/record"
    zh = " ".join(TAG.sub(" ", teacher.get(path).get_data(as_text=True)).split())
    assert re.search(r"合计 [\d.]+ / 应修 [\d.]+ 学时", zh), "the record's total has no unit"
    en = " ".join(TAG.sub(" ", teacher.get(path + "?lang=en").get_data(as_text=True)).split())
    assert re.search(r"Total [\d.]+ / Required [\d.]+ hours", en), "the record's total has no unit"


def _plans(site) -> list[tuple]:
    with site.app_context():
        return [tuple(r) for r in db.session.execute(
            select(DevelopmentPlan.id, DevelopmentPlan.status, DevelopmentPlan.goals, DevelopmentPlan.type_targets)
            .order_by(DevelopmentPlan.id))]


def test_a_refused_hours_per_type_figure_stands_under_its_type_in_words(site, as_user):
    teacher = as_user("teacher2")
    before = _plans(site)
    form = {"goals": "每学期听课十节", "target_hours": "50", "type-lecture": "十",
            "type-observation": "-2", "type-mentorship": "4", "action": "submit"}
    for lang, names in (("zh", ("专题讲座", "教学观摩")), ("en", ("Lecture", "Observation lesson"))):
        response = teacher.post(f"/plan?lang={lang}", data=form)
        page = response.get_data(as_text=True)
        assert response.status_code == 422
        assert _plans(site) == before  # refused: nothing changed
        text = html_lib.unescape(page)
        # no type's key in front of its error, as the flattened message had it
        assert not re.search(r"\b(lecture|observation|mentorship)\s*[:：]", TAG.sub(" ", text)), lang
        for key, name in (("lecture", names[0]), ("observation", names[1])):
            box = re.search(rf'<label[^>]*for="type-{key}">([^<]*)</label>\s*(<input[^>]*>)\s*'
                            rf'<div class="invalid-feedback" data-testid="error-type-{key}">([^<]*)</div>', text)
            assert box, f"{lang}: no error under the {key} box"
            assert box.group(1) == name and "is-invalid" in box.group(2) and box.group(3).strip()
            if key == "lecture":  # the refusal says what to write instead
                assert box.group(3).strip() == {"zh": "'十' 不是数字：请用阿拉伯数字填写学时，如 2 或 1.5",
                                                "en": "'十' is not a number: write the hours in digits, such as 2 or 1.5"}[lang]
        assert 'value="十"' in text and 'value="-2"' in text  # what she typed stays
        assert 'data-testid="error-type-mentorship"' not in page  # a good figure has no error
        assert 'value="4"' in page


ONE_DAY = re.compile(r"(\d{4}-\d{2}-\d{2}) \d{2}:\d{2}–\d{2}:\d{2}")
DAY_TWICE = re.compile(r"(\d{4}-\d{2}-\d{2}) \d{2}:\d{2} – \1 \d{2}:\d{2}")


def test_an_activity_held_on_one_day_names_its_day_once(site, as_user):
    """「2026-11-12 10:00 – 2026-11-12 12:00」 on the activity page, its list of participants and
    the printed sign-in sheet: now 「2026-11-12 10:00–12:00」; the participants' table says its unit."""
    from portal.models import Activity

    with site.app_context():
        act = db.session.execute(select(Activity).where(Activity.type_key == "lecture").order_by(Activity.id)).scalars().first()
        assert act is not None
        act_id = act.id
    organizer = as_user("admin")  # the school admin may open all three
    for path in (f"/activities/{act_id}", f"/activities/{act_id}/participants", f"/activities/{act_id}/sign-in-sheet"):
        page = organizer.get(path).get_data(as_text=True)
        text = " ".join(TAG.sub(" ", page).split())
        assert not DAY_TWICE.search(text), f"{path}: the day written twice"
        assert ONE_DAY.search(text), f"{path}: no time of the activity"
    for lang, words in (("zh", "出勤、缺席、请假均以学时计。"), ("en", "Attended, absent and excused are counted in hours.")):
        page = organizer.get(f"/activities/{act_id}?lang={lang}").get_data(as_text=True)
        unit = re.search(r'data-testid="participant-table-unit">([^<]*)<', page)
        assert unit and unit.group(1) == words


def test_the_printed_sign_in_sheet_numbers_its_lines_in_words(site, as_user):
    """The sign-in sheet's first column was headed 「#」; the 学分认定表 heads it 序号 (No.)."""
    from portal.models import Activity

    with site.app_context():
        act_id = db.session.execute(select(Activity.id).order_by(Activity.id)).scalars().first()
    admin = as_user("admin")
    for lang, word in (("zh", "序号"), ("en", "No.")):
        page = admin.get(f"/activities/{act_id}/sign-in-sheet?lang={lang}").get_data(as_text=True)
        head = re.search(r'sheet-people">\s*<thead><tr><th class="num">([^<]*)</th>', page)
        assert head and head.group(1) == word, (lang, head and head.group(1))


def test_a_leaver_refused_at_the_login_is_told_what_to_do(site):
    """teacher7 left and holds no role: the login said only 「您的账号已不在任何学校或区里任职」; it
    now says what to do, as the notice of one signed out for it does (如有误，请联系学校管理员)."""
    from tests.web.conftest import login

    for lang, words in (("zh", "您的账号已不在任何学校或区里任职：如有误，请联系学校管理员"),
                        ("en", "if this is a mistake, ask your school admin")):
        client = site.test_client()
        client.get(f"/login?lang={lang}")
        response = login(client, "teacher7")
        page = html_lib.unescape(response.get_data(as_text=True))
        assert response.status_code != 302 and words in page, lang
        assert 'value="teacher7"' in page  # the username typed stays
