"""A book read and a paper are told apart by their titles as a reader tells them: 《红楼梦》,
红楼梦 and 红楼梦 with an invisible or full-width character in it are one book, so notes on one
book under titles spelt differently do not meet a books-per-semester quota as several books,
nor one paper's versions the papers quota as several papers."""

from __future__ import annotations

import pytest

from portal.services import activities, writing
from tests.support import factories as f
from tests.support.texts import prose
from tests.year.helpers import lectures, quota_done

NOTES = (  # three chapters' notes on one book: different texts, one book
    "第一回甄士隐梦幻识通灵，贾雨村风尘怀闺秀，开篇便写出了人生如梦的主题。",
    "第二回冷子兴演说荣国府，借旁人之口把贾府的人物关系交代得清清楚楚。",
    "第三回林黛玉进贾府，步步留心时时在意，细节描写极见功力值得学习。",
)


@pytest.fixture
def school(app):
    s = f.school("QT")
    return s, f.staff(s)


@pytest.mark.parametrize("spellings", [
    ("红楼梦", "《红楼梦》", "红楼\u200b梦"),  # book-title marks, a zero-width space
    ("红楼梦", "红楼梦\u3000", "「红楼梦」"),  # a full-width space, corner brackets
    ("Walden", "ＷＡＬＤＥＮ", "walden."),  # full-width letters, case, a full stop
    ("红楼梦", "紅樓夢", "《紅樓夢》"),  # in traditional characters
    ("读书笔记", "讀書筆記", "《読書筆記》"),  # traditional, and Japanese kanji forms (読)
])
def test_notes_on_one_book_under_titles_spelt_differently_are_one_book(school, spellings):
    s, staff = school
    t1 = staff["t1"]
    for title, text in zip(spellings, NOTES, strict=True):
        writing.add_writing(s, t1, "reading_notes", title, text)
    assert quota_done(t1, s, "books") == 1


def test_notes_handed_in_at_an_activity_and_written_at_home_on_one_book_are_one_book(school):
    s, staff = school
    t1 = staff["t1"]
    act = lectures(s, staff["organizer"], [t1], n=1)[0]
    activities.add_evidence(act, t1, t1.id, "reading_notes", "《红楼梦》", text=NOTES[0])
    writing.add_writing(s, t1, "reading_notes", "红楼梦", NOTES[1])
    writing.add_writing(s, t1, "reading_notes", "《平凡的世界》", NOTES[2])  # another book still counts
    assert quota_done(t1, s, "books") == 2


def test_one_papers_versions_under_titles_spelt_differently_are_one_paper(school):
    s, staff = school
    t1 = staff["t1"]
    writing.add_writing(s, t1, "paper", "大单元教学初探", prose(3200, "单元"))
    writing.add_writing(s, t1, "paper", "《大单元教学初探》", prose(3500, "整体设计与评价"))
    assert quota_done(t1, s, "paper") == 1
    writing.add_writing(s, t1, "paper", "作业设计的分层", prose(3200, "分层作业"))
    assert quota_done(t1, s, "paper") == 2
