"""Verification codes of printed documents: one per printed version of the figures, found again,
saying what changed.

A code is 160 bits written in base32 (32 letters and digits, printed in groups of four): an
HMAC, keyed from ``SECRET_KEY``, of what the paper certifies — its kind, school, year, activity or
teacher, who printed it, and the snapshot of its figures (all but ``taken_at``). The same paper
printed again (a reload, a second copy, a link or ``<img>`` of another site opening the PDF in a
signed-in person's browser) gets the code it had and adds no row; a paper whose figures changed
gets a new code, and the old one still shows what it printed. Opening a PDF is so a safe GET: it
changes nothing but the first time those figures are printed. A code names nothing: the
database keeps only its SHA-256 digest, and the row it leads to holds the snapshot of what the
document certified. Anyone holding the paper can open ``/verify/<code>`` without logging in;
nobody can guess a code, or learn one from the database, without the secret key.

The snapshot is every figure the paper states that an assessment reads — each line's hours and
assessment, and (documents printed since they are kept, :data:`FIGURES`) each type's hours, the
required hours, each semester's unexcused absence, the assessment's reason (which writing
quotas were not met), a 学时证明's activities and absences, a 学分认定表's roles, attended hours
and remarks, and when the figures were read — taken from the very objects the form is rendered
from, once. The rows are append-only (ORM and database triggers, like the ledger): what
``/verify`` shows of an old code is what was printed, whatever the ledger says now.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from portal import year_texts
from portal.assessment import Assessment, QuotaFact, YearFacts, shortfalls
from portal.database import write_transaction
from portal.extensions import db
from portal.hours import fmt
from portal.models import (
    Activity,
    CreditEntry,
    Exemption,
    IssuedDocument,
    Participation,
    School,
    TransitionLog,
    User,
)
from portal.security import derived_key
from portal.services import credits, teacher_years
from portal.sorting import by_pinyin
from portal.timeutil import to_local, utcnow

CODE_BYTES = 20  # 160 bits
CODE_LENGTH = 32  # base32 letters of CODE_BYTES
_CODE = re.compile(r"^[A-Z2-7]{32}$")
#: the longest text taken as a code: a code typed with a separator between every letter, and
#: a little more; anything longer is no code, and is not worked on
TYPED_MOST = 2 * CODE_LENGTH + 8
KINDS = ("certificate", "summary", "record")
SEMESTERS = (1, 2)
#: the key of the snapshot's figures besides the totals (a line's), in documents printed since
#: they are kept: older documents keep what they had, and their page shows that
FIGURES = "figures"


def code_for(kind: str, school_id: int, year: str, issued_by: int, content: dict[str, Any],
             activity_id: int | None = None, user_id: int | None = None) -> str:
    """The code of a paper: the same for the same paper (its figures and whatever else it
    prints, who printed it), another for any other. ``content`` without ``taken_at`` (when its
    figures were read), which a reprint of the same figures does not change."""
    figures = {k: v for k, v in content.items() if k != "taken_at"}
    printed = json.dumps([kind, school_id, year, activity_id, user_id, issued_by, figures],
                         sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    mac = hmac.new(derived_key(b"yanxiu-verify"), printed.encode(), hashlib.sha256).digest()[:CODE_BYTES]
    return base64.b32encode(mac).decode("ascii")


def normalise(text: str) -> str | None:
    """A code as typed or scanned (any case, dashes or spaces between groups, full-width forms
    as a Chinese input method types them), or None: also for a text far longer than a code, or
    with anything outside ASCII once full-width forms are read as such (``"ß".upper()`` is
    ``"SS"``; ``re``'s ``\\s`` knows Unicode spaces)."""
    if not isinstance(text, str) or len(text) > TYPED_MOST:
        return None
    text = unicodedata.normalize("NFKC", text)
    if not text.isascii():
        return None
    code = re.sub(r"[\s-]", "", text).upper()
    return code if _CODE.fullmatch(code) else None


def digest(code: str) -> str:
    return hashlib.sha256(code.encode("ascii")).hexdigest()


def grouped(code: str) -> str:
    """``ABCD-EFGH-…``: how the code is printed, easy to read aloud and type."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def issue(
    kind: str, school: School, year: str, issued_by: int, content: dict[str, Any], *,
    activity_id: int | None = None, user_id: int | None = None, taken_at: datetime | None = None,
) -> str:
    """Record a document about to be printed; returns its code (:func:`code_for`; the database
    keeps only its digest). The same paper printed again returns the code it was issued with and
    writes nothing (a read, no write lock): the row keeps when it was first issued and when its
    figures were then read. ``taken_at``: when its figures were read (UTC), kept with them."""
    if kind not in KINDS:
        raise ValueError(kind)
    code = code_for(kind, school.id, year, issued_by, content, activity_id, user_id)
    if find(code) is not None:
        return code
    if taken_at is not None:
        content = {**content, "taken_at": taken_at.isoformat(timespec="seconds")}
    try:
        with write_transaction() as session:
            session.add(IssuedDocument(
                code_hash=digest(code), school_id=school.id, kind=kind, school_year=year,
                activity_id=activity_id, user_id=user_id, issued_by=issued_by, content=content,
            ))
    except IntegrityError:  # the same paper printed twice at once: the other request's row is its code's
        if find(code) is None:
            raise
    return code


def now() -> datetime:
    """The moment a form's figures are read (``taken_at`` of :func:`issue`)."""
    return utcnow()


def hours_text(value: Decimal | None) -> str:
    """Hours as a form prints them and the snapshot keeps them (``0``, ``12.5``)."""
    return fmt(value) or "0"


def year_figures(facts: YearFacts, assessment: Assessment, type_keys: Sequence[str] = (),
                 record: bool = False) -> dict[str, Any]:
    """What a 学时证明, or a 学时汇总表's line, prints of a teacher's year besides its total and
    assessment: each type's hours (the summary's columns, ``type_keys``), the required hours,
    each semester's unexcused absence and the assessment's reason (its 说明: an exemption, the
    semester over the absence limit, the writing quotas not met); with ``record`` (a 学时证明),
    the quotas it prints under them (:func:`printed_quotas`) and why the year is not met
    (``why``: :func:`portal.assessment.shortfalls`, its hours as text)."""
    out: dict[str, Any] = {
        "by_type": {key: hours_text(facts.by_type.get(key, credits.ZERO)) for key in type_keys},
        "required": hours_text(facts.required_hours),
        "absent": {str(s): hours_text(facts.absent_hours.get(s, credits.ZERO)) for s in SEMESTERS},
        "reason": assessment.reason or "",
    }
    if record:
        out["quotas"] = {f"{q.key}-{q.semester}": _quota_data(q) for q in printed_quotas(facts, assessment.status)}
        out["why"] = [{"kind": f.kind, "semester": f.semester, "hours": hours_text(f.hours),
                       "limit": hours_text(f.limit), "quota": _quota_data(f.quota) if f.quota else None}
                      for f in shortfalls(facts, assessment.status)]
    return out


def _quota_data(q: QuotaFact) -> dict[str, Any]:
    """A writing quota as a printed form keeps it (:func:`year_texts.as_fact` reads it back)."""
    return {"key": q.key, "semester": q.semester, "done": q.done, "target": q.target, "unit": q.unit,
            "short": list(q.short)}


def printed_quotas(facts: YearFacts, status: str | None) -> list[QuotaFact]:
    """The writing quotas a 学时证明 prints under the assessment: those short in some month (the
    monthly reading notes), with the months (``paper.months_short``); none in a year assessed
    ``status`` exempt, which names no month short (:func:`year_texts.names_months_short`)."""
    if not year_texts.names_months_short(status):
        return []
    return [q for q in facts.quotas if q.short]


def _quota_words(q: dict[str, Any] | None) -> str:
    """A printed quota (:func:`year_figures`' ``quotas``) in the reader's words, as the paper
    wrote it: done against target and the months short; "—" for none."""
    if q is None:
        return "—"
    return " ".join(part for part in (year_texts.quota_amount(q), year_texts.quota_short(q)) if part)


def absence_line(part: Participation, act: Activity, tz: str) -> dict[str, str]:
    """An absence as a 学时证明 lists it (its 缺席记录): the day, the activity, the semester, the
    hours of leave and of unexcused absence (the remark is said from them)."""
    return {"day": to_local(act.starts_at, tz).date().isoformat(), "title": act.title, "semester": str(act.semester),
            "absent": hours_text(part.absent_hours), "excused": hours_text(part.excused_hours)}


def certificate_line(line: credits.CertificateLine) -> dict[str, Any]:
    """A 学分认定表's line as printed: the teacher's role, hours attended (none recorded: empty)
    and credited, and the parts its 备注 is said from."""
    return {"user_id": line.user.id, "name": line.user.display_name, "hours": hours_text(line.hours),
            "role": line.role, "attended": fmt(line.attended_hours), "remark": line.remark,
            "absent": hours_text(line.absent_hours), "excused": hours_text(line.excused_hours), "away": line.away}


def taken_at(doc: IssuedDocument) -> datetime | None:
    """When the document's figures were read (UTC); None for one printed before it was kept."""
    value = doc.content.get("taken_at")
    return datetime.fromisoformat(value) if isinstance(value, str) else None


def line_remark(line: dict[str, Any]) -> str:
    """A 学分认定表 line's 备注 from what its code keeps, in the reader's language."""
    return credits.line_remarks(str(line.get("remark", "")), Decimal(str(line.get("absent", "0"))),
                                Decimal(str(line.get("excused", "0"))), bool(line.get("away")))


def absence_remark(line: dict[str, Any]) -> str:
    """A 学时证明 absence's remark from what its code keeps, in the reader's language."""
    return credits.absence_remark(Decimal(str(line.get("absent", "0"))), Decimal(str(line.get("excused", "0"))))


def certificate_facts(cert: credits.Certificate, tz: str) -> dict[str, Any]:
    """What a 学分认定表 prints of its activity besides the lines: the type, the semester, the days,
    the planned hours, who organised, approved and posted it, and the days it was approved and credited."""
    act = cert.activity

    def day(at: datetime | None) -> str:
        return to_local(at, tz).date().isoformat() if at is not None else ""

    return {"type_key": act.type_key, "semester": act.semester, "first_day": day(act.starts_at),
            "last_day": day(act.ends_at), "planned_hours": hours_text(act.hours),
            "reviewer_name": cert.reviewer.display_name if cert.reviewer else "", "approved_on": day(cert.approved_at),
            "posted_by_name": cert.posted_by.display_name if cert.posted_by else "", "credited_on": day(cert.credited_at)}


def find(text: str) -> IssuedDocument | None:
    code = normalise(text)
    if code is None:
        return None
    return db.session.execute(select(IssuedDocument).where(IssuedDocument.code_hash == digest(code))).scalar_one_or_none()


@dataclass(frozen=True)
class Change:
    """A teacher whose hours differ from what the document printed (revoked or re-credited)."""

    name: str
    printed: Decimal
    now: Decimal


@dataclass(frozen=True)
class YearNow:
    """A teacher's year today, in the terms a record or a summary printed it."""

    name: str
    hours: Decimal
    status: str
    figures: dict[str, Any] = field(default_factory=dict)


def _years_now(doc: IssuedDocument) -> dict[int, YearNow]:
    """Each teacher's total and assessment of the year today, as a record (its teacher) or a
    summary (the summary page's rows) printed them: one reading for both."""
    school = db.session.get_one(School, doc.school_id)
    if doc.kind == "record" and doc.user_id is not None:
        teacher = db.session.get_one(User, doc.user_id)
        ty = credits.teacher_year(teacher, school, doc.school_year)
        return {teacher.id: YearNow(teacher.display_name, ty.facts.total_hours, ty.shown.status,
                                    year_figures(ty.facts, ty.assessment, record=True))}
    # the summary page's rows: the stored teacher-year rows when the year has them (an anonymous
    # page should not aggregate a school's year on every look), else computed now
    rows: Sequence[credits.SummaryRow] | None = teacher_years.summary_rows(school, doc.school_year)
    if rows is None:
        rows = credits.school_summary(school, doc.school_year)
    keys = [str(key) for key in doc.content.get("types", [])]
    return {row.user.id: YearNow(row.user.display_name, row.facts.total_hours, row.shown.status,
                                 year_figures(row.facts, row.assessment, keys)) for row in rows}


def entry_line(entry: CreditEntry, act: Activity, tz: str) -> dict[str, str]:
    """A ledger line as a 学时证明 lists it and keeps it for ``/verify``: the activity's day (the
    school's calendar), its title, the hours and the line's kind (a credit, a reversal), its
    type and semester, and a reversal's reason (its 备注). The first four are what a line is
    compared by (:func:`_key`): documents printed before the others were kept compare the same."""
    return {"day": to_local(act.starts_at, tz).date().isoformat(), "title": act.title,
            "hours": fmt(entry.hours) or "0", "kind": entry.kind, "type_key": entry.type_key,
            "semester": str(entry.semester), "reason": entry.reason if entry.kind == "reversal" else ""}


def current_hours(doc: IssuedDocument) -> dict[int, Decimal]:
    """What the ledger says now, in the terms the document printed: the activity's net hours
    per teacher (a certificate) or the year's totals (a summary or a record)."""
    if doc.kind == "certificate" and doc.activity_id is not None:
        return credits.activity_net_hours(doc.activity_id)
    return {uid: year.hours for uid, year in _years_now(doc).items()}


@dataclass(frozen=True)
class StatusChange:
    """A teacher whose assessment (考核结果) printed the year no longer has: the one of a 学时证明
    (``name`` empty: the form is theirs alone), or of a 学时汇总表's line."""

    printed: str
    now: str
    name: str = ""


@dataclass(frozen=True)
class FigureChange:
    """A figure a 学时证明 or a 学时汇总表's line printed that the teacher's year no longer has:
    ``figure`` is ``required``, ``absent:<semester>``, ``type:<type key>``, ``reason``,
    ``quota:<its name>`` (its values in words: :func:`_quota_words`) or ``why`` (in words:
    :func:`why_words`), or of
    a 学分认定表's line ``role``, ``attended`` or ``remark`` (:func:`_lines_changed`); the values
    as printed (hours as text, a reason or a role as its code, a remark in words)."""

    name: str
    figure: str
    printed: str
    now: str


@dataclass(frozen=True)
class Check:
    """What changed since a document was printed: hours (:class:`Change`), assessments, the
    activities a 学时证明 listed (lines no longer in the ledger, lines in it now), and the
    teachers on a 学时汇总表's year now that it did not list (name, hours now) or that it listed
    and the year no longer has (name, hours printed: one who left with nothing that year)."""

    changes: list[Change]
    status_changes: list[StatusChange]
    entries_gone: list[dict[str, Any]] = field(default_factory=list)
    entries_new: list[dict[str, Any]] = field(default_factory=list)
    not_listed: list[Change] = field(default_factory=list)
    no_longer: list[Change] = field(default_factory=list)
    figures: list[FigureChange] = field(default_factory=list)
    # a 学时证明's absences (its 缺席记录) listed that the year no longer has, and those it has now
    absences_gone: list[dict[str, Any]] = field(default_factory=list)
    absences_new: list[dict[str, Any]] = field(default_factory=list)
    since: datetime | None = None  # the first change of the ledger, attendance or exemptions after printing

    @property
    def unchanged(self) -> bool:
        return not (self.changes or self.status_changes or self.entries_gone or self.entries_new or self.not_listed
                    or self.no_longer or self.figures or self.absences_gone or self.absences_new)


def check(doc: IssuedDocument) -> Check:
    """The lines of the document whose hours the ledger no longer agrees with, and the
    assessments it printed that the teachers' years no longer have (the hours may stay while
    absence confirmed since, an exemption or a rule changes the verdict): a 学时证明's, and each
    line's of a 学时汇总表 (printed with its status; one printed before they were kept has none
    to compare). The year is read once for both. A 学时证明's activities are compared line by
    line (one revoked and another of the same hours credited keeps the total, not the list); a
    学时汇总表's teachers, whether the year has some it did not list (joined since); a 学分认定表's,
    whether the activity credits some it did not list (credited again since with another roster)."""
    found = _check(doc)
    return found if found.unchanged else replace(found, since=changed_since(doc))


def _check(doc: IssuedDocument) -> Check:
    if doc.kind == "certificate" and doc.activity_id is not None:
        net = credits.activity_net_hours(doc.activity_id)
        return Check(_changes(doc, net), [], not_listed=_credited_since(doc, net), figures=_lines_changed(doc, net))
    now = _years_now(doc)
    hours = {uid: year.hours for uid, year in now.items()}
    statuses: list[StatusChange] = []
    gone: list[dict[str, Any]] = []
    new: list[dict[str, Any]] = []
    not_listed: list[Change] = []
    no_longer: list[Change] = []
    absences_gone: list[dict[str, Any]] = []
    absences_new: list[dict[str, Any]] = []
    printed = doc.content.get("status")
    if doc.kind == "record" and doc.user_id is not None:
        if printed and now[doc.user_id].status != printed:
            statuses.append(StatusChange(str(printed), now[doc.user_id].status))
        if "entries" in doc.content:  # kept with every 学时证明 printed since they were
            gone, new = _entries_changed(doc, doc.user_id)
        if "absences" in doc.content:  # likewise
            absences_gone, absences_new = _absences_changed(doc, doc.user_id)
    elif doc.kind == "summary":
        listed = {int(line["user_id"]) for line in doc.content.get("lines", [])}
        for line in doc.content.get("lines", []):
            was, year = line.get("status"), now.get(int(line["user_id"]))
            if was and year is not None and year.status != was:  # one no longer on the year: its hours say so
                statuses.append(StatusChange(str(was), year.status, str(line["name"])))
        not_listed = [Change(year.name, credits.ZERO, year.hours) for uid, year in now.items() if uid not in listed]
        no_longer = [Change(str(line["name"]), Decimal(str(line["hours"])), credits.ZERO)
                     for line in doc.content.get("lines", []) if int(line["user_id"]) not in now]
    # a summary's teacher no longer on the year is told once, as such, not as hours gone to 0
    return Check(_changes(doc, hours, among=set(now) if doc.kind == "summary" else None), statuses, gone, new,
                 not_listed, no_longer, _figures_changed(doc, now), absences_gone, absences_new)


def _figures_changed(doc: IssuedDocument, now: dict[int, YearNow]) -> list[FigureChange]:
    """Each figure a line printed (:func:`year_figures`) that its teacher's year no longer has,
    in the order the form prints them; a document printed before they were kept has none."""
    out: list[FigureChange] = []
    for line in doc.content.get("lines", []):
        printed, year = line.get(FIGURES), now.get(int(line["user_id"]))
        if not printed or year is None:
            continue
        name = "" if doc.kind == "record" else str(line["name"])
        pairs = [(f"type:{key}", value, year.figures["by_type"].get(key, "0"))
                 for key, value in printed.get("by_type", {}).items()]
        pairs.append(("required", printed.get("required"), year.figures["required"]))
        pairs += [(f"absent:{s}", value, year.figures["absent"].get(s, "0")) for s, value in printed.get("absent", {}).items()]
        pairs.append(("reason", printed.get("reason", ""), year.figures["reason"]))
        out += [FigureChange(name, figure, str(was), str(is_)) for figure, was, is_ in pairs
                if was is not None and str(was) != str(is_)]
        if "quotas" in printed:  # a 学时证明 printed since it prints the months short of notes
            # read by today's rule: an exempt year's paper printed before it named none kept them all the same
            was_q = printed["quotas"] if year_texts.names_months_short(doc.content.get("status")) else {}
            now_q = year.figures.get("quotas", {})
            out += [FigureChange(name, f"quota:{year_texts.quota_label(was_q.get(key) or now_q[key])}",
                                 _quota_words(was_q.get(key)), _quota_words(now_q.get(key)))
                    for key in sorted(was_q.keys() | now_q.keys()) if was_q.get(key) != now_q.get(key)]
        if "why" in printed:  # a 学时证明 printed since it says why the year is not met
            was_why, now_why = printed["why"], year.figures.get("why", [])
            if was_why != now_why:
                out.append(FigureChange(name, "why", why_words(was_why), why_words(now_why)))
    return out


def why_words(why: Sequence[Any]) -> str:
    """Why a year is not met as a 学时证明 printed it (:func:`year_figures`' ``why``), or as it is
    now, in the reader's words (:func:`year_texts.shortfall_text`): one sentence after another;
    "—" for none."""
    return " ".join(year_texts.shortfall_text(f) for f in why) or "—"


def _lines_changed(doc: IssuedDocument, net: dict[int, Decimal]) -> list[FigureChange]:
    """Each figure besides the credited hours that a 学分认定表's line printed (:func:`certificate_line`:
    the role, the hours attended, the 备注 — leave and unexcused absence, which the year's
    verdict reads) and the activity's record no longer has: revoked, returned, corrected and
    credited again with the same hours, the paper's absence is not today's. ``figure`` is
    ``role``, ``attended`` or ``remark`` (a remark in the reader's language); a document
    printed before the lines kept them has none, nor has a teacher no longer on the activity
    (their hours say so)."""
    act = db.session.get(Activity, doc.activity_id)
    if act is None:
        return []
    now = {line.user.id: line for line in credits.certificate_lines(act, net)}
    out: list[FigureChange] = []
    for printed in doc.content.get("lines", []):
        line = now.get(int(printed["user_id"]))
        if "role" not in printed or line is None:
            continue
        current = certificate_line(line)
        name = str(printed["name"])
        for figure in ("role", "attended"):
            if str(printed.get(figure, "")) != str(current[figure]):
                out.append(FigureChange(name, figure, str(printed.get(figure, "")), str(current[figure])))
        parts = ("remark", "absent", "excused", "away")
        if any(str(printed.get(k, "")) != str(current[k]) for k in parts):
            out.append(FigureChange(name, "remark", line_remark(printed), line_remark(current)))
    return out


def changed_since(doc: IssuedDocument) -> datetime | None:
    """When the figures of a document that no longer agrees with the year began to differ: the
    first ledger line, activity transition (attendance is confirmed by one) or exemption of what it
    covers written after it was issued; None when none is found (a rule of the school changed)."""
    after = doc.issued_at
    if doc.kind == "certificate" and doc.activity_id is not None:
        ledger = CreditEntry.activity_id == doc.activity_id
        log = TransitionLog.activity_id == doc.activity_id
        exempt = None
    else:
        ledger = (CreditEntry.school_id == doc.school_id) & (CreditEntry.school_year == doc.school_year)
        activities = select(Activity.id).where(Activity.school_id == doc.school_id, Activity.school_year == doc.school_year)
        exempt = (Exemption.school_id == doc.school_id) & (Exemption.school_year == doc.school_year)
        if doc.kind == "record" and doc.user_id is not None:  # theirs only: their lines, activities, exemption
            ledger = ledger & (CreditEntry.user_id == doc.user_id)
            activities = activities.where(Activity.id.in_(
                select(Participation.activity_id).where(Participation.user_id == doc.user_id)))
            exempt = exempt & (Exemption.user_id == doc.user_id)
        log = TransitionLog.activity_id.in_(activities)
    firsts = [select(func.min(CreditEntry.created_at)).where(ledger, CreditEntry.created_at > after),
              select(func.min(TransitionLog.created_at)).where(log, TransitionLog.created_at > after)]
    if exempt is not None:
        firsts.append(select(func.min(Exemption.created_at)).where(exempt, Exemption.created_at > after))
    found = [at for at in (db.session.execute(q).scalar() for q in firsts) if at is not None]
    return min(found) if found else None


def _credited_since(doc: IssuedDocument, net: dict[int, Decimal]) -> list[Change]:
    """Teachers holding hours of a 学分认定表's activity now that it did not list: credited after
    it was printed (the activity revoked, returned, its roster changed and credited again).
    By pinyin, as every list of names."""
    listed = {int(line["user_id"]) for line in doc.content.get("lines", [])}
    since = {uid: hours for uid, hours in net.items() if uid not in listed and hours != credits.ZERO}
    if not since:
        return []
    people = db.session.execute(select(User).where(User.id.in_(since)).order_by(User.id)).scalars()  # namesakes: by id
    return [Change(user.display_name, credits.ZERO, since[user.id]) for user in by_pinyin(people, lambda u: u.display_name)]


def _entries_changed(doc: IssuedDocument, user_id: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The ledger lines a 学时证明 listed that its teacher's year no longer has, and those it has
    now that it did not list (the same line twice counts twice)."""
    school = db.session.get_one(School, doc.school_id)
    now = [entry_line(entry, act, school.timezone) for entry, act in
           credits.entries_for(user_id, school.id, doc.school_year)]
    printed = list(doc.content.get("entries", []))
    return _beyond(printed, now), _beyond(now, printed)


def _absences_changed(doc: IssuedDocument, user_id: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The absences a 学时证明 listed (:func:`absence_line`) that its teacher's year no longer has,
    and those it has now that it did not list, line by line — which activity, which day, the
    hours of leave and of unexcused absence: one absence swapped for another of the same hours
    in the same semester keeps each semester's total, not the list."""
    school = db.session.get_one(School, doc.school_id)
    now = [absence_line(part, act, school.timezone) for part, act in
           credits.absences_for(user_id, school.id, doc.school_year)]
    printed = list(doc.content.get("absences", []))
    return _beyond(printed, now, _ABSENCE_KEY), _beyond(now, printed, _ABSENCE_KEY)


_ENTRY_KEY = ("day", "title", "hours", "kind")
_ABSENCE_KEY = ("day", "title", "semester", "absent", "excused")


def _key(line: dict[str, Any], keys: tuple[str, ...] = _ENTRY_KEY) -> tuple[str, ...]:
    return tuple(str(line.get(k, "")) for k in keys)


def _beyond(lines: list[dict[str, Any]], other: list[dict[str, Any]],
            keys: tuple[str, ...] = _ENTRY_KEY) -> list[dict[str, Any]]:
    """The lines of ``lines`` that ``other`` lacks (compared by ``keys``), each as often as it lacks them."""
    extra = Counter(_key(line, keys) for line in lines) - Counter(_key(line, keys) for line in other)
    out = []
    for line in lines:
        if extra[_key(line, keys)] > 0:
            extra[_key(line, keys)] -= 1
            out.append(line)
    return out


def changes(doc: IssuedDocument) -> list[Change]:
    """Lines of the document whose hours the ledger no longer agrees with."""
    return _changes(doc, current_hours(doc))


def _changes(doc: IssuedDocument, now: dict[int, Decimal], among: set[int] | None = None) -> list[Change]:
    out = []
    for line in doc.content.get("lines", []):
        if among is not None and int(line["user_id"]) not in among:
            continue
        printed = Decimal(str(line["hours"]))
        current = now.get(int(line["user_id"]), credits.ZERO)
        if current != printed:
            out.append(Change(str(line["name"]), printed, current))
    return out
