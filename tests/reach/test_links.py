"""The links the portal sends people (the notification centre, email, calendar feeds) lead to
what they name for a person in two schools too, whichever school is chosen when they follow it."""

from __future__ import annotations

from datetime import timedelta

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
