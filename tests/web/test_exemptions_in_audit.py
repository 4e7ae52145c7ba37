"""Every exemption from the year's assessment set, changed or removed is a line of the staff
audit trail — who, when, the year and the reason — the same on the page and in its CSV; an
exemption refused writes none. Before, the trail had no line of them: an admin could exempt a
colleague, let the summary go out, and remove it, leaving no trace of who had done it."""

from __future__ import annotations

from sqlalchemy import select

from portal.extensions import db
from portal.models import StaffChange, User
from portal.timeutil import current_school_year


def _lines(site) -> list[tuple[str, list, list, int | None]]:
    with site.app_context():
        teacher = db.session.execute(select(User.id).where(User.username == "teacher2")).scalar_one()
        return [(c.what, c.before, c.after, c.changed_by) for c in db.session.execute(
            select(StaffChange).where(StaffChange.user_id == teacher, StaffChange.what == "exemption")
            .order_by(StaffChange.id)).scalars()]


def test_exemptions_set_changed_and_removed_are_in_the_audit_trail(site, as_user):
    with site.app_context():
        ids = dict(db.session.execute(select(User.username, User.id)
                                      .where(User.username.in_(["teacher2", "admin"]))).all())
        from portal.models import School

        year = current_school_year(db.session.execute(select(School.timezone).where(School.code == "DEMO")).scalar_one())
    c = as_user("admin")
    before = _lines(site)
    for action, reason in (("set", "病假"), ("set", "病假"), ("set", "借调到区教研室"), ("clear", None)):
        data = {"action": action, "user_id": str(ids["teacher2"]), "year": year}
        if reason:
            data["reason"] = reason
        assert c.post("/admin/exemptions", data=data).status_code == 302
    # one's own exemption is refused and leaves no line
    assert c.post("/admin/exemptions", data={"action": "set", "user_id": str(ids["admin"]), "year": year,
                                             "reason": "病假"}).status_code == 422
    assert _lines(site)[len(before):] == [
        ("exemption", [], [year, "病假"], ids["admin"]),  # the same reason again changes nothing
        ("exemption", [year, "病假"], [year, "借调到区教研室"], ids["admin"]),
        ("exemption", [year, "借调到区教研室"], [], ids["admin"]),
    ]
    html = c.get("/admin/audit?view=staff&person=teacher2").get_data(as_text=True)
    assert 'data-testid="audit-staff-tab">人员变更<' in html  # no longer "roles and groups" alone
    table = html.split('class="table table-sm table-striped')[1].split("</table>")[0]
    said = year.replace("-", "—") + "学年"  # the year as every page writes it
    assert table.count("免于考核") == 3 and f"{said}：借调到区教研室" in table and "exemption" not in table
    csv = c.get("/admin/audit.csv?view=staff&person=teacher2").get_data(as_text=True).splitlines()
    ours = [line for line in csv if "免于考核" in line]
    assert len(ours) == 3
    assert ours[0].split(",")[3:] == ["免于考核", f"{said}：借调到区教研室", "无", "admin"]  # removed: said, not blank
    assert ours[2].split(",")[3:] == ["免于考核", "无", f"{said}：病假", "admin"]
