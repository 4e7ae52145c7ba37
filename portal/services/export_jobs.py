"""Long exports as jobs: the district workbook (summary or every ledger line) and all 学分认定表
of a school's year (a ZIP of PDFs or one merged PDF) written by the worker, with their progress
in the database, kept ``EXPORT_KEEP_HOURS`` for the person who asked (and the school they asked
in) and then deleted. Short exports stay direct downloads."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import func, select, update

from portal import jobs, policy
from portal.database import write_transaction
from portal.errors import Invalid, NotFound
from portal.extensions import db
from portal.messages import heading, locale_of, msg, norm_lang
from portal.models import CreditEntry, ExportJob, Membership, School
from portal.timeutil import utcnow

DISTRICT_KINDS = ("district_summary", "district_ledger")
#: all 学分认定表 of a school's year, by the format asked for
CERTIFICATE_KINDS = {"zip": "certificates_zip", "pdf": "certificates_pdf"}
KINDS = (*DISTRICT_KINDS, *CERTIFICATE_KINDS.values())
#: what a job's file is, by the end of its download name
MIMETYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "zip": "application/zip",
    "pdf": "application/pdf",
}
PROGRESS_EVERY = 2000  # rows between two progress writes


def folder() -> Path:
    path = Path(current_app.config.get("EXPORT_FOLDER") or os.path.join(current_app.instance_path, "exports"))
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def request_export(user_id: int, actor: policy.Actor, kind: str, year: str, lang: str) -> ExportJob:
    """Queue a district export for ``user_id`` (who must see the district)."""
    policy.require(policy.may_view_district(actor))
    if kind not in DISTRICT_KINDS:
        raise Invalid(msg("export.kind_invalid"), {"kind": msg("export.kind_invalid")})
    return _queue(ExportJob(user_id=user_id, school_id=None, kind=kind, year=year, lang=lang, total_rows=0,
                            download_name=f"district-{kind.split('_')[1]}-{year}.xlsx"))


def _queue(row: ExportJob) -> ExportJob:
    """Store the asked-for export and hand it to the worker."""
    row.status, row.done_rows, row.created_at = "queued", 0, utcnow()
    with write_transaction() as s:
        s.add(row)
        s.flush()
        job_id = row.id
    jobs.enqueue("exports.run", job_id)
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


def get_for(job_id: int, user_id: int, school_id: int | None) -> ExportJob:
    """The export, only for the person who asked, in the school they asked in."""
    row = db.session.get(ExportJob, job_id) if 0 < job_id < 2**31 else None
    if row is None or row.user_id != user_id or row.school_id != school_id:
        raise NotFound(msg("export.not_found"))
    return row


def file_of(row: ExportJob, now: datetime) -> Path | None:
    if row.status != "done" or row.stored_name is None or (row.expires_at and row.expires_at <= now):
        return None
    path = folder() / row.stored_name
    return path if path.exists() else None


def _progress(job_id: int, **values: Any) -> None:
    """Written on a connection of its own: the export's read cursor stays open meanwhile."""
    with db.engine.begin() as conn:
        conn.execute(update(ExportJob).where(ExportJob.id == job_id).values(**values))


def _counted(rows: Iterable[list[Any]], job_id: int) -> Iterator[list[Any]]:
    done = -1  # the header
    for row in rows:
        yield row
        done += 1
        if done and done % PROGRESS_EVERY == 0:
            _progress(job_id, done_rows=done)


@jobs.job("exports.run", retries=2, retry_delay=60)
def run(job_id: int) -> None:
    from portal.reports import exports

    row = db.session.get(ExportJob, job_id)
    if row is None or row.status == "done":
        return
    kind, year, lang = row.kind, row.year, row.lang
    if kind in CERTIFICATE_KINDS.values():
        _certificates(row)
        return
    if kind == "district_ledger":
        total = db.session.execute(select(func.count(CreditEntry.id)).where(CreditEntry.school_year == year)).scalar_one()
        rows = exports.ledger_rows(year, lang)
    else:
        total = db.session.execute(  # about one line per teacher (the bar is capped at 100 %)
            select(func.count(Membership.id)).where(Membership.role == "teacher", Membership.active.is_(True),
                                                    Membership.school_id.is_not(None))).scalar_one()
        rows = exports.district_rows(year, lang)
    db.session.commit()
    _progress(job_id, status="running", total_rows=int(total or 0), done_rows=0)
    name = secrets.token_hex(16) + ".xlsx"
    target = folder() / name
    title = f"{heading('ledger' if kind == 'district_ledger' else 'summary', lang)} {year}"
    try:
        written = exports.write_xlsx(_counted(rows, job_id), str(target), title, widths={"B": 20})
    except Exception:
        target.unlink(missing_ok=True)
        _progress(job_id, status="failed")
        raise
    _finish(job_id, target, done_rows=written, total_rows=max(written, int(total or 0)))


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
    _progress(job_id, status="running", total_rows=total, done_rows=0)
    target = folder() / (secrets.token_hex(16) + "." + fmt)
    base = str(current_app.config.get("PUBLIC_URL") or "http://localhost").rstrip("/")
    make = paper.certificates_zip if fmt == "zip" else paper.certificates_merged_pdf
    try:
        with current_app.test_request_context("/", base_url=base), force_locale(locale_of(row.lang)):
            data = make(school, year, issued_by, lambda n: _progress(job_id, done_rows=n))
        target.write_bytes(data)
    except Exception:
        target.unlink(missing_ok=True)
        _progress(job_id, status="failed")
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
