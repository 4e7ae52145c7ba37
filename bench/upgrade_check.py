"""Upgrade an earlier release's database with this tree's migrations and check that nothing a
teacher or a printed form relies on moved (README, Upgrading; BENCHMARKS round 42b).

    python bench/upgrade_check.py c02bb98a                       # SQLite, in --work
    python tests/support/pg_server.py -- sh -c 'python bench/upgrade_check.py c02bb98a --postgres "$YANXIU_TEST_DATABASE_URL"'

The release REV is checked out in a git worktree; with ITS code (on PYTHONPATH, this venv) the
database is migrated, given the demo, and every 学分认定表 of the demo school's latest year, its
学时汇总表 and each teacher's 学时证明 are printed (their codes kept). Then this tree runs
``flask db upgrade`` and compares: every row of ``credit_entry``, ``transition_log`` and
``issued_document`` (the columns both have), each member's hours and status per school and year
(``credits.teacher_year``, as each release computes it), each code's ``/verify`` page (genuine,
nothing changed) and the main pages of six demo roles (no 5xx). Exit status 1 if anything moved.
The PostgreSQL database must be empty.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ROLES = ("admin", "reviewer", "organizer", "teacher1", "teacher3", "district")
PAGES = ("/", "/activities", "/review", "/reports/summary", "/admin/audit", "/teachers/{id}/record",
         "/district", "/district/dashboard", "/notifications", "/writing", "/plan", "/submission")
TABLES = ("credit_entry", "transition_log", "issued_document")


def side(mode: str, out: Path) -> None:
    """Run inside either tree (its code first on the path): ``old`` prints the forms, both snapshot."""
    from sqlalchemy import select, text

    from portal.extensions import db
    from wsgi import app

    app.config["WTF_CSRF_ENABLED"] = False

    def rows(table: str) -> list[dict[str, str]]:
        with db.engine.connect() as conn:
            found = conn.execute(text(f'SELECT * FROM "{table}" ORDER BY id')).mappings()
            return [{k: repr(v) for k, v in r.items()} for r in found]

    snap: dict = {}
    with app.app_context():
        from portal.models import School, User
        from portal.services import credits

        if mode == "old":
            from portal.reports import paper
            from portal.services import verification

            codes: list[tuple[str, str]] = []
            issue = verification.issue

            def keep(*a, **k):
                code = issue(*a, **k)
                codes.append((a[0], code))
                return code

            verification.issue = keep
            school = db.session.execute(select(School).order_by(School.id)).scalars().first()
            admin = db.session.execute(select(User).where(User.username == "admin")).scalar_one()
            year = db.session.execute(text("SELECT max(school_year) FROM activity WHERE school_id = :s"),
                                      {"s": school.id}).scalar()
            with app.test_request_context("/"):
                for act in paper.credited_activities(school, year):
                    paper.certificate_pdf(act.id, school, admin.id)
                paper.summary_pdf(school, year, admin.id)
                teachers = select(User).where(User.username.like("teacher%")).order_by(User.id)
                for user in db.session.execute(teachers).scalars():
                    paper.record_pdf(user, school, year, admin.id)
            db.session.commit()
            snap["codes"] = codes
        for table in TABLES:
            snap[table] = rows(table)
        hours = {}
        for school in db.session.execute(select(School).order_by(School.id)).scalars():
            at = {"s": school.id}
            years = db.session.execute(text("SELECT DISTINCT school_year FROM activity WHERE school_id = :s"), at).scalars()
            members = db.session.execute(text("SELECT DISTINCT user_id FROM membership WHERE school_id = :s"), at).scalars().all()
            for year in sorted(years):
                for uid in sorted(members):
                    ty = credits.teacher_year(db.session.get(User, uid), school, year)
                    hours[f"{school.code}/{year}/{uid}"] = [str(ty.facts.total_hours), ty.assessment.status]
        snap["hours"] = hours
        ids = dict(db.session.execute(text("SELECT username, id FROM user_account")).all())
        db.session.remove()
    if mode == "new":
        snap["codes"] = json.loads(out.with_suffix(".old.json").read_text())["codes"]
        client = app.test_client()
        snap["verify"] = {}
        for _kind, code in snap["codes"]:
            body = client.get(f"/verify/{code}?lang=en").get_data(as_text=True)
            snap["verify"][code] = ["Genuine:" in body, "No hours have been revoked or changed" in body]
        snap["walk"] = {}
        for who in ROLES:
            client = app.test_client()
            client.post("/login", data={"username": who, "password": "yanxiu-demo"})
            for page in PAGES:
                path = page.format(id=ids[who])
                snap["walk"][f"{who} {path}"] = client.get(path).status_code
    out.with_suffix(f".{mode}.json").write_text(json.dumps(snap, default=str))


def compare(out: Path) -> int:
    old = json.loads(out.with_suffix(".old.json").read_text())
    new = json.loads(out.with_suffix(".new.json").read_text())
    bad = 0
    for table in TABLES:
        if len(old[table]) != len(new[table]):
            print(f"{table}: {len(old[table])} rows → {len(new[table])}")
            bad += 1
        for a, b in zip(old[table], new[table], strict=False):
            moved = {k: (a[k], b[k]) for k in a if k in b and a[k] != b[k]}
            if moved:
                print(f"{table} {a.get('id')}: {moved}")
                bad += 1
        print(f"{table}: {len(old[table])} rows compared")
    for key, was in old["hours"].items():
        if new["hours"].get(key) != was:
            print(f"hours {key}: {was} → {new['hours'].get(key)}")
            bad += 1
    print(f"teacher-years compared: {len(old['hours'])}")
    wrong = [code for code, seen in new["verify"].items() if seen != [True, True]]
    print(f"/verify: {len(new['verify'])} codes, {len(wrong)} not genuine and unchanged")
    errors = [k for k, status in new["walk"].items() if status >= 500]
    print(f"pages: {len(new['walk'])} opened, {len(errors)} with 5xx {errors}")
    bad += len(wrong) + len(errors)
    print("OK" if not bad else f"{bad} differences")
    return 1 if bad else 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("rev", help="the earlier release (a commit)")
    ap.add_argument("--postgres", metavar="URL", help="an empty PostgreSQL database (default: a SQLite file)")
    ap.add_argument("--work", default=None, help="folder for the worktree, database and snapshots")
    ap.add_argument("--side", choices=("old", "new"), help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.side:
        side(args.side, Path(args.out))
        return 0
    work = Path(args.work or tempfile.mkdtemp(prefix="yanxiu-upgrade-"))
    tree, out = work / "tree", work / "snapshot"
    env = {**os.environ, "DATABASE_URL": args.postgres or f"sqlite:///{work / 'old.db'}",
           "YANXIU_INSTANCE_PATH": str(work / "instance")}
    env.pop("YANXIU_ENV", None)
    bin_ = Path(sys.executable).parent
    subprocess.run(["git", "worktree", "add", "--detach", "-q", str(tree), args.rev], cwd=ROOT, check=True)
    try:
        for code, steps in ((tree, (["flask", "--app", "wsgi", "db", "upgrade"], ["flask", "--app", "wsgi", "demo"])),
                            (ROOT, (["flask", "--app", "wsgi", "db", "upgrade"],))):
            mode = "old" if code == tree else "new"
            run_env = {**env, "PYTHONPATH": str(code)}
            for step in steps:
                subprocess.run([str(bin_ / step[0]), *step[1:]], cwd=code, env=run_env, check=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            subprocess.run([sys.executable, str(Path(__file__).resolve()), args.rev, "--side", mode, "--out", str(out)],
                           cwd=code, env=run_env, check=True, stderr=subprocess.DEVNULL)
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, check=False)
    print(f"{args.rev} → this tree, on {'PostgreSQL' if args.postgres else 'SQLite'} ({work}):")
    return compare(out)


if __name__ == "__main__":
    raise SystemExit(main())
