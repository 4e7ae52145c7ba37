"""Fixes from the walk through the teacher's year: per-type bars against the target, the growth
record's activity dates and bar, the upload form's default kind, and the activity page agreeing
with the home's to-do list (one function decides what is still to do)."""

from __future__ import annotations

import re

from sqlalchemy import select

from portal.extensions import db
from portal.models import Activity, CreditEntry, School, User, YearSubmission
from portal.services import overview
from portal.timeutil import to_local, utcnow


def _me(site, username: str = "teacher1") -> User:
    with site.app_context():
        return db.session.execute(select(User).where(User.username == username)).scalar_one()


def test_type_bars_scale_to_the_target(site, as_user):
    html = as_user("teacher1").get("/?lang=en").get_data(as_text=True)
    chart = html.split('data-testid="by-type-chart"')[1].split("</ul>")[0]
    widths = [int(w) for w in re.findall(r'class="bar-type" x="0" y="0" width="(\d+)"', chart)]
    hours = [float(h) for h in re.findall(r"<span>([\d.]+)</span></div>", chart)]
    assert widths and len(widths) == len(hours)
    assert widths == [int(h / 50 * 100) for h in hours]  # the requirement is 50 hours
    assert 100 not in widths  # the largest type no longer fills the bar


def test_growth_record_shows_activity_dates_and_a_bar(site, as_user):
    me = _me(site)
    with site.app_context():
        entry, act = db.session.execute(
            select(CreditEntry, Activity).join(Activity, Activity.id == CreditEntry.activity_id)
            .where(CreditEntry.user_id == me.id).order_by(CreditEntry.id)
        ).first()
        held_on = to_local(act.starts_at, "Asia/Shanghai").strftime("%Y-%m-%d")
        credited_on = to_local(entry.created_at, "Asia/Shanghai").strftime("%Y-%m-%d")
    assert held_on != credited_on  # the demo credits activities held weeks ago
    html = as_user("teacher1").get(f"/teachers/{me.id}/record?lang=en").get_data(as_text=True)
    cell = html.split(f'data-testid="record-date-{entry.id}">')[1].split("<")[0]
    assert cell == held_on and "Activity date" in html
    assert re.search(r'data-testid="record-bar-\d{4}-\d{4}" data-percent="\d+"', html)
    # the home and the district's drill-down date the same line as the record: the day it was held
    home = as_user("teacher1").get("/?lang=en").get_data(as_text=True)
    assert home.split(f'data-testid="entry-date-{entry.id}">')[1].split("<")[0] == held_on
    with site.app_context():
        sub_id = db.session.scalar(select(YearSubmission.id).where(YearSubmission.school_id == act.school_id))
    drill = as_user("dreviewer").get(f"/district/submissions/{sub_id}/teachers/{me.id}?lang=en").get_data(as_text=True)
    assert drill.split(f'data-testid="entry-date-{entry.id}">')[1].split("<")[0] == held_on
    assert "Activity date" in home and "Activity date" in drill


def test_activity_page_agrees_with_the_home_todo_list_and_the_form_asks_for_it(site, as_user):
    me = _me(site)
    client = as_user("teacher1")
    with site.app_context():
        school_id = db.session.execute(select(Activity.school_id)).scalars().first()
        waiting = {w.activity.id: w.missing for w in overview.waiting_on(me.id, school_id)}
        mine = [a for p, a in overview.participations(me.id, school_id)]
    assert waiting, "the demo leaves teacher1 something to hand in"
    home = client.get("/?lang=en").get_data(as_text=True)
    for act in mine:
        page = client.get(f"/activities/{act.id}?lang=en").get_data(as_text=True)
        if act.id in waiting:
            assert f'data-testid="waiting-{act.id}"' in home
            select_html = page.split('data-testid="evidence-kind"')[1].split("</select>")[0]
            for kind in waiting[act.id]:
                if f'value="{kind}"' in select_html:  # taken now: asked for, and the form's first missing one
                    assert 'data-testid="todo-missing"' in page
                else:  # on what took place (EvidenceKind.after_start): asked for with the start, not offered
                    later = page.split('data-testid="todo-later">')[1].split("</div>")[0]
                    assert act.starts_at > utcnow() and "once it has begun" in later, later
            first = next((k for k in waiting[act.id] if f'value="{k}"' in select_html), None)
            if first is not None:  # something to hand in now: the page does not say there is nothing to do
                assert 'data-testid="no-triggers"' not in page
                assert re.search(rf'<option selected value="{first}">|<option value="{first}" selected', select_html)
        else:
            assert f'data-testid="waiting-{act.id}"' not in home
            assert 'data-testid="todo-missing"' not in page


def test_last_years_home_waits_for_nothing_of_this_year(site, as_user):
    """Auditor: the home of 2025-2026 listed this year's activities as waiting on the teacher."""
    me = _me(site)
    with site.app_context():
        school_id = db.session.execute(select(Activity.school_id)).scalars().first()
        waiting = [w.activity for w in overview.waiting_on(me.id, school_id)]
    assert waiting and {a.school_year for a in waiting} == {"2026-2027"}
    now, last = (as_user("teacher1").get(f"/?year={y}").get_data(as_text=True) for y in ("2026-2027", "2025-2026"))
    assert all(f'data-testid="waiting-{a.id}"' in now for a in waiting)
    assert not any(f'data-testid="waiting-{a.id}"' in last for a in waiting)
    assert 'data-testid="waiting-empty"' in last


def test_the_demo_has_an_essay_written_in_word(site, as_user):
    """teacher2's teaching essay was handed in as a .docx: its words are the piece's text, counted
    on her writing page and towards the paper quota of her home."""
    from portal.demo import DEMO_WORD_PAPER
    from portal.textcount import chinese_count

    kind, title, paragraphs = DEMO_WORD_PAPER
    page = as_user("teacher2").get("/writing?lang=en").get_data(as_text=True)
    row = page.split(title)[1].split("</tr>")[0]
    words = chinese_count("".join(paragraphs))
    assert words >= 3000 and (f">{words}<" in row or f">{words:,}<" in row)
    home = as_user("teacher2").get("/?lang=en").get_data(as_text=True)
    assert "1 of 1" in home.split("Paper or teaching essay")[1][:200]


def test_the_todo_list_says_each_activitys_day_and_one_still_to_come(site, as_user):
    """teacher1's home asked for a visit report (考察报告：还需上传 1 份) of 参观考察：实验小学（筹备中）
    a week before the visit, with no day: as urgent as the one of the visit held last month. Each
    row now says its activity's day, and one still to come says so (尚未举行)."""
    from portal.timeutil import utcnow

    me = _me(site)
    with site.app_context():
        school_id = db.session.execute(select(Activity.school_id)).scalars().first()
        waiting = [w.activity for w in overview.waiting_on(me.id, school_id)]
        tz = db.session.get(School, school_id).timezone
    later = [a for a in waiting if a.ends_at > utcnow()]
    done = [a for a in waiting if a.ends_at <= utcnow()]
    assert later and done, "the demo leaves teacher1 evidence of activities held and to come"
    home = as_user("teacher1").get("/").get_data(as_text=True)
    for act in waiting:
        row = home.split(f'data-testid="waiting-{act.id}"', 1)[1].split("</li>", 1)[0]
        day = to_local(act.starts_at, tz).date().isoformat()
        said = f"{day}（尚未举行） · " if act in later else f"{day} · "
        assert said in row, row
