"""Bad query arguments on the district's pages are refused with the reason, never shown as
something else.

Audit: ``/district/submissions?status=acepted`` (a typo) showed the submissions waiting under
the "submitted" tab, and ``?page=0`` or ``?page=x`` on the queue and the dashboard showed the
first page, where the API refuses both (422) and a bad year on the same pages is refused."""

from __future__ import annotations

import html

import pytest

from portal.services import tokens
from tests.credits.helpers import login
from tests.district.conftest import YEAR


@pytest.mark.parametrize(("path", "expected"), [
    ("/district/submissions?status=acepted", "报送列表中没有“acepted”这一状态"),
    ("/district/submissions?status=submitted&page=0", "此页链接无效"),
    ("/district/submissions?page=x", "此页链接无效"),
    (f"/district/dashboard?year={YEAR}&page=-1", "此页链接无效"),
    (f"/district/dashboard?year={YEAR}&page=1234567", "此页链接无效"),
])
def test_a_bad_argument_is_refused_with_its_reason(app, world, path, expected):
    r = login(app.test_client(), world.reviewer1).get(path)
    assert r.status_code == 422 and expected in html.unescape(r.get_data(as_text=True))


def test_good_arguments_still_show_the_page(app, world):
    page = login(app.test_client(), world.reviewer1)
    assert page.get("/district/submissions?status=accepted&page=2").status_code == 200  # past the last: empty
    assert page.get(f"/district/dashboard?year={YEAR}&page=1").status_code == 200
    head = {"Authorization": f"Bearer {tokens.issue(world.reviewer1).token}"}
    body = app.test_client().get("/api/v1/district/submissions?status=acepted", headers=head)
    assert body.status_code == 422
