"""An export's progress page says when no background worker runs (never ran, or not within
``jobs.WORKER_LATE``), in Chinese first, and whom to tell, instead of a bar that waits forever;
with a worker that runs, it says nothing of the kind. The real huey worker runs here."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from portal import jobs
from portal.extensions import db
from portal.models import ExportJob
from portal.services import tokens
from portal.timeutil import current_school_year
from tests.reach.conftest import queued_config, wait_for
from tests.reach.helpers import user
from tests.support.sessions import log_in

DOWN = 'data-testid="export-worker-down" class'  # shown (hidden: 'data-testid="export-worker-down" hidden')
ZH = "准备导出文件的后台服务目前没有运行"
EN = "The background service that prepares exports is not running"


def _ask(client, year: str) -> str:
    r = client.post("/district/export-job", data={"year": year, "ledger": "1"})
    assert r.status_code == 302
    return r.headers["Location"]


def test_with_no_worker_the_export_page_says_the_service_is_down(make_app, tmp_path):
    app = make_app(demo=True, **queued_config(tmp_path))
    with app.app_context():
        year = current_school_year()
        district = log_in(app.test_client(), user("district"))
    url = _ask(district, year)
    zh = district.get(url + "?lang=zh").get_data(as_text=True)
    assert DOWN in zh and ZH in zh and "平台管理员" in zh
    en = district.get(url + "?lang=en").get_data(as_text=True)
    assert DOWN in en and EN in en and "portal administrator" in en
    assert district.get(url + ".json").get_json()["worker_down"] is True
    job_id = int(url.rsplit("/", 1)[-1])
    with app.app_context():  # only said: the export still waits, queued
        assert db.session.get(ExportJob, job_id).status == "queued"
        token = tokens.issue(user("district")).token
        db.session.commit()
    api = app.test_client().get(f"/api/v1/exports/{job_id}", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 200 and api.get_json()["worker_down"] is True  # what an API client polls says it too


def test_with_a_real_worker_the_page_does_not_say_so_until_it_stops_beating(make_app, tmp_path, time_machine):
    app = make_app(demo=True, **queued_config(tmp_path))
    with app.app_context():
        year = current_school_year()
        district = log_in(app.test_client(), user("district"))
    first = _ask(district, year)
    with jobs.running_worker(app):  # its scheduler sweeps the outbox at once, which says it runs
        wait_for(lambda: district.get(first + ".json").get_json()["status"] == "done")
        with app.app_context():
            wait_for(jobs.worker_seen)
    done = district.get(first + ".json").get_json()
    assert done["worker_down"] is False
    waiting = _ask(district, year)  # queued while the worker was seen a moment ago
    page = district.get(waiting + "?lang=zh").get_data(as_text=True)
    assert 'data-testid="export-worker-down" hidden' in page and DOWN not in page  # in the page for its script, hidden
    assert district.get(waiting + ".json").get_json()["worker_down"] is False
    time_machine.move_to(datetime.now(UTC) + jobs.WORKER_LATE + timedelta(minutes=1), tick=False)
    late = district.get(waiting + "?lang=zh").get_data(as_text=True)
    assert DOWN in late and ZH in late
    assert district.get(waiting + ".json").get_json()["worker_down"] is True
    assert district.get(first + ".json").get_json()["worker_down"] is False  # a finished export waits on nothing


def test_an_immediate_queue_needs_no_worker_and_no_page_says_one_is_down(make_app):
    """With JOBS_IMMEDIATE (jobs run in the web process) no worker ever beats: the admin's page
    says none is needed, not that one is down nor "last seen at" an empty time."""
    from tests.reach.helpers import school

    app = make_app(demo=True, JOBS_IMMEDIATE=True)
    with app.app_context():
        assert jobs.worker_seen() is None and not jobs.worker_down(datetime.now(UTC).replace(tzinfo=None))
        admin = log_in(app.test_client(), user("admin"), school().id)
    zh = admin.get("/admin/plugins?lang=zh").get_data(as_text=True)
    assert 'data-testid="worker-not-needed"' in zh and "无需后台任务进程" in zh
    assert 'data-testid="worker-late"' not in zh and 'data-testid="worker-seen"' not in zh
