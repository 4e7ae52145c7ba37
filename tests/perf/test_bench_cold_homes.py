"""``bench/cold_homes.py``: every user's cold home recorded with its CSRF token masked, the same
twice for one tree, and a changed page named (BENCHMARKS round 57's before/after comparison)."""

from __future__ import annotations

import re

from bench import cold_homes


def test_every_users_home_is_recorded_the_same_twice_and_a_change_is_named(app, demo):
    app.config["WTF_CSRF_ENABLED"] = True  # as served: the token is in the page, and masked
    first = cold_homes.homes(app)
    again = cold_homes.homes(app)
    assert cold_homes.differences(first, again) == []
    teachers = [k for k, (status, _loc, _body) in first.items() if status == 200]
    assert len(teachers) >= 10 and {k.split(" ")[1] for k in first} == {"?lang=zh", "?lang=en"}
    tokens = [re.findall(r'name="csrf_token"[^>]*value="([^"]*)"', first[k][2]) for k in teachers]
    assert all(found and set(found) == {"-"} for found in tokens)  # each page's token, masked
    changed = {**again, teachers[0]: [200, None, again[teachers[0]][2].replace("</h1>", "!</h1>", 1)]}
    del changed[teachers[1]]
    assert cold_homes.differences(first, changed) == sorted(teachers[:2])
