"""The participant picker's rows (``portal.web.picker.rows``): one checkbox per option, every
value escaped, the chosen ones checked, groups in bold, people found by pinyin and initials."""

from __future__ import annotations

import re

from portal.web.picker import Option, _search, rows


def _options() -> list[Option]:
    return [
        Option("all", "全校", "12 人", _search("全校", "all"), "all"),
        Option("g:7", '<b>语文组</b>', "3 人", _search("语文组"), "group"),
        Option("u:5", "孙嘉怡", "t<5>", _search("孙嘉怡", "t<5>"), "person"),
        Option("u:6", '"何"', "t6", _search('"何"', "t6"), "person"),
    ]


def test_each_option_is_one_checkbox_for_the_role_escaped_and_checked_when_chosen():
    html = str(rows("attendee", _options(), {"u:5", "g:7"}))
    boxes = re.findall(r"<input [^>]*>", html)
    assert len(boxes) == 4 and all('name="people-attendee"' in b for b in boxes)
    checked = [re.search(r'value="([^"]+)"', b).group(1) for b in boxes if " checked" in b]
    assert checked == ["g:7", "u:5"]
    assert 'id="pick-attendee-g-7"' in html and 'for="pick-attendee-g-7"' in html
    assert 'data-testid="pick-attendee-t&lt;5&gt;"' in html  # a person by username, a group by its value
    assert 'data-testid="pick-attendee-g-7"' in html and 'data-testid="pick-attendee-all"' in html
    assert "<strong>&lt;b&gt;语文组&lt;/b&gt;</strong>" in html  # a group's name in bold, never as markup
    assert "&#34;何&#34;" in html and "<b>" not in html
    assert 'data-search="孙嘉怡 sunjiayi sjy t&lt;5&gt; t&lt;5&gt; t"' in html


def test_another_role_gets_its_own_names_and_ids():
    html = str(rows("speaker", _options(), set()))
    assert 'name="people-speaker"' in html and "attendee" not in html and " checked" not in html


def test_a_persons_surname_is_searched_as_it_is_sorted_and_a_groups_name_as_it_reads():
    """曾 is zeng as a surname (the lists file 曾晓明 under z): the filter box finds the person by
    "zengxiaoming" and "zxm", not "ceng"; 单 in a group's name keeps its reading dan (单元)."""
    person = _search("曾晓明", person=True)
    assert "zengxiaoming" in person.split() and "zxm" in person.split() and "ceng" not in person
    assert "shanli" in _search("单丽", person=True).split()
    assert "danyuanjiaoyanzu" in _search("单元教研组").split()
