"""The wire format of an export run as a job (``portal.api.views_exports``): what an export
answers with 202 when it has more rows than ``EXPORT_JOB_THRESHOLD``, and what its state says."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from portal import jobs
from portal.api.errors import message_locale
from portal.api.models import Out
from portal.api.openapi import API_PREFIX
from portal.messages import msg
from portal.models import ExportJob
from portal.services import export_jobs
from portal.timeutil import utcnow

ExportStatus = Literal["queued", "running", "done", "failed", "expired"]


def _utc(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat() + "Z"


class ExportFailure(Out):
    """Why an export failed for good: a code, as the API's errors carry one, and its text in the
    language asked for (``Accept-Language``)."""
    code: str = Field(description="`export.failed_disk_full`, `export.failed_storage` or `export.failed_error`")
    message: str


class ExportJobOut(Out):
    id: int
    kind: str
    status: ExportStatus
    done_rows: int
    total_rows: int
    percent: int
    ready: bool
    download_name: str
    state_url: str
    file_url: str | None = None
    expires_at: str | None = None
    failure: ExportFailure | None = Field(None, description="why it failed, once failed for good")
    worker_down: bool = Field(False, description="the export waits and no background worker runs (none has said so "
                                                 "for 3 minutes): it is kept, and prepared once one runs again")

    @classmethod
    def of(cls, row: ExportJob) -> ExportJobOut:
        ready = export_jobs.file_of(row, utcnow()) is not None
        base = f"{API_PREFIX}/exports/{row.id}"
        code = export_jobs.failure_code(row)
        failure = ExportFailure(code=code, message=msg(code).render(message_locale())) if code else None
        optional: dict[str, Any] = {k: v for k, v in (("file_url", base + "/file" if ready else None),
                                       ("expires_at", _utc(row.expires_at)), ("failure", failure)) if v is not None}
        return cls(id=row.id, kind=row.kind, status=row.status, done_rows=row.done_rows,  # type: ignore[arg-type]
                   total_rows=row.total_rows, percent=export_jobs.percent(row), ready=ready,
                   download_name=row.download_name, state_url=base,
                   worker_down=export_jobs.waiting(row) and jobs.worker_down(utcnow()), **optional)
