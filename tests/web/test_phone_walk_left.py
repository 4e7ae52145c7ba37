"""What a teacher's year walked on a phone left (hCY's walk, the demo school):

* the activity list's year filter wrote a year as its code ``2026-2027``, where every other page
  writes 2026—2027学年 / School year 2026–2027 (``messages.school_year_text``);
* a past year on the home page and on the plan page: read-only history, in its own words;
* the demo's 今日签到 lecture: its topic matches its title.
"""

from __future__ import annotations

import html as html_lib
import re

from portal.messages import school_year_text

OPTION = re.compile(r'<option value="(\d{4}-\d{4})"[^>]*>([^<]*)</option>')


def test_the_activity_lists_year_filter_writes_the_year_as_every_page_does(site, as_user):
    teacher = as_user("teacher1")
    for lang in ("zh", "en"):
        page = teacher.get(f"/activities?lang={lang}").get_data(as_text=True)
        select = re.search(r'<select[^>]*data-testid="filter-year".*?</select>', page, re.S)
        assert select, page[:2000]
        options = OPTION.findall(select.group(0))
        assert options, select.group(0)
        with site.test_request_context(f"/?lang={lang}"):
            for code, shown in options:
                assert html_lib.unescape(shown).strip() == school_year_text(code, lang=lang), (lang, code, shown)
                assert code not in shown
