"""Long exports as jobs: any export — the school's summary, the district summary or ledger
(CSV or XLSX), the district workbook of submitted figures — whose rows, counted with one SQL
COUNT, are more than ``EXPORT_JOB_THRESHOLD``, and all 学分认定表 of a school's year (a ZIP of
PDFs or one merged PDF) are written by the worker with their progress in the database, kept
``EXPORT_KEEP_HOURS`` for the person who asked (and the school they asked in) and then deleted.
Shorter exports stay direct downloads."""

from __future__ import annotations

import errno
import os
import secrets
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import func, select, update

from portal import jobs, outbox, policy
from portal.config import BadConfiguration
from portal.database import write_transaction
from portal.errors import Invalid, NotFound
from portal.extensions import db
from portal.messages import TEXTS, locale_of, msg, norm_lang
from portal.models import CreditEntry, ExportJob, School, YearSubmission
from portal.services import credits
from portal.timeutil import utcnow
from portal.url_rules import public_base

#: kind → (what it exports, who may ask)
SCHOOL_SUMMARY, DISTRICT_SUMMARY, DISTRICT_LEDGER, DISTRICT_SUBMITTED = (
    "school_summary", "district_summary", "district_ledger", "district_submitted")
KINDS = (SCHOOL_SUMMARY, DISTRICT_SUMMARY, DISTRICT_LEDGER, DISTRICT_SUBMITTED)
DISTRICT_KINDS = frozenset({DISTRICT_SUMMARY, DISTRICT_LEDGER, DISTRICT_SUBMITTED})
FORMATS = ("xlsx", "csv")
#: all 学分认定表 of a school's year, by the format asked for
CERTIFICATE_KINDS = {"zip": "certificates_zip", "pdf": "certificates_pdf"}
#: what a job's file is, by the end of its download name
MIMETYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv",
    "zip": "application/zip",
    "pdf": "application/pdf",
}
PROGRESS_EVERY = 2000  # rows between two progress writes
DEFAULT_THRESHOLD = 20_000


def folder() -> Path:
    path = Path(current_app.config.get("EXPORT_FOLDER") or os.path.join(current_app.instance_path, "exports"))
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def threshold(setting: str = "EXPORT_JOB_THRESHOLD") -> int:
    """Rows (``EXPORT_JOB_THRESHOLD``) or forms (``CERTIFICATE_JOB_THRESHOLD``) above which an
    export runs as a job."""
    raw = current_app.config.get(setting, DEFAULT_THRESHOLD if setting == "EXPORT_JOB_THRESHOLD" else 20)
    try:
        value = int(str(raw).replace("_", ""))
    except ValueError:
        value = -1
    if value < 0:
        raise BadConfiguration(msg("start.number_at_least", setting=setting, value=repr(raw), low=0))
    return value


def count_rows(kind: str, year: str, *, school_id: int | None = None, district_id: int | None = None) -> int:
    """How many data rows the export has, in one statement: a school's teacher per line for the
    summaries (asked of the summary's own statement: a teacher of two schools is two rows of the
    district's), a ledger line each for the ledger, each submitted teacher for the workbook."""
    if kind == DISTRICT_SUBMITTED and district_id is not None:  # the teachers of each school's latest round
        from portal.services.dashboard import latest_rounds

        return int(db.session.execute(select(func.coalesce(func.sum(YearSubmission.teachers), 0)).where(
            YearSubmission.id.in_(latest_rounds(district_id, year)))).scalar_one())
    if kind == SCHOOL_SUMMARY:
        return credits.summary_row_count(year, school_id=school_id)
    if kind != DISTRICT_LEDGER:  # the district's summary: every school's
        return credits.summary_row_count(year, district_id=district_id)
    q = select(func.count(CreditEntry.id)).where(CreditEntry.school_year == year)
    if district_id is not None:
        q = q.join(School, School.id == CreditEntry.school_id).where(School.district_id == district_id)
    return int(db.session.execute(q).scalar_one() or 0)


def is_long(kind: str, year: str, *, school_id: int | None = None, district_id: int | None = None) -> bool:
    """Whether this export goes to the worker (more rows than the threshold)."""
    return count_rows(kind, year, school_id=school_id, district_id=district_id) > threshold()


def _download_name(kind: str, year: str, fmt: str, school: School | None) -> str:
    if kind == SCHOOL_SUMMARY and school is not None:
        return f"summary-{school.code}-{year}.{fmt}"
    if kind == DISTRICT_SUBMITTED:
        return f"district-submitted-{year}.{fmt}"
    return f"district-{kind.split('_')[1]}-{year}.{fmt}"


def request_export(user_id: int, actor: policy.Actor, kind: str, year: str, lang: str, *, fmt: str = "xlsx",
                   district_id: int | None = None, school: School | None = None,
                   asked_in: int | None = None) -> ExportJob:
    """Queue an export for ``user_id``: a district's (district staff, ``district_id``) or a
    school's summary (``school``; whoever may export it). ``asked_in``: the school the person
    asked in (None for district staff), the only one the file can be fetched in."""
    if kind not in KINDS:
        raise Invalid(msg("export.kind_invalid"), {"kind": msg("export.kind_invalid")})
    if fmt not in FORMATS:
        raise Invalid(msg("export.kind_invalid"), {"format": msg("export.kind_invalid")})
    if kind == SCHOOL_SUMMARY:
        policy.require(policy.may_export(actor))
        if school is None:
            raise NotFound(msg("school.not_found"))
    else:
        policy.require(policy.may_view_district(actor))
        if district_id is None:
            raise NotFound(msg("district.not_found"))
    params = {"district_id": district_id, "school_id": school.id if school is not None else None, "format": fmt}
    return _queue(ExportJob(user_id=user_id, school_id=asked_in, kind=kind, year=year, lang=lang, total_rows=0,
                            params=params, download_name=_download_name(kind, year, fmt, school)))


def _queue(row: ExportJob) -> ExportJob:
    """Store the asked-for export and hand it to the worker."""
    row.status, row.done_rows, row.created_at = "queued", 0, utcnow()
    with write_transaction() as s:
        s.add(row)
        s.flush()
        outbox.enqueue_on_commit("exports.run", row.id)
    return row


def request_certificates(user_id: int, actor: policy.Actor, school: School, year: str, fmt: str,
                         lang: str) -> ExportJob:
    """Queue all 学分认定表 of the school's ``year`` as one ZIP (``fmt="zip"``) or one merged PDF
    (``"pdf"``), printed in ``lang``; refused when the year has no credited activity."""
    from portal.reports import paper

    policy.require(policy.may_export(actor))
    kind = CERTIFICATE_KINDS.get(fmt)
    if kind is None:
        raise Invalid(msg("export.kind_invalid"), {"format": msg("export.kind_invalid")})
    count = len(paper.credited_activities(school, year))
    if not count:
        raise Invalid(msg("export.no_certificates"), {"year": msg("export.no_certificates")})
    return _queue(ExportJob(user_id=user_id, school_id=school.id, kind=kind, year=year, lang=norm_lang(lang),
                            total_rows=count, download_name=f"certificates-{school.code}-{year}.{fmt}"))


def mimetype(row: ExportJob) -> str:
    return MIMETYPES.get(row.download_name.rpartition(".")[2], "application/octet-stream")


def get_for(job_id: int, actor: policy.Actor, school_id: int | None, district_id: int | None = None) -> ExportJob:
    """The export, only for the person who asked (``actor``, as they are now), in the school
    they asked in, while they may still ask for it (:func:`portal.policy.may_fetch_export`); a
    district's export only while ``district_id`` (the district they work for now) is the one it
    was made for."""
    row = db.session.get(ExportJob, job_id) if 0 < job_id < 2**31 else None
    if row is None or row.user_id != actor.user_id or row.school_id != school_id:
        raise NotFound(msg("export.not_found"))
    if row.kind in DISTRICT_KINDS and (row.params or {}).get("district_id") != district_id:
        raise NotFound(msg("export.not_found"))
    if not policy.may_fetch_export(actor, row.kind in DISTRICT_KINDS):
        raise NotFound(msg("export.not_found"))
    return row


def file_of(row: ExportJob, now: datetime) -> Path | None:
    if row.status != "done" or row.stored_name is None or (row.expires_at and row.expires_at <= now):
        return None
    path = folder() / row.stored_name
    return path if path.exists() else None


def failure_code(row: ExportJob) -> str | None:
    """Why an export failed for good, as a message code (:func:`failure_of`); None while it may
    still be tried, once done, or for a code the catalogue no longer has. Its page and the API say it."""
    return row.failure if row.status == "failed" and row.failure in TEXTS else None


def waiting(row: ExportJob) -> bool:
    """Whether the export still waits on the worker (queued, or being written): its page asks
    whether a worker runs only then."""
    return row.status in ("queued", "running")


def percent(row: ExportJob) -> int:
    """The progress bar's share: 100 once done, else below it (the row count is an estimate)."""
    if row.status == "done":
        return 100
    return min(99, round(100 * row.done_rows / row.total_rows)) if row.total_rows else 0


def format_of(row: ExportJob) -> str:
    return str((row.params or {}).get("format") or "xlsx")


def _progress(job_id: int, **values: Any) -> None:
    """Written on a connection of its own: the export's read cursor stays open meanwhile."""
    _update(job_id, values)


def _update(job_id: int, values: dict[str, Any], only_if: str | None = None) -> bool:
    """:func:`_progress`; with ``only_if``, written only while the export is in that state
    (returns whether it was)."""
    q = update(ExportJob).where(ExportJob.id == job_id)
    if only_if is not None:
        q = q.where(ExportJob.status == only_if)
    with db.engine.begin() as conn:
        return bool(conn.execute(q.values(**values)).rowcount)


def _claim(job_id: int, total: int) -> bool:
    """Mark the export running if it is still queued: the one try that does is the one that
    writes it. The job may be run twice at once (queued by its request and by the outbox's
    sweep, ``portal.outbox``); the second wrote a second file, the first one's left behind past
    ``EXPORT_KEEP_HOURS`` (its name no longer in the row), and issued every 学分认定表 twice."""
    return _update(job_id, {"status": "running", "total_rows": total, "done_rows": 0, "failure": None},
                   only_if="queued")


def _counted(rows: Iterable[list[Any]], job_id: int) -> Iterator[list[Any]]:
    done = -1  # the header
    for row in rows:
        yield row
        done += 1
        if done and done % PROGRESS_EVERY == 0:
            _progress(job_id, done_rows=done)


def _rows(kind: str, year: str, lang: str, school_id: int | None, district_id: int | None) -> Iterator[list[Any]]:
    from portal.reports import district_exports, exports

    if kind == SCHOOL_SUMMARY:
        return exports.summary_rows(db.session.get_one(School, school_id), year, lang)
    if kind == DISTRICT_LEDGER:
        return exports.ledger_rows(year, lang, district_id=district_id)
    if kind == DISTRICT_SUBMITTED:
        assert district_id is not None
        return district_exports.teacher_rows(district_id, year, lang)
    return exports.district_rows(year, lang, district_id)


def _write(kind: str, fmt: str, rows: Iterator[list[Any]], target: Path, year: str, lang: str,
           district_id: int | None) -> int:
    from portal.reports import district_exports, exports

    if fmt == "csv":
        written = -1
        with open(target, "wb") as out:
            def tally() -> Iterator[list[Any]]:
                nonlocal written
                for row in rows:
                    written += 1
                    yield row
            for chunk in exports.stream_csv(tally()):
                out.write(chunk)
        return max(written, 0)
    if kind == DISTRICT_SUBMITTED:  # a summary sheet and a sheet per school: its own writer, no row count
        assert district_id is not None
        district_exports.write_workbook(district_id, year, str(target), lang)
        return -1
    heading_key = {DISTRICT_LEDGER: "ledger"}.get(kind, "summary")
    return exports.write_xlsx(rows, str(target), exports.sheet_title(heading_key, year, lang), widths={"B": 20})


@jobs.job("exports.run", retries=2, retry_delay=60)
def run(job_id: int) -> None:
    row = db.session.get(ExportJob, job_id)
    if row is None or row.status in ("done", "failed"):  # failed for good: asked again, it is a new export
        return
    if row.kind in CERTIFICATE_KINDS.values():
        _certificates(row)
        return
    params = row.params or {}
    kind, year, lang, fmt = row.kind, row.year, row.lang, format_of(row)
    school_id, district_id = params.get("school_id"), params.get("district_id")
    total = count_rows(kind, year, school_id=school_id, district_id=district_id)
    rows = _rows(kind, year, lang, school_id, district_id)
    db.session.commit()
    if not _claim(job_id, total):  # another try has it
        return
    name = secrets.token_hex(16) + "." + fmt
    target = folder() / name
    try:
        _private_file(target)
        written = _write(kind, fmt, _counted(rows, job_id), target, year, lang, district_id)
    except Exception as exc:
        target.unlink(missing_ok=True)
        _progress(job_id, status=_after_failure(), failure=failure_of(exc))
        raise
    if written < 0:
        written = total
    _finish(job_id, target, done_rows=written, total_rows=max(written, total))


def _after_failure() -> str:
    """The state of an export whose try raised: "failed" once huey will not try again (the page
    stops waiting and says to ask again), else "queued" for the next try."""
    return "failed" if jobs.last_try() else "queued"


def failure_of(exc: BaseException) -> str:
    """Why a try failed, as the page says it (a message code): the disk full, the file not
    stored (another error of the file system), or any other error (logged with its trace)."""
    if isinstance(exc, OSError):
        return "export.failed_disk_full" if exc.errno == errno.ENOSPC else "export.failed_storage"
    return "export.failed_error"


def _private_file(target: Path) -> None:
    """Create the job's file empty and ``0600`` before anything is written into it (opening it
    to write keeps that mode): made by the umask and narrowed at the end, it was open to a local
    user meanwhile, whose handle read the finished file later, in a folder others may enter."""
    os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def _finish(job_id: int, target: Path, **counts: int) -> None:
    """The file is written: readable by the portal only, kept ``EXPORT_KEEP_HOURS``."""
    os.chmod(target, 0o600)
    now = utcnow()
    keep = int(current_app.config.get("EXPORT_KEEP_HOURS") or 24)
    _progress(job_id, status="done", stored_name=target.name, finished_at=now, expires_at=now + timedelta(hours=keep),
              **counts)


def _certificates(row: ExportJob) -> None:
    """All 学分认定表 of the year, each issued (its own verification code) to the person who
    asked, printed as that person would print one: in their language, with the portal's
    public address (``PUBLIC_URL``) in the codes' links — the worker has no request of its own."""
    from portal.reports import paper

    job_id, year, fmt = row.id, row.year, row.download_name.rpartition(".")[2]
    school = db.session.get_one(School, row.school_id)
    issued_by = row.user_id
    total = len(paper.credited_activities(school, year))
    db.session.commit()
    if not _claim(job_id, total):  # another try has it
        return
    target = folder() / (secrets.token_hex(16) + "." + fmt)
    base = public_base()
    make = paper.certificates_zip if fmt == "zip" else paper.certificates_merged_pdf
    try:
        with current_app.test_request_context("/", base_url=base), force_locale(locale_of(row.lang)):
            data = make(school, year, issued_by, lambda n: _progress(job_id, done_rows=n))
        _private_file(target)
        target.write_bytes(data)
    except Exception as exc:
        target.unlink(missing_ok=True)
        _progress(job_id, status=_after_failure(), failure=failure_of(exc))
        raise
    _finish(job_id, target, done_rows=total, total_rows=total)


@jobs.periodic("exports.cleanup", minute="37")
def cleanup() -> None:
    remove_expired(utcnow())


def remove_expired(now: datetime) -> int:
    """Delete the files of exports kept long enough; their rows say so."""
    rows = db.session.execute(
        select(ExportJob).where(ExportJob.status == "done", ExportJob.expires_at <= now)
    ).scalars().all()
    for row in rows:
        if row.stored_name:
            (folder() / row.stored_name).unlink(missing_ok=True)
    if rows:
        with write_transaction() as s:
            s.execute(update(ExportJob).where(ExportJob.id.in_([r.id for r in rows])).values(status="expired"))
    return len(rows)
