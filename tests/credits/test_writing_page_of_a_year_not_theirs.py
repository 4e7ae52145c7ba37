"""My writing and the API's /me/writing and /me/outlook of a year that was not the teacher's
(not on the staff when it was over) say so as home does, instead of assessing it."""

from __future__ import annotations

from tests.credits.helpers import login
from tests.credits.test_joined_after_the_year import PAST, people, prepared  # noqa: F401  (fixtures)


def test_the_writing_page_of_a_year_not_theirs_lists_no_quotas(app, s1, people):  # noqa: F811
    new = people["new"]
    client = login(app.test_client(), new, s1)
    home = client.get(f"/?year={PAST}").get_data(as_text=True)
    page = client.get(f"/writing?year={PAST}").get_data(as_text=True)
    assert 'data-testid="quota' not in home
    assert 'data-testid="quota' not in page and 'data-testid="joined-after-year"' in page
    assert f"{PAST.replace('-', '—')}学年结束时，您不在本校任教" in page  # the year as every page writes it
    now = client.get("/writing").get_data(as_text=True)  # this year is theirs: its quotas
    assert 'data-testid="quota-list"' in now and 'data-testid="joined-after-year"' not in now


def test_the_api_of_a_year_not_theirs_assesses_nothing(app, s1, people):  # noqa: F811
    """/me/writing listed the year's quotas as not met and /me/outlook said 'unreachable', 50 h
    needed, of a year /users/<id>/credits assesses as none of theirs."""
    from portal.services import tokens

    new = people["new"]
    headers = {"Authorization": f"Bearer {tokens.issue(new).token}", "X-School-Id": str(s1.id)}
    client = app.test_client()
    credits_ = client.get(f"/api/v1/users/{new.id}/credits?year={PAST}", headers=headers).get_json()
    writing_ = client.get(f"/api/v1/me/writing?year={PAST}", headers=headers).get_json()
    outlook = client.get(f"/api/v1/me/outlook?year={PAST}", headers=headers).get_json()
    assert credits_["status"] is None and credits_["joined_after_year"] is True
    assert writing_["quotas"] == []  # they were 0 of each, not met
    assert outlook["outlook"] == "not_assessed" and outlook["needed"] == 0  # it was 'unreachable', 50 h needed
    now = client.get("/api/v1/me/outlook", headers=headers).get_json()
    assert now["outlook"] != "not_assessed" and client.get("/api/v1/me/writing", headers=headers).get_json()["quotas"]
