"""The writing page of a year that was not the teacher's (joined after it was over) says so as
home does, instead of listing that year's writing quotas as not met."""

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
    assert f"{PAST} 学年结束时，您不在本校任教" in page
    now = client.get("/writing").get_data(as_text=True)  # this year is theirs: its quotas
    assert 'data-testid="quota-list"' in now and 'data-testid="joined-after-year"' not in now
