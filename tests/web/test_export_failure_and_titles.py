"""An export job as the API and its page tell it: why it failed for good (a code and its text
in the language asked for, as the API's errors carry them), and a title for every kind of
export in both languages — the district's submitted figures had none (the page said "Export")
and a ledger asked for as CSV was titled "(XLSX)"."""

from __future__ import annotations

from sqlalchemy import select

from portal import policy
from portal.demo_exports import ASKED_BY
from portal.extensions import db
from portal.models import ExportJob, User
from portal.services import access, export_jobs, tokens


def _demo_jobs(site) -> list[ExportJob]:
    with site.app_context():
        return db.session.execute(select(ExportJob).join(User, User.id == ExportJob.user_id)
                                  .where(User.username == ASKED_BY).order_by(ExportJob.id)).scalars().all()


def _bearer(site, username: str) -> dict[str, str]:
    with site.app_context():
        user = db.session.execute(select(User).where(User.username == username)).scalar_one()
        token = tokens.issue(user).token
        db.session.commit()
    return {"Authorization": f"Bearer {token}"}


def test_the_api_says_why_an_export_failed_in_the_language_asked_for(site):
    jobs = _demo_jobs(site)
    failed = next(j for j in jobs if j.status == "failed")
    done = next(j for j in jobs if j.status == "done")
    client, auth = site.test_client(), _bearer(site, ASKED_BY)
    en = client.get(f"/api/v1/exports/{failed.id}", headers={**auth, "Accept-Language": "en"}).get_json()
    assert en["status"] == "failed" and en["failure"] == {
        "code": "export.failed_disk_full", "message": "The server's disk was full while the file was being written."}
    zh = client.get(f"/api/v1/exports/{failed.id}", headers={**auth, "Accept-Language": "zh-CN"}).get_json()
    assert zh["failure"] == {"code": "export.failed_disk_full", "message": "写入文件时服务器磁盘已满。"}
    assert "failure" not in client.get(f"/api/v1/exports/{done.id}", headers=auth).get_json()  # none: not failed
    with site.app_context():  # a try failed with tries left: queued again, no failure said yet (as its page)
        row = db.session.get_one(ExportJob, failed.id)
        row.status = "queued"
        db.session.commit()
    assert "failure" not in client.get(f"/api/v1/exports/{failed.id}", headers=auth).get_json()
    spec = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    assert {"$ref": "#/components/schemas/ExportFailure"} in spec["ExportJobOut"]["properties"]["failure"]["anyOf"]
    assert set(spec["ExportFailure"]["required"]) == {"code", "message"}


def test_every_export_kind_has_a_title_in_both_languages(site, as_user):
    """The district's submitted figures (XLSX and CSV) and the school's summary were titled "Export";
    the demo's failed ledger CSV was titled "(XLSX)"."""
    jobs = _demo_jobs(site)
    failed = next(j for j in jobs if j.status == "failed")
    with site.app_context():  # as the district page queues it (portal.web.district: long_export)
        user = db.session.execute(select(User).where(User.username == ASKED_BY)).scalar_one()
        seat = access.district_seat(user.id)
        assert seat is not None
        actor = policy.Actor.of(user.id, list(seat.roles))
        submitted = [export_jobs.request_export(user.id, actor, export_jobs.DISTRICT_SUBMITTED, failed.year, "zh",
                                                fmt=fmt, district_id=seat.district_id).id for fmt in ("xlsx", "csv")]
    client = as_user(ASKED_BY)

    def title(job_id: int, lang: str) -> str:
        page = client.get(f"/exports/{job_id}?lang={lang}", headers={"Accept-Language": lang}).get_data(as_text=True)
        return page.split('<h1 class="h4">')[1].split("</h1>")[0]

    assert title(submitted[0], "zh").startswith("各校报送数据（XLSX） · ")
    assert title(submitted[0], "en").startswith("Submitted figures of every school (XLSX) · ")
    assert title(submitted[1], "zh").startswith("各校报送数据（CSV） · ")
    assert title(submitted[1], "en").startswith("Submitted figures of every school (CSV) · ")
    assert title(failed.id, "zh").startswith("全部学时明细（CSV） · ")
    assert title(failed.id, "en").startswith("Every ledger line (CSV) · ")
