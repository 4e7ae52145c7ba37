"""The wire format of an export run as a job (``portal.api.views_exports``): what an export
answers with 202 when it has more rows than ``EXPORT_JOB_THRESHOLD``, and what its state says."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from portal.api.models import Out
from portal.api.openapi import API_PREFIX
from portal.models import ExportJob
from portal.services import export_jobs
from portal.timeutil import utcnow

ExportStatus = Literal["queued", "running", "done", "failed", "expired"]


def _utc(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat() + "Z"


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

    @classmethod
    def of(cls, row: ExportJob) -> ExportJobOut:
        ready = export_jobs.file_of(row, utcnow()) is not None
        base = f"{API_PREFIX}/exports/{row.id}"
        optional = {k: v for k, v in (("file_url", base + "/file" if ready else None),
                                       ("expires_at", _utc(row.expires_at))) if v is not None}
        return cls(id=row.id, kind=row.kind, status=row.status, done_rows=row.done_rows,  # type: ignore[arg-type]
                   total_rows=row.total_rows, percent=export_jobs.percent(row), ready=ready,
                   download_name=row.download_name, state_url=base, **optional)
