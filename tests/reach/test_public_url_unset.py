"""``PUBLIC_URL`` defaulted to ``http://127.0.0.1:5000``: a development demo served on another
port printed check-in codes and certificate links to port 5000 (the page warned, and the codes
led nowhere). Unset in development, a request's links now take the address the request was made
at — its port, or the machine's address on the network that a phone reaches — and what is built
outside a request ``config.DEV_PUBLIC_URL``. Set, it is kept whatever the request's ``Host``
(``test_checkin``'s forged host); production refuses to start without it
(``tests/production/test_headers_and_config.py``)."""

from __future__ import annotations

import pytest

from portal.config import DEV_PUBLIC_URL
from portal.url_rules import public_base
from tests.reach.helpers import school, user
from tests.reach.test_checkin import _today
from tests.support.sessions import forged_host, log_in


@pytest.mark.parametrize(("host", "warned"), [("127.0.0.1:8000", True), ("192.168.1.20:8000", False)])
def test_an_unset_address_takes_the_requests_own_in_development(make_app, host, warned):
    app = make_app(demo=True, PUBLIC_URL=None)
    with app.app_context():
        act = _today()
        organizer = log_in(app.test_client(), user("organizer"), school().id)
        assert public_base() == DEV_PUBLIC_URL  # a job's links, built outside any request
    state = organizer.get(f"/activities/{act.id}/checkin/screen.json", headers=forged_host(organizer, host)).get_json()
    assert state["url"].startswith(f"http://{host}/checkin/{act.id}/"), state["url"]
    page = organizer.get(f"/activities/{act.id}/checkin/screen", headers={"Host": host}).get_data(as_text=True)
    assert ('data-testid="checkin-local-address"' in page) is warned
    if warned:  # the address it is served at, not port 5000's
        assert f"http://{host}" in page and "5000" not in page.split('data-testid="checkin-local-address"')[1][:600]


def test_a_set_address_is_kept_in_development_too(make_app):
    app = make_app(demo=True, PUBLIC_URL="http://192.168.1.20:5000")
    with app.app_context():
        act = _today()
        organizer = log_in(app.test_client(), user("organizer"), school().id)
    state = organizer.get(f"/activities/{act.id}/checkin/screen.json",
                          headers=forged_host(organizer, "127.0.0.1:8000")).get_json()
    assert state["url"].startswith(f"http://192.168.1.20:5000/checkin/{act.id}/"), state["url"]
