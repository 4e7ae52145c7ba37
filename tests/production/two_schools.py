"""Two schools with activities in several states and evidence; B's texts are unique markers."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace

from sqlalchemy import select

from portal.extensions import db
from portal.models import (
    Activity,
    CorrectionRequest,
    CreditEntry,
    Evidence,
    Membership,
    Participation,
    School,
    User,
)
from portal.registry import registry
from portal.services import access, activities, corrections
from tests.support import factories as f

PDF = b"%PDF-1.4\n% BSECRETPDFCONTENT\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@dataclass
class Tenant:
    school: SimpleNamespace  # id, code, name
    people: dict[str, SimpleNamespace]  # id, username, display_name
    activities: list[SimpleNamespace]  # id, title, state: planned, held, reviewed, credited
    evidence: list[SimpleNamespace]  # id, stored_name, title
    markers: list[str] = field(default_factory=list)  # strings that must never reach school A
    corrections: list[int] = field(default_factory=list)  # correction request ids (:func:`ask_a_correction`)


def _first_kind(type_key: str) -> str:
    return next(iter(registry().get(type_key).type.all_evidence_kinds()))


def build_tenant(code: str, prefix: str, marker: str) -> Tenant:
    s = f.school(code)
    s_name = f"{marker}学校"
    s.name = s_name
    db.session.commit()
    people = {
        "organizer": f.person(s, f"{prefix}org", "organizer", "teacher", name=f"{marker}组长"),
        "reviewer": f.person(s, f"{prefix}rev", "reviewer", "teacher", name=f"{marker}审核"),
        "admin": f.person(s, f"{prefix}adm", "school_admin", "teacher", name=f"{marker}管理"),
        "t1": f.person(s, f"{prefix}t1", "teacher", name=f"{marker}教师一"),
        "t2": f.person(s, f"{prefix}t2", "teacher", name=f"{marker}教师二"),
    }
    org, rev = people["organizer"], people["reviewer"]
    pair = [(people["t1"], "attendee"), (people["t2"], "attendee")]
    planned = f.plan(s, org, "lecture", pair, {"topic": f"{marker}主题"}, title=f"{marker}计划活动")
    held = f.plan(s, org, "lecture", pair, {"topic": f"{marker}主题"}, title=f"{marker}已举行活动")
    f.fire(held, org, "hold")
    f.attend(held, org)
    reviewed = f.plan(s, org, "lecture", pair, {"topic": f"{marker}主题"}, title=f"{marker}已审核活动")
    f.fire(reviewed, org, "hold")
    f.attend(reviewed, org)
    f.fire(reviewed, rev, "approve")
    credited = f.plan(s, org, "lecture", pair, {"topic": f"{marker}主题"}, title=f"{marker}已认定活动")
    f.fire(credited, org, "hold")
    f.attend(credited, org)
    f.fire(credited, rev, "approve", comment=f"{marker}审核意见")
    f.fire(credited, rev, "credit")
    kind = _first_kind("lecture")
    evidence = [
        activities.add_evidence(held, people["t1"], None, kind, title=f"{marker}证据标题",
                                text=f"{marker}反思正文"),
        activities.add_evidence(held, people["t2"], None, kind, title=f"{marker}文件证据",
                                filename=f"{marker}-file.pdf", data=PDF.replace(b"BSECRET", marker.encode())),
    ]
    markers = [s_name, *(u.display_name for u in people.values()), *(u.username for u in people.values()),
               f"{marker}主题", f"{marker}审核意见", f"{marker}证据标题", f"{marker}反思正文", f"{marker}-file.pdf",
               f"{marker}PDFCONTENT", *(e.stored_name for e in evidence if e.stored_name)]
    markers += [a.title for a in (planned, held, reviewed, credited)]
    return Tenant(
        _plain(s, "id", "code", "name"),
        {k: _plain(u, "id", "username", "display_name") for k, u in people.items()},
        [_plain(a, "id", "title", "state") for a in (planned, held, reviewed, credited)],
        [_plain(e, "id", "stored_name", "title") for e in evidence],
        markers,
    )


def ask_a_correction(t: Tenant, marker: str) -> None:
    """A teacher of ``t`` asks its admins to correct their row of the held activity (recorded by
    its organiser), the reason a marker: the correction pages and API are walked with its id."""
    held = db.session.get_one(Activity, t.activities[1].id)
    req = corrections.ask(held, access.actor(t.people["t1"].id, t.school.id), corrections.ROW, "出席 2 学时",
                          f"{marker}更正理由")
    t.corrections.append(req.id)
    t.markers.append(f"{marker}更正理由")


def _plain(obj, *names: str) -> SimpleNamespace:
    """Detached copies, so tests can use ids after the request teardown ends the session."""
    return SimpleNamespace(**{n: getattr(obj, n) for n in names})


def tenant_snapshot(school_id: int) -> dict[str, object]:
    """Everything of one school that a cross-tenant request could have changed."""
    db.session.remove()
    acts = db.session.execute(
        select(Activity.id, Activity.state, Activity.version, Activity.title).where(Activity.school_id == school_id)
        .order_by(Activity.id)
    ).all()
    ids = [a.id for a in acts]
    out = {
        "school": db.session.execute(select(School.name, School.rules).where(School.id == school_id)).one(),
        "activities": acts,
        "participations": db.session.execute(
            select(Participation.id, Participation.user_id, Participation.role, Participation.attended_hours)
            .where(Participation.activity_id.in_(ids)).order_by(Participation.id)
        ).all(),
        "evidence": db.session.execute(
            select(Evidence.id, Evidence.title).where(Evidence.activity_id.in_(ids)).order_by(Evidence.id)
        ).all(),
        "ledger": db.session.execute(
            select(CreditEntry.id).where(CreditEntry.school_id == school_id).order_by(CreditEntry.id)
        ).all(),
        "members": db.session.execute(
            select(Membership.id, Membership.active, Membership.role).where(Membership.school_id == school_id)
            .order_by(Membership.id)
        ).all(),
        "corrections": db.session.execute(
            select(CorrectionRequest.id, CorrectionRequest.status, CorrectionRequest.closed_by,
                   CorrectionRequest.close_reason).where(CorrectionRequest.school_id == school_id)
            .order_by(CorrectionRequest.id)
        ).all(),
        "users": db.session.execute(
            select(User.id, User.active, User.password_hash, User.session_version)
            .join(Membership, Membership.user_id == User.id).where(Membership.school_id == school_id)
            .order_by(User.id)
        ).all(),
    }
    db.session.remove()
    return out
