"""A district's floors of the school's rules counted in hours: checked by the school rule's own
declaration (``Setting(hours=True)``), in its words, not on their own (0 to 1000, then "hours go
in steps of 0.5"); see ``tests/web/test_hour_rules_by_the_one_check.py``."""

from __future__ import annotations

import pytest

from portal.errors import Invalid
from portal.services import districts
from tests.district.test_defaults import _dadmin
from tests.web.test_hour_rules_by_the_one_check import WORDS


@pytest.mark.parametrize("bad", [50.3, 1000])
def test_a_district_sets_its_floors_by_the_same_check(world, bad):  # noqa: F811
    with pytest.raises(Invalid) as refused:
        districts.update_settings(world.d1, {"required_hours": bad}, by=_dadmin(world))
    assert refused.value.fields["required_hours"].english == WORDS
    assert world.d1.settings == {}
