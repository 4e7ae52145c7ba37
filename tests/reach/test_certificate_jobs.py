"""All 学分认定表 of a year as a background job: one merged PDF (each form on pages of its own,
each with its own verification code, every code verifying) or a ZIP, written by the real huey
worker, downloadable only by the person who asked in their school; another school's admin gets 404."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from pypdf import PdfReader

from portal import jobs
from portal.config import BadConfiguration
from portal.extensions import db
from portal.models import ExportJob
from portal.reports import paper
from portal.services import export_jobs
from portal.timeutil import current_school_year
from tests.credits.test_paper import ARTIFACTS, _assert_cjk_embedded
from tests.reach.conftest import queued_config, wait_for
from tests.reach.helpers import school, user
from tests.support import factories as f
from tests.support.sessions import log_in

CODE = re.compile(r"[A-Z2-7]{4}(?:-[A-Z2-7]{4}){7}")


def _pages(data: bytes) -> list[str]:
    assert data.startswith(b"%PDF-")
    return [page.extract_text().replace(" ", "") for page in PdfReader(io.BytesIO(data)).pages]


def _codes(text: str) -> list[str]:
    return list(dict.fromkeys(CODE.findall(text)))


def _run(app, client, year: str, fmt: str) -> tuple[int, bytes]:
    r = client.post("/reports/certificates-job", data={"year": year, "format": fmt})
    assert r.status_code == 302, r.get_data(as_text=True)[:500]
    job_id = int(r.headers["Location"].rstrip("/").split("/")[-1])
    page = client.get(f"/exports/{job_id}").get_data(as_text=True)
    assert 'data-status="queued"' in page
    with jobs.running_worker(app):
        wait_for(lambda: client.get(f"/exports/{job_id}.json").get_json()["status"] == "done", timeout=120)
    state = client.get(f"/exports/{job_id}.json").get_json()
    assert state["percent"] == 100 and state["ready"] and state["done_rows"] == state["total_rows"]
    download = client.get(state["url"])
    assert download.status_code == 200
    assert download.mimetype == {"pdf": "application/pdf", "zip": "application/zip"}[fmt]
    return job_id, download.get_data()


def test_one_merged_pdf_of_every_certificate_by_the_worker(make_app, tmp_path):
    app = make_app(demo=True, **queued_config(tmp_path))
    with app.app_context():
        year = current_school_year()
        acts = [(a.id, a.title) for a in paper.credited_activities(school(), year)]
        titles = [title for _id, title in acts]
        admin = log_in(app.test_client(), user("admin"))
        s2 = f.school("S2")
        stranger = log_in(app.test_client(), f.person(s2, "admin2", "school_admin"), s2.id)
        db.session.commit()
    assert len(acts) >= 2  # the demo credits several activities
    singles = [_pages(admin.get(f"/activities/{act_id}/certificate.pdf").get_data()) for act_id, _title in acts]

    job_id, data = _run(app, admin, year, "pdf")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "certificates-merged.pdf").write_bytes(data)  # for a person to look at
    _assert_cjk_embedded(PdfReader(io.BytesIO(data)))
    pages = _pages(data)
    assert len(pages) == sum(len(s) for s in singles)
    # every form starts on a page of its own: each page carries exactly one form's code (footer)
    per_page = [_codes(p) for p in pages]
    assert all(len(c) == 1 for c in per_page), per_page
    starts = [i for i, c in enumerate(per_page) if i == 0 or c != per_page[i - 1]]
    assert [len(s) for s in singles] == [b - a for a, b in zip(starts, [*starts[1:], len(pages)], strict=True)]
    codes = [per_page[i][0] for i in starts]
    assert len(set(codes)) == len(acts)
    anyone = app.test_client()
    for code, title, first in zip(codes, titles, starts, strict=True):
        assert title.replace(" ", "") in pages[first]
        html = anyone.get(f"/verify/{code.replace('-', '')}").get_data(as_text=True)
        assert 'data-testid="verify-genuine"' in html and title in html
        assert "https://yanxiu.test/verify/" in "".join(pages).replace("\n", "")  # the portal's public address
    # only the person who asked, in the school they asked in
    assert stranger.get(f"/exports/{job_id}").status_code == 404
    assert stranger.get(f"/exports/{job_id}/file").status_code == 404
    assert stranger.get(f"/exports/{job_id}.json").status_code == 404
    with app.app_context():
        reviewer = log_in(app.test_client(), user("reviewer"))
    assert reviewer.get(f"/exports/{job_id}/file").status_code == 404
    with app.app_context():
        row = db.session.get(ExportJob, job_id)
        assert row.kind == "certificates_pdf" and row.expires_at is not None


def test_the_zip_by_the_worker_and_refusals(make_app, tmp_path):
    app = make_app(demo=True, **queued_config(tmp_path))
    with app.app_context():
        year = current_school_year()
        count = len(paper.credited_activities(school(), year))
        admin = log_in(app.test_client(), user("admin"))
        teacher = log_in(app.test_client(), user("teacher1"))
    _job_id, data = _run(app, admin, year, "zip")
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        names = zf.namelist()
        assert len(names) == count and all(n.endswith(".pdf") for n in names)
        assert all(len(_codes("".join(_pages(zf.read(n))))) == 1 for n in names)
    with app.app_context():
        before = db.session.query(ExportJob).count()
    # a year without credited activities (one not begun: its summary offers no buttons, as it is on
    # no record): the post is refused, said at the top of the page it goes back to, nothing queued
    r = admin.post("/reports/certificates-job", data={"year": "2030-2031", "format": "pdf"})
    assert r.status_code == 302 and r.headers["Location"].endswith("#certificates-job")
    page = admin.get(r.headers["Location"]).get_data(as_text=True)
    assert 'data-testid="summary-year-not-on"' in page and 'data-testid="certificates-job-danger"' not in page
    assert re.search(r'data-testid="flash-danger">[^<]*没有可打印的学分认定表<', page), page[-1500:]
    assert admin.post("/reports/certificates-job", data={"year": year, "format": "docx"}).status_code == 302
    assert admin.post("/reports/certificates-job", data={"year": "2026-2028", "format": "pdf"}).status_code == 422
    assert teacher.post("/reports/certificates-job", data={"year": year, "format": "pdf"}).status_code == 403
    with app.app_context():
        assert db.session.query(ExportJob).count() == before


def test_the_direct_zip_link_becomes_a_job_above_its_threshold(make_app, tmp_path):
    """``GET /reports/certificates.zip`` (the link scripts use) makes the ZIP itself for up to
    ``CERTIFICATE_JOB_THRESHOLD`` forms; above it, the worker makes it (303 to the progress
    page) and the file has the same forms."""
    app = make_app(demo=True, **queued_config(tmp_path))
    with app.app_context():
        year = current_school_year()
        count = len(paper.credited_activities(school(), year))
        admin = log_in(app.test_client(), user("admin"))
    assert count >= 1
    app.config["CERTIFICATE_JOB_THRESHOLD"] = count
    direct = admin.get(f"/reports/certificates.zip?year={year}")
    assert direct.status_code == 200 and direct.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(direct.get_data())) as zf:
        assert len(zf.namelist()) == count
    app.config["CERTIFICATE_JOB_THRESHOLD"] = count - 1
    queued = admin.get(f"/reports/certificates.zip?year={year}")
    assert queued.status_code == 303 and "/exports/" in queued.headers["Location"]
    job_id = int(queued.headers["Location"].rstrip("/").split("/")[-1])
    with jobs.running_worker(app):
        wait_for(lambda: admin.get(f"/exports/{job_id}.json").get_json()["status"] == "done", timeout=120)
    state = admin.get(f"/exports/{job_id}.json").get_json()
    with zipfile.ZipFile(io.BytesIO(admin.get(state["url"]).get_data())) as zf:
        assert len(zf.namelist()) == count
    app.config["CERTIFICATE_JOB_THRESHOLD"] = "many"
    with app.app_context(), pytest.raises(BadConfiguration, match="CERTIFICATE_JOB_THRESHOLD"):
        export_jobs.threshold("CERTIFICATE_JOB_THRESHOLD")


def test_a_demoted_admin_no_longer_fetches_the_export_they_asked_for(make_app, tmp_path):
    """The file is every teacher's certified hours: it is the asker's only while they may still
    export (as the API already answers). An admin who loses the role while the job is kept gets
    404 for its page, state and file, like anyone else; given the role back, it is theirs again."""
    from sqlalchemy import update

    from portal.models import Membership

    app = make_app(demo=True, **queued_config(tmp_path))
    with app.app_context():
        year = current_school_year()
        admin = user("admin")
        admin_id = admin.id
        client = log_in(app.test_client(), admin)
    job_id, _data = _run(app, client, year, "zip")

    def admin_role(active: bool) -> None:
        with app.app_context():
            db.session.execute(update(Membership).where(
                Membership.user_id == admin_id, Membership.role == "school_admin").values(active=active))
            db.session.commit()

    admin_role(False)  # still a teacher of the school, no longer its admin
    for path in (f"/exports/{job_id}", f"/exports/{job_id}.json", f"/exports/{job_id}/file"):
        assert client.get(path).status_code == 404, path
    admin_role(True)
    assert client.get(f"/exports/{job_id}/file").status_code == 200
