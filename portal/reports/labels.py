"""Column headings and status labels of the exports, in both languages.

An export's language is a parameter of the export (the district's forms are Chinese whoever
downloads them, and the CLI has no viewer), so these pairs are chosen by ``lang`` rather than
by the viewer's locale, the same way plugin labels are (``activity_types.Text``).
"""

from __future__ import annotations

from portal.assessment import EXEMPT, MET, NOT_RECOGNISED, SHORT

HEADINGS: dict[str, tuple[str, str]] = {
    "school_code": ("学校代码", "School code"),
    "school": ("学校", "School"),
    "year": ("学年", "School year"),
    "username": ("账号", "Username"),
    "name": ("姓名", "Name"),
    "total": ("合计学时", "Total hours"),
    "required": ("应修学时", "Required hours"),
    "absent_1": ("第一学期无故缺勤学时", "Unexcused absence, semester 1"),
    "absent_2": ("第二学期无故缺勤学时", "Unexcused absence, semester 2"),
    "status": ("考核结果", "Status"),
    "note": ("说明", "Note"),
    "semester": ("学期", "Semester"),
    "activity_id": ("活动编号", "Activity no."),
    "activity": ("活动名称", "Activity"),
    "type": ("活动类型", "Type"),
    "role": ("角色", "Role"),
    "hours": ("学时", "Hours"),
    "kind": ("类别", "Kind"),
    "remark": ("备注", "Remark"),
    "date": ("日期", "Date"),
    "no": ("序号", "No."),
    "attended": ("实到学时", "Hours attended"),
    "credited": ("认定学时", "Hours credited"),
    # certificate header block
    "certificate": ("学分认定表", "Credit certification form"),
    "activity_date": ("活动时间", "Held on"),
    "planned_hours": ("计划学时", "Planned hours"),
    "reviewer": ("审核人", "Reviewer"),
    "approved_at": ("审核日期", "Approved on"),
    "posted_by": ("认定人", "Credits posted by"),
    "credited_at": ("认定日期", "Credited on"),
    "total_credited": ("认定学时合计", "Total hours credited"),
    "summary": ("学时汇总", "Summary"),
    "ledger": ("学时明细", "Ledger"),
}

STATUS: dict[str, tuple[str, str]] = {
    MET: ("达标", "Met"),
    SHORT: ("未达标", "Short"),
    NOT_RECOGNISED: ("不予认定", "Not recognised"),
    EXEMPT: ("免于考核", "Exempt"),
}

KIND: dict[str, tuple[str, str]] = {"credit": ("认定", "Credit"), "reversal": ("撤销", "Reversal")}

REASONS: dict[str, tuple[str, str]] = {
    "retirement_age": ("临近退休（女50周岁、男55周岁），不参加考核", "Near retirement (women 50, men 55): not assessed"),
    "absent_semester_1": ("第一学期无故缺勤达到上限", "Unexcused absence limit reached in semester 1"),
    "absent_semester_2": ("第二学期无故缺勤达到上限", "Unexcused absence limit reached in semester 2"),
}


def norm_lang(lang: str | None) -> str:
    return "en" if (lang or "").lower().startswith("en") else "zh"


def pick(pair: tuple[str, str], lang: str) -> str:
    return pair[1] if norm_lang(lang) == "en" else pair[0]


def heading(key: str, lang: str) -> str:
    return pick(HEADINGS[key], lang)


def status_label(status: str, lang: str) -> str:
    return pick(STATUS[status], lang) if status in STATUS else status


def reason_label(reason: str, lang: str) -> str:
    """A policy's reason code in words; a school admin's exemption reason as written."""
    return pick(REASONS[reason], lang) if reason in REASONS else reason
