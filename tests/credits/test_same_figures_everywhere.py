"""A district auditor's check that every teacher's figures are the same everywhere.

On the demo — the DEMO school and the demo district's schools (submitted, returned, accepted
and locked) and a school of a second district — with the page cache warmed, then the year
going on (:func:`the_year_goes_on`: the district lowers its minimum to 12 hours and a void year
to 3 hours of unexcused absence, so that every status occurs — met, short, not recognised,
exempt — while the accepted year keeps the 50 hours it was accepted with; a teacher exempted by
decision, one who left after being credited — and moved to another school of the district — and
one who left whose last year holds only an exemption; the schools waiting for the district submit
again), for every teacher of every
school, in every school year the demo has data for, the years before and the year after this
one (no data at all: each surface must show the year asked for; of a year a school holds nothing
of, and of a year not begun, every surface must say it is on no record — the summary page and
each teacher's home say so, its PDF and each teacher's 学时证明 of it are refused, the API
assesses nothing of it, no list holds a teacher of it and no export is judged by their number),
the figures that
decide the teacher's assessment — credited hours, hours required, unexcused absence per
semester, writing quotas (done / target), status — are read from every surface that shows them:

* as the teacher: the home page, their 成长档案 ``/teachers/<id>/record``,
  ``GET /api/v1/users/<id>/credits`` (and its entries, summed), ``/api/v1/me/writing`` and
  ``/api/v1/me/outlook`` (the hours still needed);
* as the school admin: the 学时汇总表 page (its year selector, its teaching groups' table), CSV
  and XLSX (quota columns included), PDF, ``GET /api/v1/reports/credits`` (JSON, its hours by
  type summed, and CSV), ``GET /api/v1/users/<id>/credits``, each teacher's record page and record
  PDF (学时证明: one teacher of each status of each school's year, as the PDF prints from the
  facts the page shows); then in English (``?lang=en``, ``?headings=en``, ``Accept-Language``:
  labels read in English; the PDFs only where they print a status not yet printed in English —
  a PDF costs a third of a second);
* as district staff (the admin; the second district's reviewer): each school's summary page
  (``?school=``), ``/district`` and ``GET /api/v1/district/schools`` (teachers per status and
  hours per school), the dashboard's shares (page and API) and its hours by type, each school's
  latest submission (its page, ``GET /api/v1/district/submissions/<id>``,
  ``/district/submitted.csv``, ``.xlsx`` (its schools' counts, a sheet per school) and
  ``GET /api/v1/district/submitted``: submitted after the last change, so today's figures),
  ``/district/export.csv`` and ``.xlsx``, and their ledger lines (``?ledger=1``) summed per teacher;
* with no login: ``/verify/<code>`` of every form printed on the way (unchanged, its hours and
  status);
* as each school's admin, every activity with ledger lines: its 学分认定表 (page and XLSX, one
  PDF a school and its ``/verify``) shows each participant's net hours of the ledger — nothing
  once revoked — and a teacher's certificates of a year add up to the total shown everywhere.

Each figure must equal one reference computed here: the hours summed from the ledger
(``CreditEntry``), the unexcused absence summed from the attendance of activities whose workflow
phase counts for absence (``tests.credits.helpers.unexcused_absence``), the required hours of the
rules the year is judged by, the quotas and status of ``credits.teacher_year`` — whose status
must itself be the seeds' rule applied to those sums (``tests.credits.helpers.seeds_status``, the
hours state machine's auditor) and whose total must be the ledger's. A school's counts per status
are the reference statuses counted. Every surface must list exactly the reference's teachers;
every disagreement is listed at the end (surface, school, teacher, year, figure).

One app, one client per role (logged in again for each person).
"""

from __future__ import annotations

import csv
import io
import json
import re
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Any
from unittest.mock import patch

from flask import Flask
from flask.testing import FlaskClient
from lxml import html as lxml_html
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import func, select, text

from portal.assessment import IN_PROGRESS, STATUSES, QuotaFact, hours_recognised
from portal.demo import DEMO_PASSWORD, READING_NOTES, STAFF_SINCE
from portal.demo_district import load_district_demo
from portal.extensions import db
from portal.messages import heading, status_label, status_short_label
from portal.models import (
    TEACHER,
    Activity,
    CreditEntry,
    District,
    EarlierStint,
    Exemption,
    GroupMember,
    Membership,
    OwnWriting,
    School,
    TeachingGroup,
    User,
    YearLock,
    YearSubmission,
)
from portal.models.district import DEFAULT_DISTRICT_CODE, WHOLE_YEAR
from portal.policy import DISTRICT_ADMIN, DISTRICT_REVIEWER, SCHOOL_ADMIN, Actor
from portal.services import access, credits, districts, exemptions, staff, submissions, users
from portal.services.schools import update_rules
from portal.services.submissions import RETURNED, SUBMITTED
from portal.textcount import chinese_count
from portal.timeutil import current_school_year, school_year_after
from portal.year_texts import quota_label
from tests.credits.helpers import counted_people, hold_year, seeds_status, unexcused_absence
from tests.support.sessions import log_in

D = Decimal
ZERO = D("0")
LANGS = ("zh", "en")
PAGE_LANG = {"zh": "zh_Hans_CN", "en": "en"}  # ``?lang=``: a page's language, kept in the session
Key = tuple[str, str, str]  # school code, username, school year
Quotas = tuple[tuple[str, int, int, int], ...]  # (quota, semester, done, target)
Doc = lxml_html.HtmlElement


@dataclass(frozen=True)
class Reference:
    """What the auditor expects of one teacher's year."""

    total: Decimal
    required: Decimal
    absent: tuple[Decimal, Decimal]  # semesters 1 and 2
    status: str
    quotas: Quotas
    user_id: int
    school_id: int
    name: str
    teaching: bool  # teaches there today (else: left, with something counted that year)
    #: the status as a person reads it: a year still under way (not over, not closed by the
    #: district) is not short before its end — in progress (``assessment.so_far``)
    shown: str = ""
    #: the year is the school's current one and the district closed it already (accepted it
    #: before its end): read as judged, as every surface must say it
    closed_early: bool = False


def reads_the_verdict(surface: str) -> bool:
    """Whether ``surface`` shows the verdict itself, not the year as a person reads it so far:
    the rounds a school sent (their rows were frozen as the district judges them). The home reads
    as the record does (its badge says the hours still to go, or the year as read so far: a teacher
    whose hours are met and a writing quota short read 未达标 there and 进行中 on the record)."""
    return "submi" in surface


@dataclass
class Audit:
    """The reference, what the surfaces showed that disagrees with it, and what each read."""

    ref: dict[Key, Reference]
    with_data: list[str]  # the school years the demo has data for (the others: none at all)
    groups: dict[int, tuple[str, set[int]]]  # teaching group → its school's code and members
    problems: list[str] = field(default_factory=list)
    read: Counter[str] = field(default_factory=Counter)
    issued: list[tuple[str, str, str]] = field(default_factory=list)  # a printed form's code, school, year
    compared: int = 0  # figures compared with the reference (a list of teachers counts one)
    forms: Counter[str] = field(default_factory=Counter)  # printed forms read: "pdf" (laid out) or "html"
    submitted: set[str] = field(default_factory=set)  # the years the demo's schools submitted
    laid_out: set[str] = field(default_factory=set)  # the forms read as a real PDF (see :func:`printed_lines`)
    lay_out_in: tuple[str, ...] = LANGS  # the languages a form is laid out in, once each
    current: dict[str, str] = field(default_factory=dict)  # each school's year under way, by code
    #: the years on no record of a school (:func:`reference`'s ``off``): its teachers then, by user id
    off_record: dict[tuple[str, str], set[int]] = field(default_factory=dict)

    def now(self, code: str) -> str:
        """The school year under way at the school ``code``, in its zone (:attr:`current`)."""
        return self.current[code]

    def saw(self, surface: str, key: Key, **figures: Any) -> None:
        """``surface`` showed ``figures`` (names of :class:`Reference`) for the teacher-year ``key``."""
        self.read[surface] += 1
        self.compared += len(figures)
        expected = self.ref.get(key)
        if expected is None:
            self.problems.append(f"{surface}: {key} is no teacher-year of the reference")
            return
        for name, got in figures.items():
            want = expected.shown if name == "status" and not reads_the_verdict(surface) else getattr(expected, name)
            if got != want:
                self.problems.append(f"{surface}: {key} {name} = {got!r}, expected {want!r}")

    def listed(self, surface: str, school: str, year: str, usernames: Iterable[str]) -> None:
        """``surface`` lists exactly the reference's teachers of the school and year."""
        self.compared += 1
        got, want = sorted(usernames), sorted(u for (s, u, y) in self.ref if s == school and y == year)
        if got != want:
            self.problems.append(f"{surface}: {school} {year} lists {got}, expected {want}")

    def counted(self, surface: str, school: str, year: str, *, so_far: bool = False, **got: Any) -> None:
        """``surface`` counted the school's teachers per status (and its hours) as the reference does:
        ``so_far``, a live count, as a person reads each year (a year under way nobody's short yet,
        ``Reference.shown``); else the verdicts, as a round froze them."""
        self.read[surface] += 1
        self.compared += len(got)
        mine = [r for (s, _u, y), r in self.ref.items() if s == school and y == year]
        want = {st: 0 for st in (*STATUSES, IN_PROGRESS)} | {
                **Counter((r.shown or r.status) if so_far else r.status for r in mine),
                "teachers": len(mine), "hours": recognised(mine)}
        for name, value in got.items():
            if value != want[name]:
                self.problems.append(f"{surface}: {school} {year} {name} = {value!r}, expected {want[name]!r}")


def recognised(refs: Iterable[Reference]) -> Decimal:
    """A school's or the district's hours credited: every teacher's total but those of a year
    not recognised (seed 004: 学校不认定当年度学分), whose rows still show their own."""
    return sum((r.total for r in refs if r.status != "not_recognised"), ZERO)


# -- the demo, judged in every way -------------------------------------------------------------


#: A teacher of the demo school away for over a year (:func:`the_year_goes_on`), invented.
AWAY_LONG = "teacher8"
#: A teacher of the demo school who moves to another school of the district (:func:`the_year_goes_on`).
MOVED, MOVED_TO = "teacher4", "EAST1"


def the_year_goes_on() -> None:
    """The demo judges its teachers "short" or "exempt" (by age) only. After NORTH1's year was
    accepted, the demo district lowers its minimum — 12 hours a year, a year void at 3 hours of
    unexcused absence in a semester — so that DEMO has teachers who met it and one whose year
    is void (teacher1, 3 hours absent), while NORTH1's accepted year stays judged by the 50
    hours it was accepted with; DEMO's admin exempts teacher2 (by decision, not age),
    teacher4 leaves the school after 15 hours were credited (their year is still the school's)
    and joins EAST1 (a year there too, with none of those hours),
    and so does teacher3, whose last year holds only an exemption (产假): that year is still
    the school's too, as her 成长档案 shows it.
    Each school waiting for the district is returned and submits again (the figures it
    submitted are today's: the dashboard and the submitted figures show them)."""
    district = db.session.execute(select(District).where(District.code == DEFAULT_DISTRICT_CODE)).scalar_one()
    admin = db.session.execute(select(User).where(User.username == "district")).scalar_one()
    districts.update_settings(district, {"required_hours": 12, "absence_limit_hours": 3},
                              by=Actor.of(admin.id, [DISTRICT_ADMIN]))
    demo = db.session.execute(select(School).where(School.code == "DEMO")).scalar_one()
    people = {u.username: u for u in db.session.execute(select(User)).scalars()}
    exemptions.set_exemption(demo, people["admin"], people["teacher2"].id, current_school_year(demo.timezone), "长期病假")
    staff.deactivate(demo, people["teacher4"].id, by=access.actor(people["admin"].id, demo.id))
    staff.deactivate(demo, people["teacher3"].id, by=access.actor(people["admin"].id, demo.id))
    # teacher4 moves on to EAST1 (a school of the same district, waiting for it): two schools'
    # years this year, DEMO's with the hours credited there, EAST1's with none of them
    east = db.session.execute(select(School).where(School.code == MOVED_TO)).scalar_one()
    users.add_role(people[MOVED], east, TEACHER)
    # EAST1 stored 1000 required hours before 0-999.5 was asked (hGA): not its rule, so the
    # district's 12 is read on every surface (``school_rules.read_stored``), not 1000
    db.session.execute(text("UPDATE school SET rules = :r WHERE id = :sid"),
                       {"r": json.dumps({**(east.rules or {}), "required_hours": 1000}), "sid": east.id})
    db.session.expire(east)
    # AWAY_LONG (on the staff as long as the demo's, not its teacher5, whose stretch away is
    # this year's) left in the spring of the year before the first with data and came back
    # today: the years over before they left stay theirs (``EarlierStint``), the one over
    # while they were away does not list them (nothing of theirs there)
    left_at = datetime(int(year_before(demo_years()[0])[5:]), 3, 1, 2, 0)
    away = users.create_user(AWAY_LONG, DEMO_PASSWORD, "苏文博", demo, ["teacher"], joined=STAFF_SINCE)
    staff.deactivate(demo, away.id, by=access.actor(people["admin"].id, demo.id), at=left_at)
    staff.set_roles(demo, away.id, ["teacher"], by=access.actor(people["admin"].id, demo.id))
    # DEMO planned something in the two years before the demo's data (nothing that counts): they are
    # on its records, so that its summaries tell who was on the staff then (AWAY_LONG: the first,
    # not the second), while the other schools hold nothing of them (on no record)
    first = demo_years()[0]
    for held in (year_before(year_before(first)), year_before(first)):
        hold_year(demo, people["admin"], held)
    # DEMO asks each reading note to reach a length (seed 004: 每篇不少于300字) that teacher1's
    # own notes fall short of: they count neither characters nor a book, alike on every surface
    year = current_school_year(demo.timezone)
    notes_before = _reading_notes_done(people["teacher1"], demo, year)
    update_rules(demo, {"reading_note_chars": chinese_count(READING_NOTES) + 1},
                 by=access.actor(people["admin"].id, demo.id))
    assert _reading_notes_done(people["teacher1"], demo, year) == notes_before - chinese_count(READING_NOTES)
    reviewer = db.session.execute(select(User).where(User.username == "dreviewer")).scalar_one()
    for sub in db.session.execute(select(YearSubmission).where(
            YearSubmission.district_id == district.id, YearSubmission.status.in_((SUBMITTED, RETURNED)))).scalars().all():
        if sub.status == SUBMITTED:
            submissions.decide(sub.id, False, "学时要求已调整，请重新报送。", by=Actor.of(reviewer.id, [DISTRICT_REVIEWER]),
                               district_id=district.id)
        school = db.session.get_one(School, sub.school_id)
        submissions.submit(school, sub.school_year, by=access.actor(school_admin(school.id), school.id))


def _reading_notes_done(user: User, school: School, year: str) -> int:
    """The characters of the teacher's reading notes that count this year (their quota's done)."""
    facts = credits.teacher_year(user, school, year).facts
    return next(q.done for q in facts.quotas if q.key == "reading_notes")


def warm_the_caches(app: Flask, years: list[str]) -> int:
    """What use leaves in the page cache before the year goes on (``portal.page_cache``: each
    part is kept under its school's data stamp): every teacher's home, every school's summary
    in both languages, the district pages. Whatever :func:`the_year_goes_on` changes must
    renew them. Returns the pages read."""
    with app.app_context():
        teachers = db.session.execute(select(Membership.user_id, Membership.school_id).where(
            Membership.role == TEACHER, Membership.active.is_(True))).all()
        admins = {sid: school_admin(sid) for sid in db.session.execute(select(School.id)).scalars()}
        district = db.session.execute(select(User.id).where(User.username == "district")).scalar_one()
    client = app.test_client()
    read = 0

    def visit(user_id: int, school_id: int | None, *paths: str) -> None:
        nonlocal read
        as_person(app, client, user_id, school_id)
        for year in years:
            for path in paths:
                get_ok(client, path.format(year=year))
                read += 1

    for user_id, school_id in teachers:
        visit(user_id, school_id, "/?year={year}")
    for school_id, admin in admins.items():
        visit(admin, school_id, "/reports/summary?year={year}&lang=zh_Hans_CN", "/reports/summary?year={year}&lang=en")
    visit(district, None, "/district?year={year}", "/district/dashboard?year={year}")
    return read


# -- the reference ------------------------------------------------------------------------------


def demo_years() -> list[str]:
    """Every school year the demo has data for: activities, ledger lines, submissions."""
    found: set[str] = set()
    for column in (Activity.school_year, CreditEntry.school_year, YearSubmission.school_year):
        found |= set(db.session.execute(select(column).distinct()).scalars())
    return sorted(found)


def year_before(year: str) -> str:
    first = int(year[:4]) - 1
    return f"{first}-{first + 1}"


def _accepted(school: School, year: str) -> YearSubmission | None:
    """The submission the district accepted the school's whole year with (it is locked), if any."""
    return db.session.execute(
        select(YearSubmission).join(YearLock, YearLock.submission_id == YearSubmission.id)
        .where(YearLock.school_id == school.id, YearLock.school_year == year, YearLock.semester == WHOLE_YEAR)
    ).scalar_one_or_none()


def _rules(school: School, accepted: YearSubmission | None) -> dict[str, Any]:
    """The rules the year is judged by: those it was accepted with, else the school's own."""
    kept = (accepted.rules if accepted else None) or {}
    return {k: kept.get(k, school.rule(k)) for k in ("required_hours", "absence_limit_hours", "quotas_decide")}


def reference(schools: list[School], years: list[str],
              off: dict[tuple[str, str], set[int]] | None = None) -> dict[Key, Reference]:
    """Each teacher-year from the ledger and the attendance, read here; the quotas and status of
    ``credits.teacher_year``, its status checked against the seeds' rule applied to what was read.
    The teachers: those who held the role when the year was over (given before, and teaching
    still or left after it; or then in a stretch before a gap, ``EarlierStint``), and anyone
    with something there that year that its figures count (``counted_people``: a teacher who
    left with only an exemption or an absence is one); of a year the district accepted whole,
    those it accepted (a teacher who joined since is none of them). A year over that the school
    holds nothing of (``school_holds``), and a year not begun (planned ahead or not), is on no
    record: nobody of it is a teacher-year; its people are put in ``off`` (by school code and
    year), whom every surface must refuse."""
    out: dict[Key, Reference] = {}
    for year in years:
        for school in schools:
            totals = dict(db.session.execute(
                select(CreditEntry.user_id, func.sum(CreditEntry.hours))
                .where(CreditEntry.school_id == school.id, CreditEntry.school_year == year)
                .group_by(CreditEntry.user_id)).all())
            teaching = set(db.session.execute(select(Membership.user_id).where(
                Membership.school_id == school.id, Membership.role == TEACHER, Membership.active.is_(True))).scalars())
            # those who held the role when the year was over (1 September next): given before
            # then, and teaching still or left after it; or then in a stretch before a gap
            over = datetime(int(year[5:]), 9, 1)
            teaching_then = set()
            for mid, uid, active, since, until in db.session.execute(select(
                    Membership.id, Membership.user_id, Membership.active, Membership.since, Membership.until).where(
                    Membership.school_id == school.id, Membership.role == TEACHER)):
                stints = db.session.execute(select(EarlierStint.since, EarlierStint.until).where(
                    EarlierStint.membership_id == mid)).all()
                if ((since is None or since < over) and (active or (until is not None and until >= over))
                        or any((a is None or a < over) and b >= over for a, b in stints)):
                    teaching_then.add(uid)
            accepted = _accepted(school, year)
            rules = _rules(school, accepted)
            counted = counted_people(school.id, year)
            held = school_holds(school.id, year)
            people = {int(r["user_id"]) for r in accepted.rows} if accepted else teaching_then | counted
            current = year == current_school_year(school.timezone)
            now = current_school_year(school.timezone)
            if (year < now and not held) or year > now:  # on no record: assessed for nobody
                if off is not None:
                    off[(school.code, year)] = people
                continue
            locked = set(db.session.execute(select(YearLock.semester).where(
                YearLock.school_id == school.id, YearLock.school_year == year)).scalars())
            closed = WHOLE_YEAR in locked or {1, 2} <= locked
            for uid in people:
                user = db.session.get_one(User, uid)
                total = D(totals.get(uid) or 0)
                absent = unexcused_absence(school.id, uid, year)
                ty = credits.teacher_year(user, school, year)
                quotas = tuple((q.key, q.semester, q.done, q.target) for q in ty.facts.quotas)
                unmet = bool(rules["quotas_decide"]) and any(done < target for _k, _s, done, target in quotas)
                by_rule = seeds_status(school.id, user, year, total, rules, quotas_unmet=unmet)
                where = (school.code, user.username, year)
                assert ty.assessment.status == by_rule, (where, ty.assessment, by_rule)
                assert ty.facts.total_hours == total, (where, ty.facts.total_hours, total)
                # the auditor's reading of a year under way: the current one, not closed by an acceptance
                # (the whole year's, or — a district collecting semesters — both semesters')
                shown = IN_PROGRESS if by_rule == "short" and current and not closed else by_rule
                out[where] = Reference(total, D(str(rules["required_hours"])), (absent.get(1, ZERO), absent.get(2, ZERO)),
                                       ty.assessment.status, quotas, uid, school.id, user.display_name, uid in teaching,
                                       shown, current and closed)
    return out


def school_holds(school_id: int, year: str) -> bool:
    """Whether the school holds anything of ``year`` — an activity, a ledger line, an exemption,
    writing, the district's lock — read here: a year it assessed its teachers for."""
    return any(db.session.execute(select(t.id).where(t.school_id == school_id, t.school_year == year).limit(1)).first()
               for t in (Activity, CreditEntry, Exemption, OwnWriting, YearLock))


# -- reading what a surface shows ---------------------------------------------------------------


def hours(text: object) -> Decimal | str:
    """An hour figure as shown ("2.5", "12", 12 or 2.5 in a spreadsheet or JSON) as a Decimal
    (what is no number, as it is: it is reported as a disagreement)."""
    try:
        return D(str(text).strip())
    except ArithmeticError:
        return str(text)


def get_ok(client: FlaskClient, url: str, **kw: Any) -> Any:
    r = client.get(url, **kw)
    assert r.status_code == 200, (url, r.status_code, r.get_data(as_text=True)[:300])
    return r


def page(client: FlaskClient, url: str) -> Doc:
    return lxml_html.fromstring(get_ok(client, url).get_data(as_text=True))


def by_testid(doc: Doc, testid: str) -> Doc | None:
    found = doc.xpath(f'.//*[@data-testid="{testid}"]')
    assert len(found) <= 1, testid
    return found[0] if found else None


def text_of(el: Doc | None) -> str:
    return "" if el is None else " ".join(el.text_content().split())


def attr(el: Doc | None, name: str) -> str | None:
    return None if el is None else el.get(name)


def csv_rows(data: bytes) -> list[list[Any]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def xlsx_rows(data: bytes) -> list[list[Any]]:
    sheet = load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
    return [["" if v is None else v for v in r] for r in sheet.iter_rows(values_only=True)]


def pdf_lines(data: bytes) -> list[str]:
    assert data.startswith(b"%PDF-")
    return [line for p in PdfReader(io.BytesIO(data)).pages for line in p.extract_text().splitlines()]


#: What :class:`NotLaidOut` sends instead of a PDF: the form's HTML follows.
NOT_LAID_OUT = b"<!-- the form's HTML, not laid out -->"


class NotLaidOut:
    """Stands in for WeasyPrint's ``HTML`` (see :func:`printed_lines`): the form, not laid out,
    "written" as the HTML it was handed."""

    def __init__(self, string: str, **_kw: Any) -> None:
        self.html = string

    def render(self) -> NotLaidOut:
        return self

    def write_pdf(self) -> bytes:
        return NOT_LAID_OUT + self.html.encode()


def printed_lines(audit: Audit, client: FlaskClient, url: str, form: str, lang: str) -> list[str]:
    """The lines of the form printed at ``url``. Laying out and writing a PDF (a third of a
    second) and reading it back (a tenth more) were most of the audits' time, and a PDF prints
    what the HTML it is made from holds: the first of each ``form`` in each language of
    ``audit.lay_out_in`` is a real PDF, read back; for the others the route runs the same way
    (the form issued: a verification code drawn, stored and checked at ``/verify``), only the
    layout is left out, and the figures are read from the HTML WeasyPrint was handed, a line
    per paragraph, heading and table row, in the order the PDF prints them."""
    if lang in audit.lay_out_in and f"{form} {lang}" not in audit.laid_out:
        audit.laid_out.add(f"{form} {lang}")
        audit.forms["pdf"] += 1
        return pdf_lines(get_ok(client, url).data)
    with patch("weasyprint.HTML", NotLaidOut):
        data = get_ok(client, url).data
    assert data.startswith(NOT_LAID_OUT), data[:40]
    audit.forms["html"] += 1
    doc = lxml_html.fromstring(data[len(NOT_LAID_OUT):].decode())
    blocks = doc.xpath("//body//*[self::p or self::h1 or self::caption or self::tr or (self::div and not(.//div))]")
    # a table row: its cells apart, as the PDF prints them
    return [" ".join(" ".join(cell.text_content() for cell in (el if el.tag == "tr" else [el])).split()) for el in blocks]


def quota_amount(text: str) -> tuple[int, int]:
    """"6,200 / 10,000 字", "0 / 1", "6,200 of 10,000 characters" → (done, target)."""
    done, target = re.findall(r"\d[\d,]*", text)[:2]
    return int(done.replace(",", "")), int(target.replace(",", ""))


def api_quotas(items: list[dict[str, Any]]) -> Quotas:
    return tuple((q["key"], q["semester"], q["done"], q["target"]) for q in items)


def api_absent(values: dict[str, float]) -> tuple[Decimal, Decimal]:
    return hours(values["1"]), hours(values["2"])


class Words:
    """The exports' headings, their quota columns' headings and the status labels, in each
    language (asked of the catalogue in an app context)."""

    def __init__(self, quotas: Iterable[tuple[str, int]]) -> None:
        keys = ("username", "total", "required", "absent_1", "absent_2", "status", "assessment", "school_code")
        self.head = {lang: {k: heading(k, lang) for k in keys} for lang in LANGS}
        # a first semester's round says 进行中 (the year not judged yet): read back as such
        # the long words, and the few the 学时汇总表 PDF prints (status_short_label)
        self.status = {lang: {**{status_short_label(s, lang): s for s in (*STATUSES, IN_PROGRESS)},
                              **{status_label(s, lang): s for s in (*STATUSES, IN_PROGRESS)}} for lang in LANGS}
        self.quota = {lang: {quota_label(QuotaFact(k, sem, 0, 0), lang): (k, sem) for k, sem in quotas} for lang in LANGS}

    def status_at_start(self, text: str, lang: str) -> str | None:
        """The status whose label ``text`` starts with (a PDF line's note may follow it)."""
        for label in sorted(self.status[lang], key=len, reverse=True):
            if text.startswith(label):
                return self.status[lang][label]
        return None


def as_person(app: Flask, client: FlaskClient, user_id: int, school_id: int | None) -> None:
    """The client, logged in as that person instead (one client per role, not per person)."""
    with app.app_context():
        log_in(client, db.session.get_one(User, user_id), school_id)


def api_token(client: FlaskClient, username: str) -> dict[str, str]:
    r = client.post("/api/v1/auth/token", json={"username": username, "password": DEMO_PASSWORD})
    assert r.status_code == 200, r.get_json()
    return {"Authorization": f"Bearer {r.get_json()['token']}"}


# -- a teacher's own surfaces -------------------------------------------------------------------


def teacher_surfaces(app: Flask, audit: Audit) -> None:
    """As each teacher: home, own record, the API's credits, writing and outlook."""
    client = app.test_client()
    for key, ref in audit.ref.items():
        code, username, year = key
        if not ref.teaching:
            continue  # left the school: none of its pages is theirs any more
        as_person(app, client, ref.user_id, ref.school_id)
        home = page(client, f"/?year={year}")
        # a semester without unexcused absence is not shown
        absent = tuple(hours(attr(by_testid(home, f"absence-semester-{s}"), "data-hours") or 0) for s in (1, 2))
        quotas = home_quotas(home)
        audit.saw("home", key, total=hours(text_of(by_testid(home, "hours-total"))),
                  required=hours(text_of(by_testid(home, "hours-required"))),
                  status=attr(by_testid(home, "hours-status"), "data-status"), absent=absent, quotas=quotas)
        record_page(audit, "record page (teacher)", client, key, ref)

        auth = {**api_token(client, username), "X-School": code}
        mine = get_ok(client, f"/api/v1/users/{ref.user_id}/credits?year={year}", headers=auth).get_json()
        audit.saw("API credits (teacher)", key, total=hours(mine["total_hours"]), required=hours(mine["required_hours"]),
                  absent=api_absent(mine["absent_hours"]), status=mine["status"])
        entries = sum((hours(e["hours"]) for e in mine["entries"]), ZERO)
        audit.saw("API credits' entries (teacher)", key, total=entries)
        writing = get_ok(client, f"/api/v1/me/writing?year={year}", headers=auth).get_json()
        audit.saw("API me/writing", key, quotas=api_quotas(writing["quotas"]))
        outlook = get_ok(client, f"/api/v1/me/outlook?year={year}", headers=auth).get_json()
        # what the total lacks of the requirement; nothing is asked of an exempt teacher
        needed = ZERO if ref.status == "exempt" else max(ref.required - ref.total, ZERO)
        if hours(outlook["needed"]) != needed:
            audit.problems.append(f"API me/outlook: {key} needed = {outlook['needed']}, expected {needed}")
        audit.read["API me/outlook"] += 1


def off_record_homes(app: Flask, audit: Audit) -> None:
    """As each teacher of a school's year on no record who teaches there now: the home of that
    year says so, in the summary's words, and shows no status, total or outlook."""
    client = app.test_client()
    with app.app_context():
        ids = {code: sid for code, sid in db.session.execute(select(School.code, School.id))}
        teaching = set(db.session.execute(select(Membership.school_id, Membership.user_id).where(
            Membership.role == TEACHER, Membership.active.is_(True))).tuples())
    for (code, year), people in sorted(audit.off_record.items()):
        for uid in sorted(u for u in people if (ids[code], u) in teaching):
            as_person(app, client, uid, ids[code])
            home = page(client, f"/?year={year}")
            audit.read["home of a year on no record"] += 1
            audit.compared += 1
            shown = [t for t in ("hours-status", "hours-total", "outlook") if by_testid(home, t) is not None]
            if by_testid(home, "home-year-not-on") is None or shown:
                audit.problems.append(f"home: user {uid} {code} {year} is on no record and the page shows {shown}")


def export_sizes(app: Flask, audit: Audit, years: list[str]) -> None:
    """The size an export is judged by (``credits.summary_row_count``: whether it runs in the
    background) is the reference's rows — of each school, of each district and of every school."""
    with app.app_context():
        schools = list(db.session.execute(select(School.id, School.code, School.district_id)).tuples())
        for year in years:
            rows = Counter(s for (s, _u, y) in audit.ref if y == year)
            for scope, want in (
                *(({"school_id": sid}, rows[code]) for sid, code, _d in schools),
                *(({"district_id": d}, sum(rows[c] for _s, c, dd in schools if dd == d))
                  for d in sorted({d for *_x, d in schools if d is not None})),
                ({}, sum(rows.values())),
            ):
                audit.read["export size (summary_row_count)"] += 1
                audit.compared += 1
                got = credits.summary_row_count(year, **scope)
                if got != want:
                    audit.problems.append(f"summary_row_count({year}, {scope}) = {got}, expected {want}")


def home_quotas(doc: Doc) -> Quotas:
    """The quota list of the home (and of the district's page of a submitted teacher)."""
    return tuple((str(el.get("data-testid")).split("-")[1], int(str(el.get("data-testid")).split("-")[2]),
                  int(el.get("data-done")), int(el.get("data-target")))
                 for el in doc.xpath('.//*[@data-testid="quota-list"]/li'))


def record_page(audit: Audit, surface: str, client: FlaskClient, key: Key, ref: Reference, lang: str = "") -> None:
    """The 成长档案 page: the year's total, required hours, absence per semester and status."""
    year = key[2]
    doc = page(client, f"/teachers/{ref.user_id}/record{lang}")
    # it lists the years over that the reference puts on their record, no fewer and no more
    listed = {str(y) for y in doc.xpath('.//section[@class="record-year"]/@data-year')} - {audit.now(key[0])}
    want = {y for (s, u, y) in audit.ref if (s, u) == key[:2]} - {audit.now(key[0])}
    audit.compared += 1
    if listed != want:
        audit.problems.append(f"{surface}: {key[:2]} lists the years over {sorted(listed)}, expected {sorted(want)}")
    audit.saw(surface, key, total=hours(text_of(by_testid(doc, f"record-total-{year}"))),
              required=hours(text_of(by_testid(doc, f"record-required-{year}"))),
              absent=tuple(hours(text_of(by_testid(doc, f"record-absent-{year}-{sem}"))) for sem in (1, 2)),
              status=attr(by_testid(doc, f"record-status-{year}"), "data-status"))
    # the activities it lists as missed add up to the same unexcused absence, semester by semester
    missed = doc.xpath(f'.//*[@data-testid="record-absences-{year}"]//tr[@data-semester]')
    audit.saw(f"{surface}, its absences", key, absent=tuple(
        sum((hours(attr(row, "data-absent")) for row in missed if attr(row, "data-semester") == str(sem)), ZERO)
        for sem in (1, 2)))


# -- a school's surfaces ------------------------------------------------------------------------


def school_admin(school_id: int) -> int:
    return db.session.execute(select(Membership.user_id).where(
        Membership.school_id == school_id, Membership.role == SCHOOL_ADMIN, Membership.active.is_(True),
    ).order_by(Membership.user_id)).scalars().first() or 0


def school_surfaces(app: Flask, audit: Audit, words: Words, schools: dict[str, int], years: list[str]) -> None:
    """As each school's admin, in Chinese then in English: the summary page, CSV, XLSX and
    (years with data) PDF, each teacher's record page, the record PDF and the API's report. A
    PDF costs a third of a second and prints what its page shows from the same facts: a record
    PDF is printed for each status a school's year shows (in English, for each status a year
    shows anywhere), the summary PDF in English only where it prints a status not printed yet."""
    client = app.test_client()
    printed: dict[str, set[tuple[str, ...]]] = {"summary": set(), "record": set(), "record zh": set()}

    def new_in(kind: str, place: tuple[str, ...], statuses: set[str]) -> bool:
        fresh = {(*place, st) for st in statuses} - printed[kind]
        printed[kind] |= fresh
        return bool(fresh)

    for code, school_id in schools.items():
        with app.app_context():
            admin = school_admin(school_id)
            username = db.session.get_one(User, admin).username
        as_person(app, client, admin, school_id)
        for lang in LANGS:
            switch = f"&lang={PAGE_LANG[lang]}"
            for year in years:
                summary_page(audit, f"summary page ({lang})", client, code, year, switch)
                table(audit, f"summary.csv ({lang})", code, year, words, lang,
                      csv_rows(get_ok(client, f"/reports/summary.csv?year={year}&headings={lang}").data))
                table(audit, f"summary.xlsx ({lang})", code, year, words, lang,
                      xlsx_rows(get_ok(client, f"/reports/summary.xlsx?year={year}&headings={lang}").data))
                statuses = {r.status for (s, _u, y), r in audit.ref.items() if s == code and y == year}
                if year in audit.with_data and (code, year) not in audit.off_record and (
                        lang == "zh" or new_in("summary", (year,), statuses)):
                    summary_pdf(audit, f"summary.pdf ({lang})", client, code, year, words, lang)
            for key, ref in audit.ref.items():
                if key[0] != code:
                    continue
                record_page(audit, f"record page (admin, {lang})", client, key, ref, f"?lang={PAGE_LANG[lang]}")
                if new_in("record zh", (code, key[2]), {ref.status}) if lang == "zh" else new_in(
                        "record", (key[2],), {ref.status}):
                    record_pdf(audit, f"record.pdf ({lang})", client, key, ref, words, lang)
        auth = {**api_token(client, username), "X-School": code}
        for key, ref in audit.ref.items():
            if key[0] == code:
                body = get_ok(client, f"/api/v1/users/{ref.user_id}/credits?year={key[2]}", headers=auth).get_json()
                audit.saw("API credits (admin)", key, total=hours(body["total_hours"]),
                          required=hours(body["required_hours"]), absent=api_absent(body["absent_hours"]),
                          status=body["status"])
        for year in years:
            if (code, year) in audit.off_record:
                off_record(audit, client, auth, code, year)
            api_summary(audit, client, auth, code, year)
            for lang in LANGS:  # the API's language: Accept-Language
                table(audit, f"API reports/credits CSV ({lang})", code, year, words, lang, csv_rows(get_ok(
                    client, f"/api/v1/reports/credits?year={year}&format=csv", headers={**auth, "Accept-Language": lang}).data))


def off_record(audit: Audit, client: FlaskClient, auth: dict[str, str], code: str, year: str) -> None:
    """A year on no record of the school (:attr:`Audit.off_record`), as its admin: no 学时汇总表
    and no teacher's 学时证明 of it is printed (409, the reason said), and the API assesses none
    of its teachers then (``not_on_record``)."""
    urls = [f"/reports/summary.pdf?year={year}",
            *(f"/teachers/{uid}/record.pdf?year={year}" for uid in sorted(audit.off_record[(code, year)]))]
    for url in urls:
        audit.read["printed forms of a year on no record"] += 1
        audit.compared += 1
        r = client.get(url)
        if r.status_code != 409 or r.mimetype == "application/pdf":
            audit.problems.append(f"{url} ({code}): a year on no record answered {r.status_code} {r.mimetype}")
    for uid in sorted(audit.off_record[(code, year)]):
        body = get_ok(client, f"/api/v1/users/{uid}/credits?year={year}", headers=auth).get_json()
        audit.read["API credits of a year on no record"] += 1
        audit.compared += 1
        if body["status"] is not None or not (body.get("not_on_record") or body["joined_after_year"]):
            audit.problems.append(f"API credits ({code}): user {uid} {year} is on no record and reads {body['status']!r}")


def summary_page(audit: Audit, surface: str, client: FlaskClient, code: str, year: str, lang: str) -> None:
    """The 学时汇总表 page of the year chosen with its selector (``?year=``)."""
    doc = page(client, f"/reports/summary?year={year}{lang}")
    if (code, year) in audit.off_record:  # said to be on no record, no table of zeros
        audit.compared += 1
        if by_testid(doc, "summary-year-not-on") is None:
            audit.problems.append(f"{surface}: {code} {year} is on no record and the page does not say so")
    else:
        assert attr(by_testid(doc, "summary-pdf"), "href") is not None
    chosen = doc.xpath('.//input[@id="year"]/@value')
    if chosen != [year]:
        audit.problems.append(f"{surface}: {code} the year selector shows {chosen}, asked {year}")
    rows = doc.xpath('.//table[@id="summary"]/tbody/tr[@data-user]')
    audit.listed(surface, code, year, [str(r.get("data-user")) for r in rows])
    for row in rows:
        user = row.get("data-user")
        absent = text_of(by_testid(row, f"absence-{user}")).split(" / ")
        quotas = tuple((str(q.get("data-quota")).rsplit("-", 1)[0], int(str(q.get("data-quota")).rsplit("-", 1)[1]),
                        *quota_amount(text_of(q))) for q in row.xpath('.//td[@data-quota]'))
        audit.saw(surface, (code, user, year), total=hours(text_of(by_testid(row, f"total-{user}"))),
                  required=hours(text_of(by_testid(row, f"required-{user}"))),
                  status=attr(by_testid(row, f"status-{user}"), "data-status"),
                  absent=(hours(absent[0]), hours(absent[1])), quotas=quotas)
    # the teaching groups' table below: its members' hours and statuses
    for group_id, (school, members) in audit.groups.items():
        if school != code:
            continue
        if (code, year) in audit.off_record:  # a year on no record: no group's figures either
            audit.compared += 1
            if by_testid(doc, f"group-teachers-{group_id}") is not None:
                audit.problems.append(f"{surface}: {code} {year} is on no record and shows group {group_id}")
            continue
        mine = [r for (s, _u, y), r in audit.ref.items() if s == code and y == year and r.user_id in members]
        want = {"teachers": len(mine), "hours": sum((r.total for r in mine if hours_recognised(r.status)), ZERO),
                **Counter(r.shown for r in mine)}  # as the rows above read
        got = {"teachers": int(text_of(by_testid(doc, f"group-teachers-{group_id}")) or -1),
               "hours": hours(text_of(by_testid(doc, f"group-hours-{group_id}"))),
               **{st: int(text_of(el)) for st in (*STATUSES, IN_PROGRESS)
                  if (el := by_testid(doc, f"group-{group_id}-{st}")) is not None}}
        audit.read[f"{surface}: teaching groups"] += 1
        if got != want:
            audit.problems.append(f"{surface}: {code} {year} teaching group {group_id} shows {got}, expected {want}")


def table(audit: Audit, surface: str, code: str, year: str, words: Words, lang: str, rows: list[list[Any]],
          school_column: bool = False, quota_columns: bool = True) -> None:
    """A 学时汇总表 export (CSV, XLSX; the district's with the school first, and no quotas): a
    row per teacher, the columns found by their headings."""
    head, body = rows[0], rows[1:]
    at = {h: i for i, h in enumerate(head)}
    col = {k: at[v] for k, v in words.head[lang].items() if v in at}
    for school in sorted({str(r[col["school_code"]]) for r in body} if school_column else {code}):
        mine = [r for r in body if not school_column or r[col["school_code"]] == school]
        audit.listed(surface, school, year, [str(r[col["username"]]) for r in mine])
        for r in mine:
            audit.saw(surface, (school, str(r[col["username"]]), year), total=hours(r[col["total"]]),
                      required=hours(r[col["required"]]), absent=(hours(r[col["absent_1"]]), hours(r[col["absent_2"]])),
                      status=words.status[lang].get(str(r[col["status"]])))
            if quota_columns:  # the school summary's quota columns ("6,200 / 10,000 字")
                audit.saw(surface, (school, str(r[col["username"]]), year), quotas=tuple(
                    (*words.quota[lang][h], *quota_amount(str(r[i]))) for i, h in enumerate(head)
                    if h in words.quota[lang]))


def summary_pdf(audit: Audit, surface: str, client: FlaskClient, code: str, year: str, words: Words, lang: str) -> None:
    """The printed 学时汇总表: a line per teacher, "n name hours by type… total required absent1 absent2 status"."""
    names = {r.name: u for (s, u, y), r in audit.ref.items() if s == code and y == year}
    seen = []
    lines = printed_lines(audit, client, f"/reports/summary.pdf?year={year}", "summary", lang)
    audit.issued.append((verification_code(lines), code, year))
    for line in lines:
        found = re.match(r"(\d+) (\S+) ((?:[\d.]+ )+)(.*)$", line)
        if found is None or found.group(2) not in names:
            continue
        user = names[found.group(2)]
        seen.append(user)
        figures = [hours(v) for v in found.group(3).split()]
        audit.saw(surface, (code, user, year), total=figures[-4], required=figures[-3], absent=(figures[-2], figures[-1]),
                  status=words.status_at_start(found.group(4), lang))
    audit.listed(surface, code, year, seen)


def record_pdf(audit: Audit, surface: str, client: FlaskClient, key: Key, ref: Reference, words: Words,
               lang: str) -> None:
    """The printed 学时证明 of the year: total, required, absence per semester, status."""
    # one line: the table's cells wrap where the page is narrow
    lines = printed_lines(audit, client, f"/teachers/{ref.user_id}/record.pdf?year={key[2]}", "record", lang)
    audit.issued.append((verification_code(lines), key[0], key[2]))
    text = " ".join(" ".join(lines).split())
    head = words.head[lang]

    def after(name: str) -> str:
        found = re.search(re.escape(head[name]) + r" (\S.*)", text)
        return found.group(1) if found else "?"

    audit.saw(surface, key, total=hours(after("total").split(" ")[0]), required=hours(after("required").split(" ")[0]),
              absent=(hours(after("absent_1").split(" ")[0]), hours(after("absent_2").split(" ")[0])),
              status=words.status_at_start(after("assessment"), lang))


def certificates(app: Flask, audit: Audit) -> None:
    """As each school's admin, every activity with ledger lines: its 学分认定表 page and XLSX show
    each participant's net credited hours of the ledger (one revoked shows none: 409, and its net
    is nothing); a teacher's certificates of a school year add up to the total every other surface
    shows. One certificate PDF per school is printed and its ``/verify`` code read back (no login):
    unchanged, each teacher's hours and the total as printed."""
    client, anonymous = app.test_client(), app.test_client()
    with app.app_context():
        net: dict[int, dict[int, Decimal]] = {}
        for activity_id, user_id, total in db.session.execute(
                select(CreditEntry.activity_id, CreditEntry.user_id, func.sum(CreditEntry.hours))
                .group_by(CreditEntry.activity_id, CreditEntry.user_id)):
            net.setdefault(activity_id, {})[user_id] = D(total)
        acts = db.session.execute(select(Activity.id, Activity.school_year, School.code, School.id).join(
            School, School.id == Activity.school_id).where(Activity.id.in_(net)).order_by(School.code, Activity.id)).all()
        people = list(db.session.execute(select(User)).scalars())
        ids = {u.username: u.id for u in people}
        usernames, names = {u.id: u.username for u in people}, {u.id: u.display_name for u in people}
        admins = {school_id: school_admin(school_id) for _a, _y, _c, school_id in acts}
        columns = heading("username", "zh"), heading("credited", "zh")
    summed: Counter[Key] = Counter()
    printed: set[str] = set()
    for activity_id, year, code, school_id in acts:
        as_person(app, client, admins[school_id], school_id)
        want = net[activity_id]
        r = client.get(f"/activities/{activity_id}/certificate")
        audit.read["certificate page"] += 1
        if r.status_code == 409:  # credits revoked: no form while nothing is credited
            if any(want.values()):
                audit.problems.append(f"certificate page: {code} activity {activity_id} refused, ledger holds {want}")
            continue
        assert r.status_code == 200, (activity_id, r.status_code)
        doc = lxml_html.fromstring(r.data)
        shown = {ids[str(row.get("data-user"))]: hours(text_of(row.xpath('.//td[contains(@class, "credited")]')[0]))
                 for row in doc.xpath('.//table[@id="participants"]/tbody/tr[@data-user]')}
        for uid in set(shown) | set(want):
            audit.compared += 1
            if shown.get(uid, ZERO) != want.get(uid, ZERO):
                audit.problems.append(f"certificate page: {code} activity {activity_id} {names[uid]} "
                                      f"= {shown.get(uid)!r}, ledger {want.get(uid)!r}")
            summed[(code, usernames[uid], year)] += shown.get(uid, ZERO)
        rows = xlsx_rows(get_ok(client, f"/activities/{activity_id}/certificate.xlsx").data)
        audit.read["certificate.xlsx"] += 1
        head = next(row for row in rows if columns[1] in row)
        user_col, credited_col = head.index(columns[0]), head.index(columns[1])
        by_user = {ids[str(row[user_col])]: hours(row[credited_col]) for row in rows if isinstance(row[0], int)}
        for uid in set(shown) | set(by_user):
            audit.compared += 1
            if by_user.get(uid) != shown.get(uid):
                audit.problems.append(f"certificate.xlsx: {code} activity {activity_id} {names[uid]} "
                                      f"= {by_user.get(uid)!r}, page {shown.get(uid)!r}")
        if code not in printed:  # a PDF a school, and what its code certifies
            printed.add(code)
            lines = printed_lines(audit, client, f"/activities/{activity_id}/certificate.pdf", "certificate", "zh")
            shown_pdf = {uid: hours(found.group(1)) for uid in shown for line in lines
                         if (found := re.match(rf"\d+ {re.escape(names[uid])} \S+ \S+ ([\d.]+)", line))}
            audit.read["certificate.pdf"] += 1
            for uid in shown:
                audit.compared += 1
                if shown_pdf.get(uid) != shown[uid]:
                    audit.problems.append(f"certificate.pdf: {code} activity {activity_id} {names[uid]} "
                                          f"= {shown_pdf.get(uid)!r}, page {shown[uid]!r}")
            checked = page(anonymous, f"/verify/{verification_code(lines)}")
            audit.read["/verify (certificates)"] += 1
            if by_testid(checked, "verify-unchanged") is None:
                audit.problems.append(f"/verify: {code} certificate {activity_id} says it changed")
            for uid in shown:
                audit.compared += 1
                if hours(text_of(by_testid(checked, f"verify-hours-{uid}"))) != shown[uid]:
                    audit.problems.append(f"/verify (certificate): {code} activity {activity_id} {names[uid]} "
                                          f"= {text_of(by_testid(checked, f'verify-hours-{uid}'))!r}, page {shown[uid]!r}")
            if hours(text_of(by_testid(checked, "verify-total"))) != sum(shown.values(), ZERO):
                audit.problems.append(f"/verify (certificate): {code} activity {activity_id} total differs")
    for key in audit.ref:
        audit.saw("certificates of the year, summed", key, total=summed.get(key, ZERO))


def verification_code(lines: list[str]) -> str:
    """The code a printed form carries (``ABCD-EFGH-…``, eight groups)."""
    found = re.search(r"\b[A-Z0-9]{4}(?:-[A-Z0-9]{4}){7}\b", "\n".join(lines))
    assert found is not None, lines[-3:]
    return found.group(0)


def verified(app: Flask, audit: Audit, words: Words) -> None:
    """``/verify/<code>`` of every form printed (no login): genuine, unchanged, and what it
    certified — each teacher's hours, the record's status — is the reference's."""
    client = app.test_client()
    for code, school, year in audit.issued:
        doc = page(client, f"/verify/{code}")
        if by_testid(doc, "verify-unchanged") is None:
            audit.problems.append(f"/verify: {school} {year} {code} says it changed: {text_of(doc)[:300]}")
        status = words.status["zh"].get(text_of(by_testid(doc, "verify-status")))
        for (s, _u, y), ref in audit.ref.items():
            shown = by_testid(doc, f"verify-hours-{ref.user_id}")
            if s == school and y == year and shown is not None:
                audit.saw("/verify (printed forms)", (s, _u, y), total=hours(text_of(shown)),
                          **({"status": status} if by_testid(doc, "verify-status") is not None else {}))


def api_summary(audit: Audit, client: FlaskClient, auth: dict[str, str], code: str, year: str) -> None:
    body = get_ok(client, f"/api/v1/reports/credits?year={year}", headers=auth).get_json()
    audit.listed("API reports/credits", code, year, [t["username"] for t in body["teachers"]])
    for t in body["teachers"]:
        audit.saw("API reports/credits", (code, t["username"], year), total=hours(t["total_hours"]),
                  required=hours(body["required_hours"]), absent=api_absent(t["absent_hours"]), status=t["status"],
                  quotas=api_quotas(t["quotas"]))
        audit.saw("API reports/credits by type", (code, t["username"], year),
                  total=sum((hours(h) for h in t["by_type"].values()), ZERO))


# -- the district -------------------------------------------------------------------------------


def district_surfaces(app: Flask, audit: Audit, words: Words, years: list[str]) -> None:
    """As a district person of each district with demo schools: the district page and API, the
    dashboard, the submitted figures and the district's exports."""
    client = app.test_client()
    with app.app_context():
        seats = {}
        for user in db.session.execute(select(User).order_by(User.id)).scalars():
            seat = access.district_seat(user.id)
            if seat is not None and seat.district_id not in seats and set(seat.roles) & {DISTRICT_ADMIN, DISTRICT_REVIEWER}:
                seats[seat.district_id] = (user.id, user.username)
        codes = {d: set(db.session.execute(select(School.code).where(School.district_id == d)).scalars()) for d in seats}
        latest: dict[tuple[int, str], list[int]] = {}  # each school's latest submission of a year
        for district, year, sub_id in db.session.execute(
            select(YearSubmission.district_id, YearSubmission.school_year, func.max(YearSubmission.id))
            .group_by(YearSubmission.district_id, YearSubmission.school_year, YearSubmission.school_id)
        ):
            latest.setdefault((district, year), []).append(sub_id)
        # (school, year) whose latest round is a first semester's sent before the district accepted the
        # second: half the year, not judged yet (the demo's semester district)
        halves = set()
        for sub in db.session.execute(select(YearSubmission).where(
                YearSubmission.id.in_([i for ids in latest.values() for i in ids]), YearSubmission.semester == 1)).scalars():
            second = db.session.execute(select(func.count()).where(
                YearSubmission.school_id == sub.school_id, YearSubmission.school_year == sub.school_year,
                YearSubmission.semester == 2, YearSubmission.status == "accepted", YearSubmission.id < sub.id)).scalar()
            if not second:
                halves.add((db.session.get_one(School, sub.school_id).code, sub.school_year))
    assert sorted(c for cs in codes.values() for c in cs) == sorted({k[0] for k in audit.ref}), codes
    for district_id, (uid, username) in seats.items():
        as_person(app, client, uid, None)
        auth = api_token(client, username)
        for year in years:
            for code in sorted(codes[district_id]):  # each school's summary, as the district reads it
                summary_page(audit, "summary page (district)", client, code, year, f"&school={code}")
            doc = page(client, f"/district?year={year}")
            for code in codes[district_id]:
                met = re.match(r"(\d+) / (\d+)", text_of(by_testid(doc, f"met-{code}")))
                assert met is not None, code
                audit.counted("district page", code, year, so_far=True, met=int(met.group(1)),
                              in_progress=int(text_of(by_testid(doc, f"in-progress-{code}"))),
                              short=int(text_of(by_testid(doc, f"short-{code}"))),
                              not_recognised=int(text_of(by_testid(doc, f"not-recognised-{code}"))),
                              exempt=int(text_of(by_testid(doc, f"exempt-{code}"))),
                              hours=hours(text_of(by_testid(doc, f"hours-{code}"))))
                assignable = int(met.group(2)) + int(text_of(by_testid(doc, f"exempt-{code}")))
                audit.counted("district page (assessed + exempt)", code, year, teachers=assignable)
            for row in get_ok(client, f"/api/v1/district/schools?year={year}", headers=auth).get_json():
                audit.counted("API district/schools", row["school"], year, so_far=True, teachers=row["teachers"],
                              hours=hours(row["hours"]), **row["by_status"])
            # the dashboard's shares are of the submitted figures (latest round of each school), and
            # every surface of a round reads it as the round does: a first semester's is half the year
            round_audit, audit_now = Audit(as_rounds_read(audit.ref, halves), audit.with_data, audit.groups,
                                         current=audit.current), audit
            audit = round_audit
            dash = get_ok(client, f"/api/v1/district/dashboard?year={year}", headers=auth).get_json()
            doc = page(client, f"/district/dashboard?year={year}")
            for row in dash["schools"]:
                if year in audit.submitted and not row["shares"]:  # the demo's schools all submitted
                    audit.problems.append(f"API district/dashboard: {row['school']} {year} shows no submission")
                if row["shares"]:
                    audit.counted("API district/dashboard shares", row["school"], year, **row["shares"])
                    code = row["school"]
                    audit.counted("district dashboard shares", code, year, **{
                        st: int(text_of(by_testid(doc, f"share-{code}-{st}")) or -1) for st in row["shares"]})
            submitted(audit, words, csv_rows(get_ok(client, f"/district/submitted.csv?year={year}").data), year)
            # the same, as the API gives it, and as a workbook: the schools' counts, a sheet per school
            submitted(audit, words, csv_rows(get_ok(client, f"/api/v1/district/submitted?year={year}&format=csv",
                                                    headers={**auth, "Accept-Language": "zh"}).data),
                      year, "API district/submitted (CSV)")
            submitted_xlsx(audit, words, get_ok(client, f"/district/submitted.xlsx?year={year}").data, year)
            # every ledger line of the year (credits and reversals), summed per teacher
            for fmt, read in (("csv", csv_rows), ("xlsx", xlsx_rows)):
                ledger_lines(audit, f"district export.{fmt}?ledger=1", year, codes[district_id],
                             read(get_ok(client, f"/district/export.{fmt}?year={year}&ledger=1").data))
            for sub_id in latest.get((district_id, year), []):
                frozen(audit, client, auth, sub_id, year)
            audit = audit_now
            audit.problems += round_audit.problems
            audit.read.update(round_audit.read)
            audit.compared += round_audit.compared
            # the chart's hours by type: the district's teachers' hours, as the summaries have them
            charted = sum((hours(h) for h in dash["hours_by_type"].values()), ZERO)
            want = recognised(r for (s, _u, y), r in audit.ref.items() if y == year and s in codes[district_id])
            audit.read["API district/dashboard hours by type"] += 1
            if charted != want:
                audit.problems.append(f"API district/dashboard: {year} hours by type add up to {charted}, expected {want}")
            for fmt, read in (("csv", csv_rows), ("xlsx", xlsx_rows)):
                rows = read(get_ok(client, f"/district/export.{fmt}?year={year}").data)
                table(audit, f"district export.{fmt}", "", year, words, "zh", rows, school_column=True, quota_columns=False)
                exported = {str(r[0]) for r in rows[1:]}
                if exported != codes[district_id] & {k[0] for k in audit.ref if k[2] == year}:
                    audit.problems.append(f"district export.{fmt}: {year} schools {sorted(exported)}")


def as_rounds_read(ref: dict[Key, Reference], halves: set[tuple[str, str]]) -> dict[Key, Reference]:
    """The reference as the rounds read it: of a school-year in ``halves`` (a first semester's
    round, half the year), met or short is not judged yet (in progress) and the second semester's
    absence is not shown; the verdicts decided already (not recognised, exempt) stay."""
    return {k: replace(r, status=IN_PROGRESS if r.status in ("met", "short") else r.status, absent=(r.absent[0], ""))
            if (k[0], k[2]) in halves else r for k, r in ref.items()}


def frozen(audit: Audit, client: FlaskClient, auth: dict[str, str], sub_id: int, year: str) -> None:
    """A submission's frozen figures: its page (the district's) and ``GET /api/v1/district/submissions/<id>``."""
    body = get_ok(client, f"/api/v1/district/submissions/{sub_id}", headers=auth).get_json()
    code = body["school"]
    audit.listed("API district/submissions/<id>", code, year, [r["username"] for r in body["rows"]])
    doc = page(client, f"/district/submissions/{sub_id}")
    audit.counted("API district/submissions/<id> hours", code, year, hours=hours(body["total_hours"]))
    audit.counted("district submission page hours", code, year, hours=hours(text_of(by_testid(doc, "submission-hours"))))
    # a first semester's round gives the first semester's absence only: the second read as not shown ("")
    shown = ("1", "2") if body["judges_year"] else ("1",)
    for r in body["rows"]:
        key = (code, r["username"], year)
        absent = tuple(hours(r["absent"].get(sem, 0)) if sem in shown else "" for sem in ("1", "2"))
        audit.saw("API district/submissions/<id>", key, total=hours(r["total"]), required=hours(r["required"]),
                  absent=absent, status=r["status"], quotas=api_quotas(r["quotas"]))
        user = r["username"]
        audit.saw("district submission page", key, total=hours(text_of(by_testid(doc, f"total-{user}"))),
                  status=attr(by_testid(doc, f"status-{user}"), "data-status"))
        # the teacher's own page of the submission: the frozen figures and the ledger lines behind them
        one = page(client, f"/district/submissions/{sub_id}/teachers/{r['user_id']}")
        lines = sum((hours(text_of(el)) for el in one.xpath('.//*[starts-with(@data-testid, "entry-hours-")]')), ZERO)
        audit.saw("district submission's teacher page", key, total=hours(text_of(by_testid(one, "teacher-total"))),
                  required=hours(text_of(by_testid(one, "teacher-required"))),
                  status=attr(by_testid(one, "teacher-status"), "data-status"), quotas=home_quotas(one),
                  absent=tuple(hours(text_of(by_testid(one, f"teacher-absent-{sem}"))) for sem in (1, 2)))
        audit.saw("district submission's teacher page: its entries", key, total=lines)
        audit.saw("district submission page", key,
                  absent=tuple(hours(text_of(by_testid(doc, f"absent-{user}-{sem}"))) for sem in (1, 2)))


def submitted(audit: Audit, words: Words, rows: list[list[Any]], year: str,
              surface: str = "district submitted.csv") -> None:
    """``/district/submitted.csv``: a row per teacher of every school that submitted."""
    head, body = rows[0], rows[1:]
    col = {k: head.index(v) for k, v in words.head["zh"].items() if v in head}
    for code in {str(r[0]) for r in body}:
        mine = [r for r in body if r[0] == code]
        audit.listed(surface, code, year, [str(r[col["username"]]) for r in mine])
        for r in mine:
            audit.saw(surface, (code, str(r[col["username"]]), year), total=hours(r[col["total"]]),
                      required=hours(r[col["required"]]), absent=(hours(r[col["absent_1"]]), hours(r[col["absent_2"]])),
                      status=words.status["zh"].get(str(r[col["status"]])), quotas=quota_cell(words, str(r[-1])))


def submitted_xlsx(audit: Audit, words: Words, data: bytes, year: str) -> None:
    """``/district/submitted.xlsx``: a sheet of every school's counts as submitted (teachers, per
    status, hours credited; none for a school that sent nothing), then a sheet per school that
    submitted (its code) with a row per teacher, the quotas in the column after 说明."""
    summary, *schools = load_workbook(io.BytesIO(data), read_only=True).worksheets
    for r in list(summary.iter_rows(values_only=True))[1:]:
        if r[7] not in (None, ""):
            # a first semester's round leaves met and short blank: none judged (its rows say in progress)
            audit.counted("district submitted.xlsx (schools)", str(r[0]), year, teachers=r[7], met=r[8] or 0,
                          short=r[9] or 0,
                          not_recognised=r[10], exempt=r[11], hours=hours(r[12]))
    for ws in schools:
        rows = [["" if v is None else v for v in r] for r in ws.iter_rows(values_only=True)]
        col = {k: rows[0].index(v) for k, v in words.head["zh"].items() if v in rows[0]}
        audit.listed("district submitted.xlsx", str(ws.title), year, [str(r[col["username"]]) for r in rows[1:]])
        for r in rows[1:]:
            audit.saw("district submitted.xlsx", (str(ws.title), str(r[col["username"]]), year),
                      total=hours(r[col["total"]]), required=hours(r[col["required"]]),
                      absent=(hours(r[col["absent_1"]]), hours(r[col["absent_2"]])),
                      status=words.status["zh"].get(str(r[col["status"]])),
                      quotas=quota_cell(words, str(r[col["status"] + 2])))


def ledger_lines(audit: Audit, surface: str, year: str, codes: set[str], rows: list[list[Any]]) -> None:
    """The district's ledger export (``?ledger=1``): every credit and reversal of the year, a
    line each (school code, …, username in the fifth column, hours in the eleventh); summed per
    teacher, each teacher-year's total (nobody else holds any hours)."""
    summed: Counter[Key] = Counter()
    for r in rows[1:]:
        summed[(str(r[0]), str(r[4]), year)] += hours(r[10])
    for key in [k for k in audit.ref if k[2] == year and k[0] in codes]:
        audit.saw(surface, key, total=summed.pop(key, ZERO))
    for key, total in summed.items():
        if total:
            audit.problems.append(f"{surface}: {key} holds {total} hours and is no teacher-year of the reference")


def quota_cell(words: Words, text: str) -> Quotas:
    """The quotas in one cell, "读书笔记 6,200 / 10,000 字；论文或教学心得 0 / 1 ✗；…"."""
    found = []
    for part in filter(None, text.split("；")):
        label = max((q for q in words.quota["zh"] if part.startswith(q + " ")), key=len, default=None)
        found.append((*words.quota["zh"][label], *quota_amount(part[len(label):])) if label else (part, 0, 0, 0))
    return tuple(found)


# -- the test -----------------------------------------------------------------------------------


def test_every_surface_shows_the_same_figures_of_every_teacher_year(make_app, record_property) -> None:
    began = time.perf_counter()
    site = make_app(demo=True)  # the page tests' ``site``: a copy of the demo, no context held
    with site.app_context():
        load_district_demo()
        with_data = demo_years()
        # and the two years before, without any data: each surface must show the year asked for
        # (AWAY_LONG held the role when the first was over, and was away when the second was);
        # every year between too (the demo's talks of a year closed to credits are two years back:
        # last year, with teacher3's exemption only, is one)
        years = [year_before(year_before(with_data[0])), year_before(with_data[0])]
        while years[-1] < with_data[-1]:
            years.append(school_year_after(years[-1], 1))
        # and the year after this one: not begun, on no record (an activity planned in it or not)
        if years[-1] <= current_school_year():
            years.append(school_year_after(current_school_year(), 1))
        db.session.remove()
    assert warm_the_caches(site, years) > 50
    with site.app_context():
        the_year_goes_on()
        schools = list(db.session.execute(select(School).order_by(School.code)).scalars())
        groups: dict[int, tuple[str, set[int]]] = {}
        for group_id, code, user_id in db.session.execute(
            select(TeachingGroup.id, School.code, GroupMember.user_id).join(School, School.id == TeachingGroup.school_id)
            .outerjoin(GroupMember, GroupMember.group_id == TeachingGroup.id)
        ):
            groups.setdefault(group_id, (code, set()))[1].update({user_id} - {None})
        off: dict[tuple[str, str], set[int]] = {}
        audit = Audit(reference(schools, years, off), with_data, groups, current={
                          school.code: current_school_year(school.timezone) for school in schools},
                      submitted=set(db.session.execute(select(YearSubmission.school_year)).scalars()),
                      off_record=off)
        words = Words({(k, sem) for r in audit.ref.values() for k, sem, _d, _t in r.quotas})
        codes = {s.code: s.id for s in schools}
        db.session.remove()
    assert len(codes) >= 5 and with_data and len(audit.ref) >= 40, (codes, years, len(audit.ref))
    assert {r.status for r in audit.ref.values()} == set(STATUSES), "the demo judged alike"
    # short this year, read as in progress until the year is over; a past year short reads short
    assert any(r.status == "short" and r.shown == IN_PROGRESS for r in audit.ref.values()), "no year under way"
    assert any(r.shown == "short" for r in audit.ref.values()), "no year judged short"
    # a year the district closed before its end (NORTH1's, accepted in the year): judged short, not in progress
    assert any(r.closed_early and r.shown == "short" for r in audit.ref.values()), "no year closed before its end"
    assert {r.required for r in audit.ref.values()} == {D(12), D(50)}, "an accepted year judged by today's rules"
    assert not all(r.teaching for r in audit.ref.values()), "nobody left"
    assert any(not r.teaching and r.total == 0 and r.status == "exempt" for r in audit.ref.values()), \
        "nobody left with only an exemption"
    assert any(r.absent != (ZERO, ZERO) for r in audit.ref.values()), "no unexcused absence in the demo"
    assert ("DEMO", AWAY_LONG, years[0]) in audit.ref, "a year over before a gap is not the teacher's"
    # the other schools hold nothing of the years before the demo's data: on no record, refused
    assert ("NORTH1", years[0]) in audit.off_record and ("DEMO", years[0]) not in audit.off_record
    assert ("DEMO", AWAY_LONG, years[1]) not in audit.ref, "a year over while away is the teacher's"
    moved = [k for k in audit.ref if k[1] == MOVED and k[2] == with_data[-1]]
    assert sorted(k[0] for k in moved) == ["DEMO", MOVED_TO], moved
    assert audit.ref[("DEMO", MOVED, with_data[-1])].total > 0 and not audit.ref[("DEMO", MOVED, with_data[-1])].teaching

    assert any(year > audit.now(code) for code, year in audit.off_record), "no year not begun"
    teacher_surfaces(site, audit)
    off_record_homes(site, audit)
    export_sizes(site, audit, years)
    school_surfaces(site, audit, words, codes, years)
    district_surfaces(site, audit, words, years)
    verified(site, audit, words)
    certificates(site, audit)

    assert not audit.problems, f"{len(audit.problems)} disagreements:\n" + "\n".join(audit.problems)
    seconds = time.perf_counter() - began
    record_property("figure", f"same figures everywhere: {len(audit.ref)} teacher-years, {len(audit.read)} surfaces, "
                              f"{sum(audit.read.values())} readings, {audit.compared} figures compared "
                              f"({audit.forms['pdf']} forms laid out, {audit.forms['html']} read from their HTML) "
                              f"in {seconds:.1f} s")
