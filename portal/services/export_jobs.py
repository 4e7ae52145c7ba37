"""Long exports as jobs: the district workbook (summary or every ledger line) written by the
worker, with its progress in the database, kept ``EXPORT_KEEP_HOURS`` for the person who asked
(and the school they asked in) and then deleted. Short exports stay direct downloads."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import func, select, update

from portal import jobs, policy
from portal.database import write_transaction
from portal.errors import Invalid, NotFound
from portal.extensions import db
from portal.messages import heading, msg
from portal.models import TEACHER, CreditEntry, ExportJob, Membership
from portal.timeutil import utcnow

KINDS = ("district_summary", "district_ledger")
PROGRESS_EVERY = 2000  # rows between two progress writes


def folder() -> Path:
    path = Path(current_app.config.get("EXPORT_FOLDER") or os.path.join(current_app.instance_path, "exports"))
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def request_export(user_id: int, actor: policy.Actor, kind: str, year: str, lang: str) -> ExportJob:
    """Queue a district export for ``user_id`` (who must see the district)."""
    policy.require(policy.may_view_district(actor))
    if kind not in KINDS:
        raise Invalid(msg("export.kind_invalid"), {"kind": msg("export.kind_invalid")})
    with write_transaction() as s:
        row = ExportJob(user_id=user_id, school_id=None, kind=kind, year=year, lang=lang, status="queued",
                        done_rows=0, total_rows=0, created_at=utcnow(),
                        download_name=f"district-{kind.split('_')[1]}-{year}.xlsx")
        s.add(row)
        s.flush()
        job_id = row.id
    jobs.enqueue("exports.run", job_id)
    return row


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
    if kind == "district_ledger":
        total = db.session.execute(select(func.count(CreditEntry.id)).where(CreditEntry.school_year == year)).scalar_one()
        rows = exports.ledger_rows(year, lang)
    else:
        total = db.session.execute(  # about one line per teacher (the bar is capped at 100 %)
            select(func.count(Membership.id)).where(Membership.role == TEACHER, Membership.active.is_(True),
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
    os.chmod(target, 0o600)
    now = utcnow()
    keep = int(current_app.config.get("EXPORT_KEEP_HOURS") or 24)
    _progress(job_id, status="done", done_rows=written, total_rows=max(written, int(total or 0)), stored_name=name,
              finished_at=now, expires_at=now + timedelta(hours=keep))


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
