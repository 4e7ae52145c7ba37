"""Staff: an admin changes an existing person's teaching groups from the staff page, through
``services.groups`` (the one way), policy-checked and written to the staff audit log like a
role change; a group of another school, a deactivated person, a group the person leads or a
garbled choice is refused in words beside the row and changes nothing."""

from __future__ import annotations

import base64
import io

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import GroupMember, School, StaffChange, TeachingGroup, User
from portal.policy import SYSTEM
from portal.services import access, groups, staff
from tests.support import factories as f


def _id(site, model, **where) -> int:
    with site.app_context():
        stmt = select(model.id)
        for k, v in where.items():
            stmt = stmt.where(getattr(model, k) == v)
        return db.session.execute(stmt).scalar_one()


def _groups(site, username: str) -> set[str]:
    with site.app_context():
        return set(db.session.execute(
            select(TeachingGroup.name).join(GroupMember, GroupMember.group_id == TeachingGroup.id)
            .join(User, User.id == GroupMember.user_id).where(User.username == username)
        ).scalars())


def _counts(site) -> tuple[int, int]:
    with site.app_context():
        return (db.session.scalar(select(func.count()).select_from(GroupMember)) or 0,
                db.session.scalar(select(func.count(StaffChange.id))) or 0)


def _row(client, uid: int) -> str:
    html = client.get("/admin/staff").get_data(as_text=True)
    return html.split(f'id="staff-row-{uid}"')[1].split("</tr>")[0]


def test_admin_changes_a_persons_groups_beside_the_row_and_it_is_audited(site, as_user):
    c = as_user("admin")
    uid, admin_id = _id(site, User, username="teacher1"), _id(site, User, username="admin")
    chinese, maths = _id(site, TeachingGroup, name="语文组"), _id(site, TeachingGroup, name="数学组")
    row = _row(c, uid)
    assert 'data-testid="groups-teacher1"' in row and "修改教研组" in row
    assert f'value="{chinese}" checked' in row and f'value="{maths}">' in row
    r = c.post(f"/admin/staff/{uid}/groups", data={"group_ids": [str(maths), str(chinese)]})
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/admin/staff#staff-row-{uid}")
    assert _groups(site, "teacher1") == {"语文组", "数学组"}
    row = _row(c, uid)
    assert 'data-testid="roles-success"' in row and "教研组已修改" in row
    assert "数学组、语文组" in row  # by pinyin, joined the Chinese way
    c.post(f"/admin/staff/{uid}/groups", data={})  # every box unticked: in no group
    assert _groups(site, "teacher1") == set()
    with site.app_context():
        log = db.session.execute(select(StaffChange).where(StaffChange.user_id == uid)
                                 .order_by(StaffChange.id)).scalars().all()
        assert [(e.what, e.before, e.after, e.changed_by) for e in log] == [
            ("groups", [chinese], sorted([chinese, maths], key=str), admin_id),
            ("groups", sorted([chinese, maths], key=str), [], admin_id),
        ]
    # a role change is written to the same log
    c.post(f"/admin/staff/{uid}/roles", data={"roles": ["teacher", "organizer"]})
    with site.app_context():
        last = db.session.execute(select(StaffChange).order_by(StaffChange.id.desc())).scalars().first()
        assert (last.what, last.before, last.after) == ("roles", ["teacher"], ["organizer", "teacher"])
    # the audit trail shows them in words, filtered by the person changed; the CSV too
    page = c.get("/admin/audit?view=staff&person=teacher1")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    table = html.split('class="table table-sm table-striped')[1].split("</table>")[0]
    assert table.count("<tr>") == 1 + 3  # the heading row and three changes
    assert "数学组、语文组" in table and "组织者、教师" in table and "教研组" in table and "admin" in table
    assert "organizer" not in table.replace("data-label", "")
    assert "没有符合条件的记录" in c.get("/admin/audit?view=staff&person=teacher4").get_data(as_text=True)
    csv = c.get("/admin/audit.csv?view=staff&person=teacher1").get_data(as_text=True)
    assert csv.splitlines()[0].lstrip("\ufeff").startswith("时间,登录名,姓名,变更,变更前,变更后,操作人")
    assert len(csv.strip().splitlines()) == 1 + 3
    # the demo's own change of 赵子涵's groups, and its undoing
    demo = c.get("/admin/audit?view=staff&person=teacher2").get_data(as_text=True)
    assert demo.count("赵子涵") >= 2 and "数学组、语文组" in demo


def test_bad_group_choices_are_refused_beside_the_row_and_change_nothing(site, as_user):
    c = as_user("admin")
    uid, t2, org = (_id(site, User, username=n) for n in ("teacher1", "teacher2", "organizer"))
    chinese, maths = _id(site, TeachingGroup, name="语文组"), _id(site, TeachingGroup, name="数学组")
    with site.app_context():
        other = f.school("S2")
        foreign = groups.save_group(other, "英语组", by=SYSTEM).id
        stranger = f.person(other, "s2teacher", "teacher").id
        demo = db.session.execute(select(School).where(School.code == "DEMO")).scalar_one()
        staff.deactivate(demo, t2, by=SYSTEM)
    before = _counts(site)
    for target, data, words in (
        (uid, {"group_ids": [str(foreign)]}, f"教研组 {foreign} 不是本校的教研组"),
        (uid, {"group_ids": ["abc"]}, "教研组须为教研组编号的列表"),
        (uid, {"group_ids": ["99999999999999"]}, "教研组须为教研组编号的列表"),
        (t2, {"group_ids": [str(maths)]}, "在本校已停用"),
        (org, {"group_ids": [str(maths)]}, "是语文组的组长"),  # leaving the group they lead
    ):
        r = c.post(f"/admin/staff/{target}/groups", data=data)
        assert r.status_code == 302
        row = _row(c, target)
        refusal = row.split('data-testid="roles-danger"')[1].split("</div>")[0]
        assert words in refusal, refusal
        assert "group" not in refusal and "None" not in refusal  # no codes, no English
    assert _counts(site) == before
    assert _groups(site, "teacher1") == {"语文组"} and _groups(site, "organizer") == {"语文组"}
    # another school's person: not found; a teacher may not change groups at all
    assert c.post(f"/admin/staff/{stranger}/groups", data={"group_ids": [str(chinese)]}).status_code == 404
    assert c.post(f"/admin/staff/{stranger}/groups", data={"group_ids": ["abc"]}).status_code == 404
    assert as_user("teacher1").post(f"/admin/staff/{uid}/groups", data={"group_ids": [str(maths)]}).status_code == 403
    assert _counts(site) == before
    # a deactivated person's row offers no group editor
    assert 'data-testid="groups-teacher2"' not in _row(c, t2)



def test_adding_importing_and_deactivating_people_are_in_the_staff_log(site, as_user):
    """Roles given by the staff page's add form or by a roster import, and every role ended
    by a deactivation, are staff changes like any other: they were missing from the log."""
    c = as_user("admin")
    admin_id, uid = _id(site, User, username="admin"), _id(site, User, username="teacher1")
    assert c.post("/admin/staff", data={"username": "page.added", "name": "页面新人", "password": "password-123",
                                        "roles": ["teacher", "organizer"]}).status_code == 302
    roster = "username,name,roles,password\nsheet.added,表格新人,教师,password-123\n".encode()
    c.post("/admin/staff/import", data={"file": (io.BytesIO(roster), "roster.csv")},
           content_type="multipart/form-data")
    assert c.post("/admin/staff/import/confirm", data={"payload": base64.b64encode(roster).decode(),
                                                       "filename": "roster.csv"}).status_code == 302
    assert c.post(f"/admin/staff/{uid}/deactivate").status_code == 302
    page_added, sheet_added = _id(site, User, username="page.added"), _id(site, User, username="sheet.added")
    with site.app_context():
        log = {e.user_id: (e.what, e.before, e.after, e.changed_by)
               for e in db.session.execute(select(StaffChange).where(
                   StaffChange.user_id.in_([uid, page_added, sheet_added]))).scalars()}
    assert log == {
        page_added: ("roles", [], ["organizer", "teacher"], admin_id),
        sheet_added: ("roles", [], ["teacher"], admin_id),
        uid: ("roles", ["teacher"], [], admin_id),
    }
    # deactivating someone already gone changes nothing and writes nothing
    before = _counts(site)
    c.post(f"/admin/staff/{uid}/deactivate")
    assert _counts(site) == before
    table = c.get("/admin/audit?view=staff&person=teacher1").get_data(as_text=True)
    assert "教师" in table.split('class="table table-sm table-striped')[1].split("</table>")[0]
    # no role left after the deactivation is said (无), not a blank cell; in English the roles are
    # named as the staff pages name them ("Teacher"), not by their lower-case value
    cells = table.split('class="table table-sm table-striped')[1].split("</table>")[0]
    assert '<td class="col-after" data-label="变更后">无</td>' in cells
    english = c.get("/admin/audit?view=staff&person=page.added&lang=en").get_data(as_text=True)
    cells = english.split('class="table table-sm table-striped')[1].split("</table>")[0]
    assert '<td class="col-after" data-label="After">Organizer, Teacher</td>' in cells
    assert '<td class="col-before" data-label="Before">none</td>' in cells


def test_a_group_saved_or_deleted_on_the_groups_page_is_in_each_persons_staff_log(app):
    """The groups page sets a group's whole member list, and deleting a group takes everyone out
    of it: people joined and left teaching groups that way without a line in the staff log,
    which the staff page's own group change writes. Each person whose groups changed gets one."""
    s = f.school("GL", types=("lecture",))
    admin = f.person(s, "gl.adm", "school_admin")
    a, b, c = (f.person(s, f"gl.t{i}", "teacher") for i in (1, 2, 3))
    by = access.actor(admin.id, s.id)
    other = groups.save_group(s, "数学组", member_ids=[a.id], by=by)
    group = groups.save_group(s, "语文组", member_ids=[a.id, b.id], by=by)
    groups.save_group(s, "语文组", member_ids=[b.id, c.id], by=by, group=group)  # a out, c in, b stays
    groups.delete_group(group, by=by)

    def log(user_id: int) -> list[tuple[list[int], list[int]]]:
        return [(e.before, e.after) for e in db.session.execute(
            select(StaffChange).where(StaffChange.user_id == user_id, StaffChange.what == "groups")
            .order_by(StaffChange.id)).scalars()]

    g, m = group.id, other.id
    assert log(a.id) == [([], [m]), ([m], sorted([m, g], key=str)), (sorted([m, g], key=str), [m])]
    assert log(b.id) == [([], [g]), ([g], [])]
    assert log(c.id) == [([], [g]), ([g], [])]
    assert {e.changed_by for e in db.session.execute(select(StaffChange).where(StaffChange.school_id == s.id))
            .scalars()} == {admin.id}


def test_a_groups_leader_who_changes_is_in_both_leaders_staff_logs(app):
    """The groups page sets a group's 教研组长: a leader replaced by another, while both stayed
    members, left no line in the staff log (only joining and leaving a group did). Now the one
    who stops leading and the one who starts each get a line, and so does the leader of a group
    deleted; the audit trail names the group, in words."""
    s = f.school("GLL", types=("lecture",))
    admin = f.person(s, "gll.adm", "school_admin")
    a, b = (f.person(s, f"gll.t{i}", "teacher", "organizer") for i in (1, 2))
    by = access.actor(admin.id, s.id)
    group = groups.save_group(s, "英语组", leader_id=a.id, member_ids=[a.id, b.id], by=by)
    groups.save_group(s, "英语组", leader_id=a.id, member_ids=[a.id, b.id], by=by, group=group)  # no change
    groups.save_group(s, "英语组", leader_id=b.id, member_ids=[a.id, b.id], by=by, group=group)
    groups.delete_group(group, by=by)

    def led(user_id: int) -> list[tuple[list[int], list[int], int | None]]:
        return [(e.before, e.after, e.changed_by) for e in db.session.execute(
            select(StaffChange).where(StaffChange.user_id == user_id, StaffChange.what == "group_lead")
            .order_by(StaffChange.id)).scalars()]

    g = group.id
    assert led(a.id) == [([], [g], admin.id), ([g], [], admin.id)]
    assert led(b.id) == [([], [g], admin.id), ([g], [], admin.id)]
    groups.save_group(s, "数学组", leader_id=a.id, member_ids=[a.id], by=SYSTEM)  # the loader's: no line
    assert len(led(a.id)) == 2
    from tests.support.sessions import log_in

    c = log_in(app.test_client(), admin, s.id)
    html = c.get("/admin/audit?view=staff&person=gll.t2").get_data(as_text=True)
    table = html.split('class="table table-sm table-striped')[1].split("</table>")[0]
    assert table.count("担任组长的教研组") == 2 and "group_lead" not in table
    english = c.get("/admin/audit?view=staff&person=gll.t2&lang=en").get_data(as_text=True)
    assert english.count("Teaching group led") == 2
