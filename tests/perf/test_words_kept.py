"""Words that depend only on the code and the language are made once a language, not once a
row or a page (issue 19, round 42): a semester in words (``messages.semester_text``) and a
writing quota's name (``year_texts.quota_label``), which the school summary asks for every
quota column, cell and warning, and its spreadsheets for every teacher. What is kept is the
same text as made fresh, in each language."""

from __future__ import annotations

import flask_babel
from sqlalchemy import select

from portal import messages, year_texts
from portal.assessment import QuotaFact
from portal.extensions import cache, db
from portal.models import School
from portal.reports import exports
from portal.services import credits, schools
from portal.services.access import actor as actor_of
from portal.timeutil import current_school_year
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


def test_a_quotas_figures_keep_the_catalogues_form_and_put_in_each_quotas_own(app):
    """``year_texts.quota_amount`` keeps the translated form per language; the figures are each
    quota's (done and target are data: never kept)."""
    cases = [  # key, unit, done, target, Chinese, English
        ("reading_notes", "chars", 6200, 10000, "6,200 / 10,000 字", "6,200 of 10,000 characters"),
        ("notes_monthly", "months", 3, 9, "3 / 9 个月", "3 of 9 months"),
        ("paper", "pieces", 0, 1, "0 / 1 篇", "0 of 1"),
        ("reflections", "pieces", 2, 5, "2 / 5 篇", "2 of 5"),
        ("books", "pieces", 1, 1, "1 / 1 本", "1 of 1"),
        ("chars", "pieces", 4, 7, "4 / 7", "4 of 7"),  # a key named as a unit is counted as its unit says
        ("", "pieces", 1234, 2000, "1,234 / 2,000", "1,234 of 2,000"),
    ]
    for first, second in (("zh", "en"), ("en", "zh")):  # whichever language is kept first
        with app.app_context(), app.test_request_context(f"/?lang={first}"):
            for key, unit, done, target, zh, en in cases:
                q = QuotaFact(key, 1, done, target, unit, ())
                shown = {"zh": zh, "en": en}
                assert year_texts.quota_amount(q) == shown[first], (key, first)
                assert year_texts.quota_amount(q, second) == shown[second], (key, second)
                as_stored = {"key": key, "semester": 1, "done": done + 1, "target": target, "unit": unit}
                assert year_texts.quota_amount(as_stored, "en").startswith(f"{done + 1:,} of "), key


def test_the_summary_spreadsheet_switches_language_a_few_times_not_per_teacher(app, generated, monkeypatch):
    """学时汇总表's rows in a language not the request's: each quota cell's figures were written
    under ``force_locale`` (a switch of the catalogue per teacher and quota); now the form is
    kept per language and only the warnings' own sentences switch it."""
    [code] = generated(teachers=30, years=1, seed=62)
    school = db.session.execute(select(School).where(School.code == code)).scalar_one()
    s = site(code)
    schools.update_rules(school, {"reflections_per_semester": 2, "books_per_semester": 1},
                         by=actor_of(s.admin.id, school.id))
    db.session.commit()
    switched: list[str] = []
    force_locale = flask_babel.force_locale

    def counted(locale: str):
        switched.append(locale)
        return force_locale(locale)

    monkeypatch.setattr(year_texts, "force_locale", counted)
    year = current_school_year()
    quota_cells = sum(len(r.facts.quotas) for r in credits.school_summary(school, year))
    assert quota_cells >= 4 * 30
    for lang in ("en", "zh", "en"):
        switched.clear()
        with app.test_request_context("/"):
            rows = list(exports.summary_rows(school, year, lang))
        teachers = rows[1:]
        assert len(teachers) >= 30 and len(rows[0]) == len(teachers[0])
        warnings = sum(str(r[-1]).count("\n") + 1 for r in teachers if r[-1])
        months_named = sum(1 for r in teachers for cell in r if isinstance(cell, str) and "\n" in cell) + warnings
        # a warning's sentence, the months a cell or warning names: each still in its own switch
        assert len(switched) <= warnings + months_named + 4, (len(switched), warnings, months_named, quota_cells)
        assert len(switched) < quota_cells  # was one a quota cell at least (its figures)
