"""The outlook of a school year closed to credits (``transitions.may_credit_in``: this year and the
last one are open) promises nothing: an approved activity of it whose credits were never posted
brings no hours now (the credit step is refused, ``credit.year_over``), yet the teacher's outlook
(``GET /api/v1/me/outlook?year=``; the home shows no outlook for a past year) listed it as hours to
come. The last year's, still open, is listed."""

from __future__ import annotations

from datetime import UTC, datetime

from portal.demo import DEMO_PASSWORD
from tests.web.test_queue_leftovers import approved_back_then


def _outlook(site, year: str) -> dict:
    api = site.test_client()
    token = api.post("/api/v1/auth/token", json={"username": "teacher1", "password": DEMO_PASSWORD}).get_json()["token"]
    r = api.get(f"/api/v1/me/outlook?year={year}", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def test_an_approved_activity_of_a_year_closed_to_credits_brings_no_hours(site, time_machine):
    closed = approved_back_then(site, time_machine)  # 2024-2025: closed to credits in December 2026
    last = approved_back_then(site, time_machine, start=datetime(2026, 3, 10, 6, 0, tzinfo=UTC))  # 2025-2026
    before = _outlook(site, "2024-2025")
    assert closed not in [p["activity_id"] for p in before["pending"]], before
    assert before["pending_hours"] == 0 and before["outlook"] != "on_track"
    still = _outlook(site, "2025-2026")  # the last year's approved activity still posts its hours
    hours = [p["hours"] for p in still["pending"] if p["activity_id"] == last]
    assert len(hours) == 1 and hours[0] > 0, still
