"""The words of a teacher's writing quotas and warnings, in one place for every reader: the
teacher home, the school summary page (``home/_quotas.html``, ``home/_warnings.html``) and the
学时汇总表 exports (``portal.reports.exports``) call these, so they say the same thing.

``lang`` is "zh" or "en" (exports are given theirs); None is the viewer's language (pages).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any

from flask import has_app_context
from flask_babel import force_locale

from portal.assessment import EXEMPT, QuotaFact, Shortfall, YearFacts, shortfalls
from portal.hours import fmt
from portal.i18n import gettext, lang_code, months_text, pgettext
from portal.messages import norm_lang, semester_text
from portal.timeutil import month_day


def _in(lang: str | None, say: Callable[[], str]) -> str:
    if lang is None or not has_app_context():
        return say()
    with force_locale("en" if norm_lang(lang) == "en" else "zh_Hans_CN"):
        return say()


#: Words that depend only on the code and the language (a quota's name, the catalogue's form
#: of its figures), by what they say and "zh"/"en": made once a language (:func:`_kept`).
_KEPT: dict[tuple[Any, ...], str] = {}


def _kept(key: tuple[Any, ...], lang: str | None, say: Callable[[], str]) -> str:
    """``say()`` in ``lang`` (None: the viewer's), kept by ``key`` and the language: the summary
    and its spreadsheets ask per quota column, cell and warning, the exports per teacher."""
    if not has_app_context():
        return say()
    whole = (*key, lang_code() if lang is None else norm_lang(lang))
    text = _KEPT.get(whole)
    if text is None:
        if len(_KEPT) >= 256:  # a stored quota's semester may be anything: never more than a few
            _KEPT.clear()
        _KEPT[whole] = text = _in(lang, say)
    return text


def _number(n: int) -> str:
    return f"{n:,}"


def as_fact(q: QuotaFact | Mapping[str, Any]) -> QuotaFact:
    """A quota as computed, or as frozen in a submission (a JSON object of the same fields)."""
    if isinstance(q, QuotaFact):
        return q
    return QuotaFact(str(q.get("key", "")), int(q.get("semester") or 0), int(q.get("done") or 0),
                     int(q.get("target") or 0), str(q.get("unit") or "pieces"), tuple(q.get("short") or ()))


#: A quota's words by its key, given its semester's words (:func:`quota_label`).
_QUOTA_WORDS: dict[str, Callable[[str], str]] = {
    "reading_notes": lambda _semester: gettext("Reading notes"),
    "paper": lambda _semester: gettext("Paper or teaching essay"),
    "reflections": lambda semester: gettext("Teaching reflections, %(semester)s", semester=semester),
    "books": lambda semester: gettext("Books read, %(semester)s", semester=semester),
    "notes_monthly": lambda _semester: gettext("Months with enough reading notes"),
}


def quota_label(q: QuotaFact | Mapping[str, Any], lang: str | None = None) -> str:
    """读书笔记, 论文或教学心得, 第一学期教学反思 … (kept per key, semester and language)."""
    q = as_fact(q)
    say = _QUOTA_WORDS.get(q.key)
    if say is None:
        return q.key
    return _kept(("label", q.key, q.semester), lang, lambda: say(semester_text(q.semester, lang)))


#: The catalogue's forms of a quota's figures, by what it counts (:func:`quota_amount`); the
#: Chinese says what a quota counted in pieces counts after the figures (篇, 本).
_AMOUNT_WORDS: dict[str, Callable[[], str]] = {
    "chars": lambda: gettext("%(done)s of %(target)s characters"),
    "months": lambda: gettext("%(done)s of %(target)s months"),
    "paper": lambda: pgettext("quota of pieces", "%(done)s of %(target)s"),
    "reflections": lambda: pgettext("quota of pieces", "%(done)s of %(target)s"),
    "books": lambda: pgettext("quota of books", "%(done)s of %(target)s"),
    "": lambda: gettext("%(done)s of %(target)s"),
}
_COUNTED_IN_PIECES = frozenset({"paper", "reflections", "books"})


def quota_amount(q: QuotaFact | Mapping[str, Any], lang: str | None = None) -> str:
    """Done against target: "6,200 / 10,000 字" (characters), "3 / 5 篇" (papers, reflections) or
    "1 / 1 本" (books): the catalogue's form kept per language, the figures put in."""
    q = as_fact(q)
    form = q.unit if q.unit in ("chars", "months") else q.key if q.key in _COUNTED_IN_PIECES else ""
    return _kept(("amount", form), lang, _AMOUNT_WORDS[form]) % {"done": _number(q.done), "target": _number(q.target)}


def names_months_short(status: str | None) -> bool:
    """Whether a year assessed ``status`` names the months its monthly quota is short in: not an
    exempt year, which asks nothing of the teacher (its quotas are figures). The one rule of the
    home, the writing page, the 学时证明 and what its ``/verify`` page compares, and the exports
    (:func:`quota_short`; ``verification.printed_quotas``). None: a year not assessed here."""
    return status != EXEMPT


def quota_short(q: QuotaFact | Mapping[str, Any], lang: str | None = None, status: str | None = None) -> str:
    """The months a monthly quota is short in, in words ("" if none): "未达标月份：2026年10月、11月",
    "Months short: October, November 2026" (the year once a run of one year's months:
    :func:`portal.i18n.months_text`; kept as data as "2026-10": :func:`month_day`). ``status``: the
    year's assessment, of which an exempt one names none (:func:`names_months_short`)."""
    short = q.short if isinstance(q, QuotaFact) else tuple(q.get("short") or ())
    if not short or not names_months_short(status):
        return ""
    def words() -> str:
        joiner = gettext(", ")
        return gettext("Months short: %(months)s", months=joiner.join(months_text((month_day(m) for m in short), joiner)))

    return _in(lang, words)


def lost_text(lost: Iterable[tuple[str, int, str]], lang: str | None = None) -> str:
    """Writing quotas of periods over that a change would leave short for good (``writing``'s
    ``Held``: key, semester, the month "2026-10" of the monthly quota), in words: the months'
    notes first, as the home names the months ("2026年10月、11月的读书笔记"), then the others by
    their names (第一学期教学反思), in the catalogue's list."""
    lost = sorted(set(lost))
    months = [month for _key, _semester, month in lost if month]
    others = [(key, semester) for key, semester, month in lost if not month]

    def words() -> str:
        joiner = gettext(", ")
        parts = [gettext("the reading notes of %(months)s",
                         months=joiner.join(months_text((month_day(m) for m in months), joiner)))] if months else []
        parts += [quota_label(QuotaFact(key, semester, 0, 0), lang) for key, semester in others]
        return joiner.join(parts)

    return _in(lang, words)


def quota_cell(q: QuotaFact | Mapping[str, Any], lang: str | None = None, status: str | None = None) -> str:
    """A quota's figures in one cell of an export: done against target (:func:`quota_amount`)
    and, on a line of their own, the months it is short in (:func:`quota_short`; none in a year
    assessed ``status`` exempt)."""
    amount, short = quota_amount(q, lang), quota_short(q, lang, status)
    return f"{amount}\n{short}" if short else amount


#: One figure of a quota, by what it counts, in the words of :func:`quota_amount`'s forms.
_FIGURE_WORDS: dict[str, Callable[[str], str]] = {
    "chars": lambda n: gettext("%(n)s characters", n=n),
    "months": lambda n: gettext("%(n)s months", n=n),
    "paper": lambda n: pgettext("quota of pieces", "%(n)s", n=n),
    "reflections": lambda n: pgettext("quota of pieces", "%(n)s", n=n),
    "books": lambda n: pgettext("quota of books", "%(n)s", n=n),
}


def quota_figure(n: int, q: QuotaFact | Mapping[str, Any], lang: str | None = None) -> str:
    """One figure of the quota ``q`` in the words of :func:`quota_amount`: "5,000 字"
    (characters), "3 篇" (papers, reflections), "1 本" (books), "2 个月" (months with enough
    notes) — the notice of a quota behind schedule said "已完成 0 / 5，按进度此时应完成 3" where
    the home and the summary say "0 / 5 篇"."""
    q = as_fact(q)
    number = _number(n)
    say = _FIGURE_WORDS.get(q.unit if q.unit in ("chars", "months") else q.key)
    return number if say is None else _in(lang, lambda: say(number))


def warning_text(w: Any, lang: str | None = None, *, months: bool = True) -> str:
    """A :class:`portal.services.forecast.YearWarning` in words (``months``: with the months a
    monthly quota is short in named; the school's summary, a row a teacher, gives the figures
    only)."""
    if w.kind == "absence":
        n, h, limit = semester_text(w.semester, lang, first=True), fmt(w.hours), fmt(w.limit)
        if w.severe:
            return _absence_reached(w.semester, h, limit, lang)
        return _in(lang, lambda: gettext(
            "%(semester)s: %(h)s hours of unexcused absence; at %(limit)s hours none of this year's hours count.",
            semester=n, h=h, limit=limit))
    label, amount = quota_label(w.quota, lang), quota_amount(w.quota, lang)
    short = quota_short(w.quota, lang) if months else ""
    if short:  # the months short of notes, named as the home's quota list names them
        return _in(lang, lambda: gettext("Behind schedule: %(quota)s (%(amount)s). %(short)s",
                                         quota=label, amount=amount, short=short))
    return _in(lang, lambda: gettext("Behind schedule: %(quota)s (%(amount)s).", quota=label, amount=amount))


def _absence_reached(semester: int, h: str, limit: str, lang: str | None) -> str:
    """A semester's unexcused absence that reached the limit: the home's warning, and the reason
    a year is not recognised on the record and its 学时证明 (:func:`shortfall_text`)."""
    n = semester_text(semester, lang, first=True)
    return _in(lang, lambda: gettext(
        "%(semester)s: %(h)s hours of unexcused absence reached the limit of %(limit)s hours.",
        semester=n, h=h, limit=limit))


def as_shortfall(s: Shortfall | Mapping[str, Any]) -> Shortfall:
    """A shortfall as computed, or as a 学时证明 stored it (``verification.year_figures``' ``why``:
    its hours as text, its quota as a JSON object)."""
    if isinstance(s, Shortfall):
        return s
    quota = s.get("quota")
    return Shortfall(str(s.get("kind", "")), int(s.get("semester") or 0), Decimal(str(s.get("hours") or 0)),
                     Decimal(str(s.get("limit") or 0)), as_fact(quota) if quota else None)


def shortfall_text(s: Shortfall | Mapping[str, Any], lang: str | None = None) -> str:
    """Why a year is not met (:func:`portal.assessment.shortfalls`) in one sentence: the absence
    as the home warns of it, the hours missing, a writing quota not met with its figures (and the
    months short of notes)."""
    s = as_shortfall(s)
    if s.kind == "absence":
        return _absence_reached(s.semester, fmt(s.hours), fmt(s.limit), lang)
    if s.kind == "hours":
        short, total, required = fmt(s.limit - s.hours), fmt(s.hours) or "0", fmt(s.limit)
        return _in(lang, lambda: gettext(
            "%(short)s hours short: %(total)s of the %(required)s hours required were credited.",
            short=short, total=total, required=required))
    if s.quota is None:
        return s.kind
    q = s.quota
    label, amount, short_months = quota_label(q, lang), quota_amount(q, lang), quota_short(q, lang)
    said = _in(lang, lambda: gettext("Not met: %(quota)s (%(amount)s).", quota=label, amount=amount))
    return f"{said} {short_months}" if short_months else said


def shortfall_texts(facts: YearFacts, status: str, lang: str | None = None) -> list[str]:
    """Why a year assessed ``status`` is not met, a sentence each (:func:`shortfall_text`): what
    the teacher's record and their 学时证明 print in its 说明, under the assessment's reason."""
    return [shortfall_text(f, lang) for f in shortfalls(facts, status)]


def warnings_text(ws: list[Any], lang: str | None = None) -> str:
    """Several warnings in one cell of an export, one a line (a warning's own words may hold
    a semicolon)."""
    return "\n".join(warning_text(w, lang) for w in ws)
