"""Words that depend only on the code and the language are made once a language, not once a
row or a page (issue 19, round 42): a semester in words (``messages.semester_text``) and a
writing quota's name (``year_texts.quota_label``), which the school summary asks for every
quota column, cell and warning, and its spreadsheets for every teacher. What is kept is the
same text as made fresh, in each language."""

from __future__ import annotations

from sqlalchemy import select

from portal import messages, year_texts
from portal.assessment import QuotaFact
from portal.extensions import cache, db
from portal.models import School
from portal.services import schools
from portal.services.access import actor as actor_of
from tests.perf.conftest import login, site


def _fresh_semester(n: int, lang: str, first: bool = False) -> str:
    text = messages.in_lang(messages.msg(f"paper.semester_{n}"), lang)
    return text[:1].upper() + text[1:] if first else text


def test_a_summary_makes_no_semester_or_quota_words_once_they_are_known(app, generated, monkeypatch):
    [code] = generated(teachers=12, years=1, seed=61)
    s = site(code)
    school = db.session.execute(select(School).where(School.code == code)).scalar_one()
    schools.update_rules(school, {"reflections_per_semester": 2, "books_per_semester": 1},
                         by=actor_of(s.admin.id, school.id))
    db.session.commit()
    client = login(app.test_client(), s.admin, s.school.id)
    made: list[str] = []
    render = messages.Msg.render

    def counted(self: messages.Msg, locale: str | None = None) -> str:
        if self.code.startswith("paper.semester_"):
            made.append(self.code)
        return render(self, locale)

    monkeypatch.setattr(messages.Msg, "render", counted)
    pages = {}
    for lang in ("zh_Hans_CN", "en", "zh_Hans_CN", "en"):
        made.clear()
        with app.app_context():
            cache.clear()
            page = client.get(f"/reports/summary?lang={lang}")
        assert page.status_code == 200
        assert b'data-quota="reflections-2"' in page.data  # the quota columns of both semesters are there
        if lang in pages:  # a language seen before: its words are kept (was a render per quota column and cell)
            assert made == [], made
        pages.setdefault(lang, page.data)
    assert "第二学期".encode() in pages["zh_Hans_CN"] and b"second semester" in pages["en"]
    assert "第二学期".encode() not in pages["en"]  # kept per language: the English page has none of the Chinese


def test_kept_words_are_the_words_made_fresh_in_each_language(app):
    with app.app_context(), app.test_request_context("/?lang=en"):  # a new app context: babel keeps the locale on its g
        for lang in ("zh", "en", "zh_Hans_CN", None):
            for n in (1, 2):
                for first in (False, True):
                    assert messages.semester_text(n, lang, first=first) == _fresh_semester(n, lang or "en", first)
            q = QuotaFact("reflections", 2, 0, 1, "pieces", ())
            expected = "Teaching reflections, second semester" if lang in ("en", None) else "第二学期教学反思"
            assert year_texts.quota_label(q, lang) == expected, lang
        assert messages.semester_text(3) == "3" and messages.semester_text("x") == "x"  # left as they are
        assert year_texts.quota_label(QuotaFact("unknown", 1, 0, 1, "pieces", ())) == "unknown"
    with app.app_context(), app.test_request_context("/?lang=zh"):
        assert messages.semester_text(1) == "第一学期"
        assert year_texts.quota_label(QuotaFact("books", 1, 0, 1, "pieces", ()), None) == "第一学期读书"
