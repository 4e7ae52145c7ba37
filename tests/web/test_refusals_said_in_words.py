"""Four wordings a teacher's walk found, each said as a person says it, in both languages:

* a tampered kind of writing was refused with the codes 「须为以下之一：reading_notes, paper,
  reflection」 on a Chinese page: now the kinds by name (读书笔记、论文或教学心得、教学反思), the
  API keeping its codes in its answer;
* the English time error said "not an ISO 8601 date-time" where the Chinese says 日期时间格式有误;
* a declaration outside the year said 「须在本学年（2026-2027）内」, the year written unlike
  everywhere else: now through the one year formatter (2026—2027学年);
* the writing page printed its empty 「添加文章」 form: print hides it, as every page's forms."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from lxml import html as lxml_html

from portal.errors import Invalid
from portal.extensions import db
from portal.messages import in_language
from portal.models import Activity, OwnWriting
from portal.services import tokens
from portal.timeutil import BadTime, parse_iso, school_year_of, to_local, utcnow
from tests.plugins.test_declared_hours import declare
from tests.support import factories as f
from tests.support.sessions import log_in


@pytest.fixture
def school(app):
    s = f.school("W1", types=("lecture", "declared"))
    return s, f.staff(s)


def test_a_tampered_kind_of_writing_is_named_in_words(app, school):
    s, staff = school
    client = log_in(app.test_client(), staff["t1"], s.id)
    before = db.session.query(OwnWriting).count()
    for lang, said in (("zh_CN", "请从所列类别中选择：读书笔记、论文或教学心得、教学反思"),
                       ("en", "choose one of the kinds offered: Reading notes, Paper or teaching essay, "
                              "Teaching reflection")):
        r = client.post(f"/writing?lang={lang}", data={"kind": "essay", "title": "题目", "text": "正文" * 50})
        page = r.get_data(as_text=True)
        assert r.status_code == 422 and said in page, lang
        assert "reading_notes, paper" not in page and "须为以下之一" not in page, lang
    assert db.session.query(OwnWriting).count() == before  # nothing written
    # the API's answer keeps the codes it takes (its schema's enum)
    token = tokens.issue(staff["t1"]).token
    r = app.test_client().post("/api/v1/me/writing", json={"kind": "essay", "text": "正文"},
                               headers={"Authorization": f"Bearer {token}", "Accept-Language": "en"})
    assert r.status_code == 422 and "'reading_notes'" in r.get_json()["fields"]["kind"]


@pytest.mark.parametrize("typed", ["15/10/2026", "2026-10-15T25:00", "下周四"])
def test_a_time_not_read_is_said_as_a_person_says_it(app, typed):
    with pytest.raises(BadTime) as refused:
        parse_iso(typed, "Asia/Shanghai")
    english = refused.value.msg.english
    assert english == f"not a date and time that can be read: '{typed}'" and "ISO" not in english
    assert in_language(refused.value.msg, "zh_CN") == f"日期时间格式有误：“{typed}”"


def test_a_declaration_outside_the_year_names_it_as_everywhere(app, school):
    s, staff = school
    today = to_local(utcnow(), s.timezone).date()
    year = school_year_of(today)
    first, second = year.split("-")
    last_year = date(int(first) - 1, 10, 10)
    n = db.session.query(Activity).count()
    with app.test_request_context("/activities/new"), pytest.raises(Invalid) as refused:  # as a page asks
        declare(s, staff["t1"], start=datetime(last_year.year, last_year.month, last_year.day, 9, 0))
    field = refused.value.fields["starts_at"]
    with app.test_request_context("/"):
        assert in_language(field, "zh_CN") == f"须在本学年（{first}—{second}学年）内"
        assert in_language(field, "en") == f"must be in this school year (the {first}–{second} school year)"
    assert db.session.query(Activity).count() == n  # nothing planned


def test_the_writing_page_prints_without_its_form(app, school):
    s, staff = school
    client = log_in(app.test_client(), staff["t1"], s.id)
    doc = lxml_html.fromstring(client.get("/writing").get_data(as_text=True))
    (form,) = doc.xpath('//form[@data-testid="writing-form"]')
    hidden = [el for el in form.iterancestors() if "no-print" in (el.get("class") or "").split()]
    assert hidden, "the form is for the screen"
    assert [h.text_content() for h in hidden[0].xpath(".//h2")] == ["添加文章"]  # and its heading
    # the year's writing is printed (the quotas, the list)
    assert not [el for el in doc.xpath('//*[@data-testid="writing-empty"]')[0].iterancestors()
                if "no-print" in (el.get("class") or "").split()]


def test_a_plugin_writes_a_year_as_the_pages_do(app):
    """``activity_types.school_year_words`` (contract 1.22): the one year formatter's words, both languages."""
    from portal.activity_types import Text, school_year_words
    from portal.messages import school_year_text

    words = school_year_words("2026-2027")
    assert words == Text("2026—2027学年", "the 2026–2027 school year")
    assert (words.zh, words.en) == (school_year_text("2026-2027", lang="zh", within=True),
                                    school_year_text("2026-2027", lang="en", within=True))
