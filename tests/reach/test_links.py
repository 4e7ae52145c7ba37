"""The links the portal sends people (the notification centre, email, calendar feeds) lead to
what they name for a person in two schools too, whichever school is chosen when they follow it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from portal.extensions import db
from portal.services import reminders
from tests.reach.helpers import activity, notes, school, user
from tests.support.sessions import log_in
from workflows.definition import Phase


def test_an_activity_link_of_another_of_the_persons_schools_offers_to_switch_and_opens(make_app):
    """A teacher of two schools, the other one chosen, follows the reminder of an activity of the
    demo school. Before: 404, the link named an activity the page looked for in the chosen school
    only. Now the page says whose activity it is and one button switches there and opens it;
    someone of neither school still finds nothing, and the button does nothing for them."""
    from tests.support import factories as f

    app = make_app(demo=True)
    with app.app_context():
        act = activity("lecture", Phase.OPEN)
        demo_name = school().name
        other = f.school("S2")
        f.person(other, "teacher1", "teacher")
        f.person(other, "outsider", "teacher")
        db.session.commit()
        reminders.remind_tomorrow(act.starts_at - timedelta(days=1))
        [note] = [n for n in notes("tomorrow", "teacher1") if n.params["title"] == act.title]
        link, other_id = note.link, other.id
        phone = log_in(app.test_client(), user("teacher1"), other_id)  # the other school chosen
        outsider = log_in(app.test_client(), user("outsider"), other_id)
    assert link == f"/activities/{act.id}"
    page = phone.get(link)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'data-testid="activity-other-school"' in html and demo_name in html
    assert act.title not in html  # the page names the school, the activity's own page the rest
    switched = phone.post(f"/activities/{act.id}/switch-school")
    assert switched.status_code == 302 and switched.headers["Location"].endswith(link)
    opened = phone.get(link)
    assert opened.status_code == 200 and act.title in opened.get_data(as_text=True)
    assert outsider.get(link).status_code == 404
    assert outsider.post(f"/activities/{act.id}/switch-school").status_code == 404
    home = outsider.get("/")
    assert home.status_code == 200 and demo_name not in home.get_data(as_text=True)  # still in their own school


def _two_schools(app):
    """teacher1 of the demo school and of a second one (chosen), an outsider of the second only."""
    from tests.support import factories as f

    other = f.school("S2")
    f.person(other, "teacher1", "teacher")
    f.person(other, "outsider", "teacher")
    db.session.commit()
    return school(), other


def _plan_returned(username: str) -> None:
    """The demo returns ``username``'s plan of this year to her: its deadline is hers again."""
    from sqlalchemy import update

    from portal.models import DevelopmentPlan
    from portal.services import plans

    db.session.execute(update(DevelopmentPlan).where(DevelopmentPlan.user_id == user(username).id)
                       .values(status=plans.RETURNED))
    db.session.commit()


def test_a_notice_whose_link_names_no_school_opens_in_its_school(make_app):
    """A plan-deadline notice of the demo school, read by a teacher of two schools with the other
    chosen. Before: its link was ``/plan``, which showed the chosen school's plan, not the one
    the notice was about (the same for ``/``, ``/writing``, ``/school-plan``, ``/submission``).
    Now the centre and the email lead through the notice's school: a page names it and one
    button switches there and opens the page; in that school already, straight on."""
    from portal.services import delivery, notifications
    from portal.services.notifications import NewNotification

    app = make_app(demo=True, PUBLIC_URL="https://yanxiu.example.edu.cn")
    with app.app_context():
        demo, other = _two_schools(app)
        teacher = user("teacher1")
        params = {"year": "2026-2027", "date": "2026-12-31", "days": 3}
        [nid] = notifications.notify_many([NewNotification(teacher.id, "plan_deadline", "plan-test", params,
                                                           "/plan", demo.id)])
        note = db.session.get(notifications.Notification, nid)
        sent = delivery.outgoing(note, teacher, demo)
        demo_id, demo_name, other_id, other_name = demo.id, demo.name, other.id, other.name
        phone = log_in(app.test_client(), teacher, other_id)  # the other school chosen
        outsider = log_in(app.test_client(), user("outsider"), other_id)
    through = f"/school/{demo_id}/open?next=/plan"
    assert sent.url == f"https://yanxiu.example.edu.cn{through}"  # the email's link names the school too
    listing = phone.get("/notifications").get_data(as_text=True)
    assert f'href="{through}"' in listing
    page = phone.get(through)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'data-testid="link-other-school"' in html
    assert demo_name in html and other_name in html and "有关" in html
    switched = phone.post(f"/school/{demo_id}", data={"next": "/plan"})
    assert switched.status_code == 302 and switched.headers["Location"] == "/plan"
    again = phone.get(through)  # in the notice's school now: straight on
    assert again.status_code == 302 and again.headers["Location"] == "/plan"
    # not one of theirs: nothing to see, nothing switched
    assert outsider.get(through).status_code == 404
    assert outsider.post(f"/school/{demo_id}", data={"next": "/plan"}).status_code == 404
    assert demo_name not in outsider.get("/").get_data(as_text=True)


@pytest.mark.parametrize("target", ["//evil.example/plan", "https://evil.example/", "/\t/evil.example", ""])
def test_the_switch_goes_nowhere_but_this_site(make_app, target):
    """``next`` of the open link and of the switch is a path of this site, else the home page."""
    app = make_app(demo=True)
    with app.app_context():
        demo, other = _two_schools(app)
        demo_id, other_id = demo.id, other.id
        phone = log_in(app.test_client(), user("teacher1"), other_id)
    page = phone.get(f"/school/{demo_id}/open", query_string={"next": target})
    assert page.status_code == 200 and 'name="next" value="/"' in page.get_data(as_text=True)
    switched = phone.post(f"/school/{demo_id}", data={"next": target})
    assert switched.status_code == 302 and switched.headers["Location"] == "/"
    assert phone.get(f"/school/{demo_id}/open", query_string={"next": target}).headers["Location"] == "/"


def test_a_feeds_deadlines_open_in_their_own_school(make_app):
    """A teacher's personal feed holds the plan deadline of each of their schools. Before: both
    linked to ``/plan``, the chosen school's. Now each leads through its own school."""
    import re
    from urllib.parse import urlsplit

    from icalendar import Calendar

    app = make_app(demo=True, PUBLIC_URL="https://yanxiu.example.edu.cn")
    with app.app_context():
        demo, other = _two_schools(app)
        demo_id, other_id = demo.id, other.id
        _plan_returned("teacher1")  # a sent plan's deadline is not in the feed (plans.SENT)
        client = log_in(app.test_client(), user("teacher1"), other_id)
    made = client.post("/calendar", data={"scope": "me"}).get_data(as_text=True)
    path = urlsplit(re.search(r'value="([^"]+)" data-testid="feed-url"', made).group(1)).path
    cal = Calendar.from_ical(app.test_client().get(path).get_data())
    links = [(str(e["UID"]).split("-")[2], str(e["URL"])) for e in cal.walk("VEVENT")
             if str(e["UID"]).startswith("plan-deadline-")]
    assert sorted(where for where, _url in links) == sorted([str(demo_id), str(other_id)])
    for where, url in links:  # each school's deadline through that school
        assert url == f"https://yanxiu.example.edu.cn/school/{where}/open?next=/plan", (where, url)
