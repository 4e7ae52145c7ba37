"""Benchmark of the background jobs (not a test: nothing here is asserted on time).

    .venv/bin/python bench/jobs_bench.py                     # 2,000 emails, reminders for 10,000 teachers
    .venv/bin/python bench/jobs_bench.py --emails 5000 --teachers 100000 --workers 4

On a fresh SQLite database with the SQLite job queue (the embedded defaults):

* **reminders**: one activity tomorrow with ``--teachers`` participants; ``remind_tomorrow``
  writes one notification each and queues one delivery job each (what the hourly job does);
* **email**: ``--emails`` of those deliveries run by the real huey consumer (``--workers``
  threads) against a local aiosmtpd server, until the server has them all: emails per second,
  end to end (queue, database claim, SMTP, database mark).
"""

from __future__ import annotations

import argparse
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
    args = parser.parse_args()

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
            {"username": f"t{i:06d}", "display_name": f"教师{i}", "password_hash": "", "active": True,
             "session_version": 1, "created_at": utcnow()} for i in range(n + 1)])
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


if __name__ == "__main__":
    main()
