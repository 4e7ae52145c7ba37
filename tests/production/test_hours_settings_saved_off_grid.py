"""An hours setting saved before it went by the half hour (``Setting(hours=True)``, contract
1.23). A school that saved 学时申报's ceiling as 0.7 h — taken before the rule — had it read as
the default, 40 h, until the next save, and said nowhere: a ceiling the school lowered became
fifty-seven times higher, silently, and a partial save through the API dropped it for good.

Now the one place a stored setting is read (``Setting.read``) reads it down to the half hour, as
the core rounds every number of hours (never above what the school saved); the school admin's
page tells what is stored and what is read until they save, and a save keeps the rounded value.
Nothing is migrated: which settings count hours is a plugin's declaration, read at load."""

from __future__ import annotations

import math
import re

from sqlalchemy import select, text

from portal.activity_types import UNREAD, Setting, Text
from portal.extensions import db
from portal.models import SchoolChange
from portal.registry import registry
from portal.services import schools
from tests.production.helpers import login_as
from tests.production.test_settings_bounds import _stored, _token, school_admin  # noqa: F401


def test_a_stored_hours_value_off_the_grid_reads_down_to_the_half_hour():
    spec = Setting(8, 0.5, 24, Text("每天学时上限", "Most hours per day"), hours=True)
    read = {value: spec.read(value) for value in (0.7, 7.75, 23.99, 1, 24, 12.5)}
    assert read == {0.7: 0.5, 7.75: 7.5, 23.99: 23.5, 1: 1, 24: 24, 12.5: 12.5}
    assert type(spec.read(7.1)) is int  # 7, as the page writes a whole number
    for refused in (0.3, 24.2, -1, math.nan, math.inf, 10**400, "0.7", True, None):
        assert spec.read(refused) is UNREAD, refused  # out of range or no number: the default, as before
    assert Setting(2, 0, 10).read(0.7) == 0.7  # a multiplier is no number of hours
    assert Setting(3, 0, 10, integer=True).read(2.5) is UNREAD


def _saved_past_the_rule(school_id: int, stored: str) -> None:
    """Written as an older portal let it be saved (before ``hours=True``)."""
    with db.engine.begin() as conn:
        conn.execute(
            text("UPDATE school_activity_type SET settings = :s WHERE school_id = :sid AND type_key = 'declared'"),
            {"s": stored, "sid": school_id},
        )


def test_the_rules_the_admin_page_and_a_save_read_it_rounded(app, client, school_admin):  # noqa: F811
    school_id, p = school_admin
    _saved_past_the_rule(school_id, '{"max_hours": 0.7, "max_hours_per_day": 7.75}')
    db.session.remove()
    for step in (False, True):  # a page's reading and a step's (the type's own settings_with_defaults)
        settings = schools.type_settings(school_id, "declared", step=step)
        assert (settings["max_hours"], settings["max_hours_per_day"]) == (0.5, 7.5), step
    assert registry().get("declared").decl.settings_read_otherwise(_stored(school_id, "declared")) == {
        "max_hours": (0.7, 0.5), "max_hours_per_day": (7.75, 7.5)}

    login_as(client, p["admin"], school_id)
    page = client.get("/admin/types").get_data(as_text=True)
    assert 'data-testid="read-otherwise-declared-max_hours"' in page
    assert "此项原保存为 0.7，学时须以 0.5 为单位，现按 0.5 计；保存后即存为 0.5。" in page
    assert "此项原保存为 7.75，学时须以 0.5 为单位，现按 7.5 计；保存后即存为 7.5。" in page
    assert 'name="setting-max_hours" value="0.5"' in page
    english = client.get("/admin/types?lang=en").get_data(as_text=True)
    assert "Saved as 0.7 before hours went by the half hour: read as 0.5. Saving stores 0.5." in english
    assert 'data-testid="read-otherwise-lecture' not in page  # a setting on the grid: nothing said
    client.get("/logout")

    # a partial save through the API keeps the other setting as it reads, not the default
    headers = {"Authorization": f"Bearer {_token(client, 'sbadm')}"}
    r = client.put("/api/v1/activity-types/declared", json={"settings": {"max_hours_per_day": 8}}, headers=headers)
    assert r.status_code == 200, r.get_json()
    assert _stored(school_id, "declared") == {"max_hours": 0.5, "max_hours_per_day": 8}
    assert schools.type_settings(school_id, "declared")["max_hours"] == 0.5
    login_as(client, p["admin"], school_id)
    assert "read-otherwise-declared" not in client.get("/admin/types").get_data(as_text=True)  # said until saved


def _type_lines(school_id: int) -> list[tuple[dict, dict]]:
    db.session.remove()
    return [(c.before, c.after) for c in db.session.execute(select(SchoolChange).where(
        SchoolChange.school_id == school_id, SchoolChange.what == "type", SchoolChange.subject == "declared")
        .order_by(SchoolChange.id)).scalars()]


def test_reading_it_writes_nothing_and_the_save_that_replaces_it_is_logged(app, client, school_admin):  # noqa: F811
    """A read never writes: the pages and the rules read 0.7 as 0.5 and the stored 0.7 stays,
    no line in the school's log. The save that replaces it (the admin's page, as it reads) is a
    change of what is stored, logged as any setting change is: 0.7 before, 0.5 after. A switch
    alone leaves the stored value and logs the switch only."""
    school_id, p = school_admin
    made = len(_type_lines(school_id))  # the school's making's
    _saved_past_the_rule(school_id, '{"max_hours": 0.7}')
    login_as(client, p["admin"], school_id)
    page = client.get("/admin/types").get_data(as_text=True)
    assert schools.type_settings(school_id, "declared")["max_hours"] == 0.5
    assert _stored(school_id, "declared") == {"max_hours": 0.7}
    assert len(_type_lines(school_id)) == made

    headers = {"Authorization": f"Bearer {_token(client, 'sbadm')}"}
    r = client.put("/api/v1/activity-types/declared", json={"enabled": False}, headers=headers)
    assert r.status_code == 200, r.get_json()
    assert _stored(school_id, "declared") == {"max_hours": 0.7}
    assert _type_lines(school_id)[made:] == [({"enabled": True}, {"enabled": False})]

    form = dict(re.findall(r'name="(setting-[a-z_]+)" value="([^"]*)"', page.split('id="type-declared"')[1]
                           .split("</form>")[0]))
    assert form["setting-max_hours"] == "0.5"
    r = client.post("/admin/types/declared", data={**form, "enabled": "y"})
    assert r.status_code == 302
    assert _stored(school_id, "declared")["max_hours"] == 0.5
    assert _type_lines(school_id)[made + 1:] == [({"enabled": False, "max_hours": 0.7}, {"enabled": True, "max_hours": 0.5})]


def test_the_api_says_what_is_stored_where_it_reads_otherwise(app, client, school_admin):  # noqa: F811
    """``GET /api/v1/activity-types`` gave the value read (0.5) and nothing else: a district tool
    comparing it with what the school saved, or with the school's log, could not tell. Each type
    says, as the admin's page does, the settings read otherwise than stored (stored and read),
    until a save stores the value read; an addition to the contract, documented."""
    school_id, _p = school_admin
    _saved_past_the_rule(school_id, '{"max_hours": 0.7, "max_hours_per_day": 8}')
    headers = {"Authorization": f"Bearer {_token(client, 'sbadm')}"}
    listed = {t["key"]: t for t in client.get("/api/v1/activity-types", headers=headers).get_json()}
    assert listed["declared"]["settings"]["max_hours"] == 0.5
    assert listed["declared"]["settings_read_otherwise"] == {"max_hours": {"stored": 0.7, "read": 0.5}}
    assert all(t["settings_read_otherwise"] == {} for key, t in listed.items() if key != "declared")
    r = client.put("/api/v1/activity-types/declared", json={"enabled": True}, headers=headers)
    assert r.get_json()["settings_read_otherwise"] == {"max_hours": {"stored": 0.7, "read": 0.5}}  # a switch keeps it
    r = client.put("/api/v1/activity-types/declared", json={"settings": {"max_hours_per_day": 8}}, headers=headers)
    assert r.status_code == 200 and r.get_json()["settings_read_otherwise"] == {}  # stored as read now
    listed = {t["key"]: t for t in client.get("/api/v1/activity-types", headers=headers).get_json()}
    assert listed["declared"]["settings_read_otherwise"] == {} and listed["declared"]["settings"]["max_hours"] == 0.5
    schemas = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    said = schemas["ActivityType"]["properties"]["settings_read_otherwise"]
    assert said["additionalProperties"]["$ref"] == "#/components/schemas/SettingReadOtherwise"
    assert set(schemas["SettingReadOtherwise"]["properties"]) == {"stored", "read"}
