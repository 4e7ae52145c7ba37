"""An adjustment above any figure (1e9, 1000) is refused with the participant's own most, as one
just above it is: the reviewer read "at most 999.5 hours" for a 2-hour lecture, a figure no
rule allows, on the review page (the API's schema bounds its numbers first)."""

from __future__ import annotations

import pytest

from portal.errors import Invalid
from portal.extensions import db
from portal.models import Activity
from tests.credits.helpers import credited
from tests.support import factories as f


@pytest.mark.parametrize("hours", ["1e9", "1000", 10**12])
def test_an_adjustment_above_any_figure_names_the_participants_most(s1, staff, hours):
    t1, t2, rev = staff["t1"], staff["t2"], staff["reviewer"]
    act = credited(s1, staff, "lecture", [(t1, "speaker"), (t2, "attendee")], hours="2", until="held")
    with pytest.raises(Invalid) as err:
        f.fire(act, rev, "approve", "补记学时", hours={str(t2.id): hours})
    assert {k: v.english for k, v in err.value.fields["hours"].items()} == {str(t2.id): "at most 2 hours"}
    assert "at most 2 hours" in err.value.message
    db.session.rollback()
    assert db.session.get(Activity, act.id).state == "held"
