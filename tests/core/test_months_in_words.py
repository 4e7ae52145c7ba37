"""Months in words with the year written once a run of one calendar year's months, where the
language writes it (``portal.i18n.months_text``): a teacher's short reading-note months read
"2026年9月、10月、11月", not the year three times (the summary's warnings ran to nine printed
lines a row and the table past a phone's width)."""

from __future__ import annotations

from datetime import date

import pytest
from flask_babel import force_locale

from portal.i18n import months_text
from portal.year_texts import quota_short


@pytest.mark.parametrize(("locale", "joiner", "months", "expected"), [
    ("zh_Hans_CN", "、", [(2026, 9), (2026, 10), (2026, 11)], ["2026年9月、10月、11月"]),
    ("en", ", ", [(2026, 9), (2026, 10), (2026, 11)], ["September, October, November 2026"]),
    ("zh_Hans_CN", "、", [(2026, 12), (2027, 1), (2027, 3)], ["2026年12月", "2027年1月、3月"]),
    ("en", ", ", [(2027, 1), (2026, 12), (2027, 3)], ["December 2026", "January, March 2027"]),
    ("en", ", ", [(2026, 10), (2026, 10)], ["October 2026"]),
])
def test_a_run_of_one_years_months_names_its_year_once(app, locale, joiner, months, expected):
    with app.test_request_context(), force_locale(locale):
        assert months_text([date(y, m, 1) for y, m in months], joiner) == expected


def test_a_quotas_short_months_across_the_new_year(app):
    quota = {"key": "notes_monthly", "semester": 0, "done": 1, "target": 4, "unit": "months", "met": False,
             "short": ["2026-11", "2026-12", "2027-01"]}
    with app.test_request_context():
        assert quota_short(quota, "zh") == "未达标月份：2026年11月、12月、2027年1月"
        assert quota_short(quota, "en") == "Months short: November, December 2026, January 2027"
