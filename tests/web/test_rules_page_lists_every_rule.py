"""The admin's rules page offers every declared school rule (``portal.school_rules``): two were
declared and saved through the service but missing from the page, whose template named its
quota fields one by one."""

from __future__ import annotations

import re

from portal.school_rules import HOUR_RULES, QUOTA_RULES, REACH_RULES, SCHOOL_RULES


def test_every_declared_rule_has_its_field_on_the_rules_page_once(as_user):
    html = as_user("admin").get("/admin/rules").get_data(as_text=True)
    named = re.findall(r'<(?:input|select|textarea)[^>]*\bname="([^"]+)"', html)
    assert sorted(n for n in named if n in SCHOOL_RULES) == sorted(SCHOOL_RULES)
    assert sorted(HOUR_RULES + REACH_RULES + QUOTA_RULES) == sorted(SCHOOL_RULES)  # each rule in one group


def test_the_writing_quotas_fieldset_holds_the_quota_rules_in_their_declared_order(as_user):
    html = as_user("admin").get("/admin/rules?lang=en").get_data(as_text=True)
    quotas = html.split('data-testid="rules-quotas"', 1)[1].split("</fieldset>", 1)[0]
    inside = [n for n in re.findall(r'\bname="([^"]+)"', quotas) if n in SCHOOL_RULES]
    assert inside == list(QUOTA_RULES) and "reading_notes_per_month" in inside
