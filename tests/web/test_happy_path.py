"""Plan → attendance → hold → evidence → return → approve → credit, all through the pages,
and the teacher's home shows the new hours."""

from __future__ import annotations

import re

from sqlalchemy import select

from portal.demo import phase_title
from portal.extensions import db
from portal.models import Activity, CreditEntry, User
from workflows.definition import Phase


def _ids(site, *usernames: str) -> dict[str, int]:
    with site.app_context():
        rows = db.session.execute(select(User.username, User.id).where(User.username.in_(usernames))).all()
        return dict(rows)


def _hours_on_home(client) -> str:
    html = client.get("/").get_data(as_text=True)
    m = re.search(r'data-testid="hours-total">([^<]+)<', html)
    assert m, html[:2000]
    return m.group(1)


def test_lecture_from_plan_to_credited_hours(site, as_user):
    ids = _ids(site, "teacher5", "teacher6", "organizer")
    admin, organizer, reviewer, teacher = as_user("admin"), as_user("organizer"), as_user("reviewer"), as_user("teacher5")
    before = _hours_on_home(teacher)

    # the school asks lecture attendees for a reflection
    r = admin.post(
        "/admin/types/lecture",
        data={"enabled": "y", "setting-speaker_multiplier": "2", "setting-attendee_reflection": "y"},
    )
    assert r.status_code == 302

    r = organizer.post(
        "/activities/new/lecture",
        data={
            "title": "网页测试讲座",
            "starts_at": "2026-10-20T14:00",
            "ends_at": "2026-10-20T16:00",
            "hours": "2",
            "location": "报告厅",
            "details-topic": "作业设计",
            f"role-{ids['teacher5']}": "attendee",
            f"role-{ids['teacher6']}": "speaker",
        },
    )
    assert r.status_code == 302, r.get_data(as_text=True)[:3000]
    act_id = int(r.headers["Location"].rsplit("/", 1)[1])

    page = organizer.get(f"/activities/{act_id}").get_data(as_text=True)
    assert 'data-testid="trigger-hold"' in page and 'data-testid="trigger-cancel"' in page
    assert 'data-testid="trigger-approve"' not in page  # not the organizer's to fire

    r = organizer.post(
        f"/activities/{act_id}/attendance",
        data={f"attended-{ids['teacher5']}": "2", f"attended-{ids['teacher6']}": "2"},
    )
    assert r.status_code == 302, r.get_data(as_text=True)[:2000]
    r = organizer.post(f"/activities/{act_id}/trigger", data={"trigger": "hold", "comment": ""})
    assert r.status_code == 302

    # the teacher sees the reflection waiting, and uploads it
    home = teacher.get("/").get_data(as_text=True)
    assert f'data-testid="waiting-{act_id}"' in home
    r = teacher.post(
        f"/activities/{act_id}/evidence",
        data={"user_id": str(ids["teacher5"]), "kind": "reflection", "title": "我的反思", "text": "听了讲座很受启发。"},
    )
    assert r.status_code == 302, r.get_data(as_text=True)[:2000]
    assert f'data-testid="waiting-{act_id}"' not in teacher.get("/").get_data(as_text=True)

    # return without a comment: refused, the error is shown, nothing changes
    r = reviewer.post(f"/review/{act_id}", data={"action": "return", "comment": ""})
    assert r.status_code == 422 and "必须填写意见" in r.get_data(as_text=True)
    with site.app_context():
        assert db.session.get(Activity, act_id).state == "held"
    r = reviewer.post(f"/review/{act_id}", data={"action": "return", "comment": "请补充反思细节"})
    assert r.status_code == 302
    page = teacher.get(f"/activities/{act_id}").get_data(as_text=True)
    assert "请补充反思细节" in page and 'data-trigger="return"' in page

    queue = reviewer.get("/review").get_data(as_text=True)
    assert f'data-testid="queue-item-{act_id}"' in queue
    # two people in two roles: grouping would write as many rows, so both are named, each with the input
    assert f'data-testid="all-people-{act_id}"' not in queue and f'data-testid="queue-plain-{act_id}-0"' not in queue
    assert f'data-testid="hours-{act_id}-teacher6"' in queue and 'value="4"' in queue  # speaker: twice

    r = reviewer.post(f"/review/{act_id}", data={"action": "approve", "comment": "",
                                                  f"would-{ids['teacher5']}": "2", f"hours-{ids['teacher5']}": "2"})
    assert r.status_code == 302
    with site.app_context():
        assert db.session.get(Activity, act_id).state == "reviewed"
    r = reviewer.post("/review/bulk", data={"action": "credit", "ids": [str(act_id)]})
    assert r.status_code == 302
    with site.app_context():
        assert db.session.get(Activity, act_id).state == "credited"
        credited = db.session.execute(
            select(CreditEntry.user_id, CreditEntry.hours).where(CreditEntry.activity_id == act_id)
        ).all()
    assert sorted((u, str(h)) for u, h in credited) == sorted([(ids["teacher5"], "2.0"), (ids["teacher6"], "4.0")])

    after = _hours_on_home(teacher)
    assert float(after) == float(before) + 2
    home = teacher.get("/").get_data(as_text=True)
    assert f'href="/activities/{act_id}"' in home  # the credited entry links to the activity

    timeline = organizer.get(f"/activities/{act_id}").get_data(as_text=True)
    for trig in ("hold", "return", "approve", "credit"):
        assert f'data-trigger="{trig}"' in timeline


def test_reviewer_adjusts_hours_with_a_reason(site, as_user):
    ids = _ids(site, "teacher1")
    reviewer = as_user("reviewer")
    with site.app_context():
        held = db.session.execute(
            select(Activity).where(Activity.state == "held", Activity.type_key == "lecture",
                                   # not the one of a year closed to credits
                                   Activity.title == phase_title("lecture", Phase.AWAITING_REVIEW))
        ).scalar_one()
        act_id = held.id
    data = {"action": "approve", "comment": "", f"would-{ids['teacher1']}": "3", f"hours-{ids['teacher1']}": "1.5"}
    reviewer.post(f"/review/{act_id}", data=data)
    with site.app_context():
        assert db.session.get(Activity, act_id).state == "held"  # no reason given: refused
    data["comment"] = "中途离场"
    reviewer.post(f"/review/{act_id}", data=data)
    with site.app_context():
        assert db.session.get(Activity, act_id).state == "reviewed"
