"""``bench/queue_pages.py``: the reviewers' queues and the links they offer recorded with the CSRF
token masked, the same twice for one tree, and a changed page named (BENCHMARKS round 58's
before/after comparison)."""

from __future__ import annotations

from bench import cold_homes, queue_pages


def test_the_reviewers_queues_are_recorded_the_same_twice_and_a_change_is_named(app, demo):
    app.config["WTF_CSRF_ENABLED"] = True  # as served: the token is in the page, and masked
    people = queue_pages.reviewers(app, per_school=2)
    assert people
    first = queue_pages.queues(app, people, most=6)
    again = queue_pages.queues(app, people, most=6)
    assert cold_homes.differences(first, again) == []
    shown = [k for k, (status, _loc, _body) in first.items() if status == 200]
    # the queue's own links were followed (not only /review and the refused values), in both languages
    assert any("/review?" in k.split(" ", 2)[2] and not any(r in k for r in queue_pages.REFUSED) for k in shown)
    assert {k.split(" ")[1] for k in shown} == {"zh", "en"}
    assert {first[k][0] for k in first if k.endswith(queue_pages.REFUSED)} <= {422, 403}
    assert all('value="-"' in first[k][2] for k in shown if 'name="csrf_token"' in first[k][2])
    changed = {**again, shown[0]: [200, None, again[shown[0]][2].replace("</h1>", "!</h1>", 1)]}
    assert cold_homes.differences(first, changed) == [shown[0]]
