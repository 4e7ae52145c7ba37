"""Benchmark of the background jobs (not a test: nothing here is asserted on time).

    .venv/bin/python bench/jobs_bench.py                     # 2,000 emails, reminders for 10,000 teachers
    .venv/bin/python bench/jobs_bench.py --emails 5000 --teachers 100000 --workers 4
    .venv/bin/python bench/jobs_bench.py --xlsx-rows 1000000 --workdir DIR   # the ledger XLSX as a job

On a fresh SQLite database with the SQLite job queue (the embedded defaults):

* **reminders**: one activity tomorrow with ``--teachers`` participants; ``remind_tomorrow``
  writes one notification each and queues one delivery job each (what the hourly job does);
* **email**: ``--emails`` of those deliveries run by the real huey consumer (``--workers``
  threads) against a local aiosmtpd server, until the server has them all: emails per second,
  end to end (queue, database claim, SMTP, database mark);
* **1M-row XLSX as a job** (``--xlsx-rows``): a ledger of that many lines (``export_bench.fill``,
  reused from ``--workdir`` when already filled) exported as the district admin's job: queued as
  the page queues it, written by a real worker *process* (``flask --app wsgi worker``, one
  thread) until the job row says done; the worker's peak RSS is read from its ``/proc`` status
  (``VmHWM``, reset once it is idle, so the figure is the job's peak; its idle RSS is reported too).
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import delete, insert, select  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--emails", type=int, default=2000)
    parser.add_argument("--teachers", type=int, default=10000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--xlsx-rows", type=int, help="measure only the ledger XLSX of this many rows as a job")
    parser.add_argument("--workdir", help="with --xlsx-rows: keep (and reuse) the filled database here")
    args = parser.parse_args()
    if args.xlsx_rows:
        xlsx_job(args.xlsx_rows, Path(args.workdir or tempfile.mkdtemp(prefix="yanxiu-xlsx-job-")))
        return

    from aiosmtpd.controller import Controller
    from flask_migrate import upgrade

    from portal import create_app, jobs
    from portal.extensions import db
    from portal.models import (
        Activity,
        Membership,
        Notification,
        NotificationSetting,
        Participation,
        School,
        User,
    )
    from portal.services import reminders
    from portal.services.notifications import DELIVERY_BATCH
    from portal.timeutil import utcnow
    from tests.support.smtp import Inbox, free_port

    tmp = Path(tempfile.mkdtemp(prefix="yanxiu-jobs-bench-"))
    port = free_port()
    app = create_app({
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'bench.db'}", "CACHE_DIR": str(tmp / "cache"),
        "UPLOAD_FOLDER": str(tmp / "uploads"), "JOBS_STORAGE": "sqlite", "JOBS_SQLITE_PATH": str(tmp / "jobs.db"),
        "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": port, "PUBLIC_URL": "https://yanxiu.bench",
    })
    n = max(args.teachers, args.emails)
    with app.app_context():
        upgrade()
        school = School(code="BENCH", name="基准学校", timezone="Asia/Shanghai", rules={"quiet_hours_start": 0,
                                                                                   "quiet_hours_end": 0})
        db.session.add(school)
        db.session.commit()
        db.session.execute(insert(User), [
            {"username": f"t{i:06d}", "username_key": f"t{i:06d}", "display_name": f"教师{i}", "password_hash": "",
             "active": True, "session_version": 1, "created_at": utcnow()} for i in range(n + 1)])
        ids = list(db.session.execute(select(User.id).order_by(User.id)).scalars())
        organizer, teachers = ids[0], ids[1:]
        db.session.execute(insert(Membership), [
            {"user_id": uid, "school_id": school.id, "role": "teacher", "active": True} for uid in ids])
        start = utcnow() + timedelta(days=1)
        act = Activity(school_id=school.id, type_key="lecture", title="基准讲座", organizer_id=organizer,
                       starts_at=start, ends_at=start + timedelta(hours=2), hours=2, school_year="2026-2027",
                       semester=1, state="planned", details={}, location="报告厅")
        db.session.add(act)
        db.session.commit()
        db.session.execute(insert(Participation), [
            {"activity_id": act.id, "user_id": uid, "role": "attendee", "absent_hours": 0, "excused_hours": 0}
            for uid in teachers[: args.teachers]])
        db.session.commit()
        began = time.perf_counter()
        made = reminders.remind_tomorrow(utcnow())
        took = time.perf_counter() - began
        print(f"reminders: {len(made):,} teachers told of tomorrow's activity in {took:.1f} s "
              f"({len(made) / took:,.0f} notifications/s written and queued)")
        # email: the first --emails of them, with an address each; the rest are not delivered
        jobs.queue(app).huey.flush()
        keep = set(made[: args.emails])
        db.session.execute(delete(Notification).where(Notification.id.not_in(keep)))
        owners = list(db.session.execute(select(Notification.user_id)).scalars())
        db.session.execute(insert(NotificationSetting), [
            {"user_id": uid, "email": f"u{uid}@bench.test", "email_off": [], "updated_at": utcnow()} for uid in owners])
        db.session.commit()
        ordered = sorted(keep)
        for start in range(0, len(ordered), DELIVERY_BATCH):  # as notify_many queues them
            jobs.enqueue("notifications.deliver_many", ordered[start : start + DELIVERY_BATCH])
    inbox = Inbox()
    server = Controller(inbox, hostname="127.0.0.1", port=port)
    server.start()
    try:
        began = time.perf_counter()
        with jobs.running_worker(app, workers=args.workers):
            while len(inbox.messages) < len(keep):
                time.sleep(0.05)
        took = time.perf_counter() - began
    finally:
        server.stop()
    print(f"email: {len(inbox.messages):,} sent by the worker ({args.workers} threads) to a local SMTP server "
          f"in {took:.1f} s: {len(inbox.messages) / took:,.0f} emails/s")


def _status_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def xlsx_job(rows: int, workdir: Path) -> None:
    """The district ledger of ``rows`` lines as an XLSX export job, run by a worker process."""
    from flask_migrate import upgrade
    from sqlalchemy import func, text

    from bench.export_bench import YEAR, fill
    from portal import create_app, policy
    from portal.extensions import db
    from portal.models import CreditEntry, District, ExportJob
    from portal.models.district import DEFAULT_DISTRICT_CODE
    from portal.services import export_jobs

    workdir.mkdir(parents=True, exist_ok=True)
    db_path, queue_path = workdir / f"ledger-{rows}.db", workdir / "jobs.db"
    queue_path.unlink(missing_ok=True)
    config = {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_path}", "JOBS_STORAGE": "sqlite",
              "JOBS_SQLITE_PATH": str(queue_path), "EXPORT_FOLDER": str(workdir / "exports"),
              "SECRET_KEY": "bench-secret-key-0123456789"}
    app = create_app(config)
    with app.app_context():
        upgrade()
        if db.session.scalar(select(func.count(CreditEntry.id))) != rows:
            began = time.perf_counter()
            fill(db, rows)
            print(f"{rows:,} ledger rows filled in {time.perf_counter() - began:.1f} s", flush=True)
        district = db.session.execute(select(District).where(District.code == DEFAULT_DISTRICT_CODE)).scalar_one()
        db.session.execute(text("UPDATE school SET district_id = :d WHERE district_id IS NULL"), {"d": district.id})
        db.session.commit()
        counted = export_jobs.count_rows(export_jobs.DISTRICT_LEDGER, YEAR, district_id=district.id)
        print(f"rows counted for the job (one COUNT): {counted:,}; threshold {export_jobs.threshold():,}", flush=True)
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db_path}", "YANXIU_JOBS_STORAGE": "sqlite",
           "YANXIU_JOBS_SQLITE_PATH": str(queue_path), "YANXIU_INSTANCE_PATH": str(workdir / "instance"),
           "SECRET_KEY": config["SECRET_KEY"]}
    flask = Path(sys.executable).with_name("flask")
    root = Path(__file__).resolve().parent.parent
    worker = subprocess.Popen([str(flask), "--app", "wsgi", "worker", "--workers", "1"], cwd=root, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        time.sleep(5)  # started and idle
        idle = _status_kib(worker.pid, "VmRSS")
        Path(f"/proc/{worker.pid}/clear_refs").write_text("5")  # VmHWM := the current RSS
        with app.app_context():
            actor = policy.Actor.of(1, [policy.DISTRICT_ADMIN])
            began = time.perf_counter()
            row = export_jobs.request_export(1, actor, export_jobs.DISTRICT_LEDGER, YEAR, "zh",
                                             district_id=district.id)
            job_id = row.id
            status = "queued"
            while status not in ("done", "failed"):
                time.sleep(0.5)
                db.session.commit()
                status = db.session.execute(select(ExportJob.status).where(ExportJob.id == job_id)).scalar_one()
                if worker.poll() is not None:
                    raise SystemExit(f"the worker stopped: {worker.stderr.read().decode()[-2000:] if worker.stderr else ''}")
            took = time.perf_counter() - began
            peak = _status_kib(worker.pid, "VmHWM")
            job = db.session.get(ExportJob, job_id)
            size = (workdir / "instance" / "exports" / str(job.stored_name)).stat().st_size if job.stored_name else 0
        print(f"ledger XLSX as a job: {status}, rows {job.done_rows:,} in {took:.1f} s (queued → done); "
              f"worker RSS idle {idle / 1024:.1f} MiB, peak {peak / 1024:.1f} MiB (+{(peak - idle) / 1024:.1f} MiB); "
              f"file {size / 2**20:.1f} MiB", flush=True)
    finally:
        worker.send_signal(signal.SIGINT)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()


if __name__ == "__main__":
    main()
