"""Every change of the school's rules and of an activity type's switch and settings is a line
of the audit trail — who, when, what before and after, in words — the same on the page and in
its CSV; a change refused, or a save that changes nothing, writes none. Before, nothing said
who had set the year's required hours to 0 or a speaker's multiplier to 10."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import SchoolChange


def _count(site) -> int:
    with site.app_context():
        return db.session.scalar(select(func.count()).select_from(SchoolChange))


def _rules_form(client) -> dict[str, object]:
    """The rules form as the page fills it (numbers as text, switches ticked or not)."""
    html = client.get("/admin/rules").get_data(as_text=True)
    data: dict[str, object] = {}
    for tag in re.findall(r"<input[^>]+>", html):
        name = re.search(r'name="([^"]+)"', tag)
        if not name:
            continue
        if 'type="checkbox"' in tag:
            if "checked" in tag:
                data[name[1]] = "y"
        else:
            value = re.search(r'value="([^"]*)"', tag)
            data[name[1]] = value[1] if value else ""
    return data


def test_rule_and_type_changes_are_in_the_audit_trail(site, as_user):
    c = as_user("admin")
    start = _count(site)
    form = _rules_form(c)
    assert form["required_hours"] not in ("", "30")
    assert c.post("/admin/rules", data=form).status_code == 302  # saved as shown: nothing changed
    assert _count(site) == start
    assert c.post("/admin/rules", data={**form, "required_hours": "-3"}).status_code == 422  # refused
    assert _count(site) == start
    assert c.post("/admin/rules", data={**form, "required_hours": "30"}).status_code == 302
    assert c.post("/admin/types/lecture", data={"enabled": "y", "setting-speaker_multiplier": "3"}).status_code == 302
    assert c.post("/admin/types/lecture", data={"enabled": "y", "setting-speaker_multiplier": "3"}).status_code == 302
    assert c.post("/admin/types/lecture", data={"setting-speaker_multiplier": "3"}).status_code == 302  # switched off
    assert c.post("/admin/types/lecture", data={"enabled": "y", "setting-speaker_multiplier": "99"}).status_code == 422
    assert _count(site) == start + 3

    html = c.get("/admin/audit?view=settings").get_data(as_text=True)
    table = html.split('class="table table-sm table-striped')[1].split("</table>")[0]
    rows = [[re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)][1:]
            for row in re.findall(r"<tr>(.*?)</tr>", table, re.S)[1:4]]
    assert rows == [
        ["活动类型", "专题讲座", "已启用：是", "已启用：否", "admin"],
        ["活动类型", "专题讲座", "主讲人学时倍数：2", "主讲人学时倍数：3", "admin"],
        ["本校规则", "每学年应修学时", form["required_hours"], "30", "admin"],
    ]
    csv = c.get("/admin/audit.csv?view=settings").get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert csv[0] == "时间,变更,规则或活动类型,变更前,变更后,操作人"
    assert [line.split(",")[1:] for line in csv[1:4]] == rows


def test_a_rules_change_is_named_in_the_audit_trail_as_the_rules_page_names_it(site, as_user):
    """The admin changed 每学年应修学时 and 每学期未请假缺席达到多少学时即全年不予认定 on the rules
    page and read 每学年须完成学时 and 学期未请假缺席达到此学时即不予认定 in the audit trail: two
    wordings of one rule (the page's two hour fields had labels of their own). Every rule the
    page shows is named by its declaration, on the page and in the log, in both languages."""
    c = as_user("admin")
    form = _rules_form(c)
    changed = {"required_hours": "31", "absence_limit_hours": "6"}
    assert c.post("/admin/rules", data={**form, **changed}).status_code == 302
    for lang in ("zh_Hans_CN", "en"):
        page = c.get(f"/admin/rules?lang={lang}").get_data(as_text=True)
        labels = {key: re.sub(r"\s+", " ", text).strip()
                  for key, text in re.findall(r'<label[^>]*for="([a-z_]+)"[^>]*>([^<]+)', page)}
        log = c.get(f"/admin/audit?view=settings&lang={lang}").get_data(as_text=True)
        named = {re.sub(r"<[^>]+>", "", cells[2]).strip()
                 for row in re.findall(r"<tr>(.*?)</tr>", log, re.S)
                 if len(cells := re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)) > 2}
        for key in changed:
            assert labels[key] in named, (lang, key, labels[key], named)
