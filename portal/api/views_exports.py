"""Exports queued as jobs, in the API: an export with more rows than ``EXPORT_JOB_THRESHOLD``
answers 202 with the job (``GET /reports/credits``, ``GET /district/submitted``); its state and
then its file are here — for the person who asked only, while they still hold the role they
asked with (another person's job: 404)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from flask import Response

from portal import policy
from portal.api.blueprint import bp
from portal.api.context import caller
from portal.api.models_exports import ExportJobOut
from portal.api.openapi import operation
from portal.downloads import attachment
from portal.errors import Conflict, NotFound
from portal.extensions import db
from portal.messages import msg
from portal.models import ExportJob, School
from portal.reports.views import CSV, XLSX
from portal.security import MAX_ID
from portal.services import access, export_jobs
from portal.timeutil import utcnow

TAG = "exports"
FILE_CONTENT = {"text/csv": {"schema": {"type": "string"}}, XLSX: {"schema": {"type": "string", "format": "binary"}}}


def _mine(job_id: int) -> ExportJob:
    """The caller's own job, while they may still export where they asked (else 404)."""
    uid = caller().user.id
    row = db.session.get(ExportJob, job_id) if 0 < job_id <= MAX_ID else None
    if row is None or row.user_id != uid:
        raise NotFound(msg("export.not_found"))
    # the person as the request that asked saw them (one rule: access.school_in_context): their
    # roles in the school they asked in plus their district roles; district staff ask for a school
    # of their district by its code, with no role of the school's own
    schools, seat = access.schools_and_district_role(uid)
    if row.kind in export_jobs.DISTRICT_KINDS and (row.params or {}).get("district_id") != (seat and seat.district_id):
        raise NotFound(msg("export.not_found"))  # made for a district they no longer work for
    roles: frozenset[str] = seat.roles if seat is not None and row.school_id is None else frozenset()
    school = db.session.get(School, row.school_id) if row.school_id is not None else None
    if school is not None:
        try:
            found = access.school_in_context(schools, seat, school_id=school.id, code=school.code)
        except NotFound:  # a school of another district now
            found = None
        roles = found[1] if found is not None else frozenset()
    if not policy.may_fetch_export(policy.Actor.of(uid, roles), row.kind in export_jobs.DISTRICT_KINDS):
        raise NotFound(msg("export.not_found"))
    return row


@bp.get("/exports/<int:job_id>")
@operation(200, ExportJobOut, "The job's state", tag=TAG, school=False, finds=_mine)
def export_state(job_id: int) -> ExportJobOut:
    """The state of an export queued as a job: queued (also again after a failed try), running (rows done of about
    how many), done, failed (for good: no try is left), expired"""
    return ExportJobOut.of(_mine(job_id))


@bp.get("/exports/<int:job_id>/file")
@operation(200, None, "The file", tag=TAG, school=False, errors=(409,), finds=_mine, other_content=FILE_CONTENT)
def export_file(job_id: int) -> Response:
    """The file of an export job once done, while it is kept (409 before, and after it was deleted)"""
    row = _mine(job_id)
    path = export_jobs.file_of(row, utcnow())
    if path is None:
        raise Conflict(msg("export.not_ready"), status=row.status)
    mimetype = CSV if export_jobs.format_of(row) == "csv" else XLSX
    headers = {"Content-Disposition": attachment(row.download_name), "Cache-Control": "no-store",
               "Content-Length": str(path.stat().st_size)}
    return Response(_chunks(path), mimetype=mimetype, headers=headers)


def _chunks(path: Path, size: int = 1 << 20) -> Iterator[bytes]:
    """The file a megabyte at a time (a million-row workbook is tens of megabytes)."""
    with path.open("rb") as fh:
        while chunk := fh.read(size):
            yield chunk
