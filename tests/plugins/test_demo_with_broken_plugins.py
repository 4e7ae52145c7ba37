"""``flask demo`` (and so ``make run``) with a broken plugin installed: the plugin's type is left
out of the demo data and reported with the plugin's name; every other type gets its demo as
without it. A type's samples are its plugin's code, asked across the plugin's boundary."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from sqlalchemy import select
from wtforms import Form, IntegerField
from wtforms.validators import InputRequired

from portal.activity_types import ActivityType, SampleProfile
from portal.demo import gathering_types, load_demo
from portal.extensions import db
from portal.models import Activity
from portal.registry import registry
from tests.plugins.test_request_time_failures import Plugin, one_role_type, raising


def _demo_with(make_app, plugin: str, type_: ActivityType) -> tuple[Counter[str], list[Any], list[str]]:
    """Load the demo with ``type_``'s plugin installed: activities by type, the plugin's
    failures as reported, and the keys of the demo's gathering types."""
    app = make_app(EXTRA_PLUGINS=[(plugin, Plugin(type_))])
    with app.app_context():
        load_demo()
        by_type = Counter(db.session.execute(select(Activity.type_key)).scalars())
        failures = [f for f in registry().plugins.failures if f.plugin == plugin]
        return by_type, failures, [reg.decl.key for reg in gathering_types()]


@pytest.fixture
def demo_as_usual(make_app) -> tuple[Counter[str], list[str]]:
    """The demo with the built-in plugins only (the template database): its activities by type
    and the keys of its gathering types."""
    app = make_app(demo=True)
    with app.app_context():
        return (Counter(db.session.execute(select(Activity.type_key)).scalars()),
                [reg.decl.key for reg in gathering_types()])


class _Fields(Form):
    seats = IntegerField("座位数", validators=[InputRequired()])


def _type_whose_samples_fail_its_form() -> ActivityType:
    # its sample leaves out the field its own form requires: planning the sample is refused
    return one_role_type("demo_form", "工作坊", "Workshop", form=_Fields, sample_details=lambda self: {"topic": "x"})


CASES = {
    "raises": (one_role_type("demo_raise", "读书沙龙", "Book salon", sample_details=raising("sample exploded")),
               "sample_details of activity type 'demo_raise' raised RuntimeError: sample exploded; "
               "the demo data went on without the type"),
    "not a mapping": (one_role_type("demo_list", "名师讲堂", "Master class",
                                    sample_details=lambda self: ["topic", "x"]),
                      "sample_details of activity type 'demo_list' raised TypeError: answered ['topic', 'x'], "
                      "not a mapping of details by field name; the demo data went on without the type"),
    "refused by its own form": (_type_whose_samples_fail_its_form(),
                                "the demo activities of activity type 'demo_form' could not be made"),
}


def test_a_type_whose_workflow_fails_halfway_keeps_what_was_made_and_is_reported(make_app, demo_as_usual):
    """Its credit rule raises when the reviewer approves: the activities before that step stay
    as the services made them, the rest of the type's demo is not made, every other type's is."""
    usual, usual_gathering = demo_as_usual
    type_ = one_role_type("demo_half", "教研沙龙", "Research salon", sample_details=lambda self: {},
                          credit_hours=raising("credit rule exploded"))
    by_type, failures, gathering = _demo_with(make_app, "broken_half", type_)
    assert 0 < by_type["demo_half"] < usual["lecture"]  # some made, not all the phases
    assert {k: n for k, n in by_type.items() if k != "demo_half"} == dict(usual)
    errors = [f.error for f in failures]  # the rule's failure where it raised, then what the demo left out
    assert errors[0].startswith("credit_hours of activity type 'demo_half' raised RuntimeError: credit rule exploded")
    assert errors[1].startswith("the demo activities of activity type 'demo_half' could not be made"), errors
    assert gathering == usual_gathering


@pytest.mark.parametrize("case", list(CASES))
def test_a_broken_type_is_left_out_of_the_demo_and_reported(make_app, demo_as_usual, case):
    type_, reported = CASES[case]
    usual, usual_gathering = demo_as_usual
    by_type, failures, gathering = _demo_with(make_app, f"broken_{type_.key}", type_)
    assert by_type.get(type_.key, 0) == 0
    assert {k: n for k, n in by_type.items() if k != type_.key} == dict(usual)  # the rest as usual
    assert len(failures) == 1 and failures[0].error.startswith(reported), failures
    assert gathering == usual_gathering  # the built-ins' events for the whole staff, as without it


def test_a_sample_profile_that_raises_is_reported_and_the_type_not_used_for_the_whole_staff(make_app):
    type_ = one_role_type("demo_profile", "双师同课", "Same lesson, two teachers",
                          sample_details=lambda self: {}, sample_profile=raising("profile exploded"))
    by_type, failures, gathering = _demo_with(make_app, "broken_profile", type_)
    assert failures and failures[0].error.startswith(
        "sample_profile of activity type 'demo_profile' raised RuntimeError: profile exploded")
    assert by_type["demo_profile"] > 0  # its details were fine: its demo activities were made
    assert "demo_profile" not in gathering  # reported failing: not used for the district's talks


@pytest.mark.parametrize(("make", "problem"), [
    (lambda: SampleProfile(5, ("a", "b"), (1, 2)), "group ('a', 'b') is not (min, max) shares of the staff from 0 to 1"),
    (lambda: SampleProfile(5, (0.6, 0.2), (1, 2)), "group (0.6, 0.2) is not (min, max) shares of the staff from 0 to 1"),
    (lambda: SampleProfile(float("nan"), (0.1, 0.2), (1, 2)), "per_100_teachers nan is not a number above 0 and at most 200"),
    (lambda: SampleProfile(10**6, (0.1, 0.2), (1, 2)), "per_100_teachers 1000000 is not a number above 0 and at most 200"),
    (lambda: SampleProfile(5, (0.1, 0.2), (0, 2)), "hours (0, 2) is not (min, max) hours from 0.5 to 999.5"),
])
def test_a_sample_profile_out_of_bounds_is_reported_and_the_demo_goes_on(make_app, demo_as_usual, make, problem):
    """Contract 1.20: a profile is checked when it is made. The demo sorts the types by their
    profile's share of the staff outside the plugin's boundary: a share that was no number
    (``("a", "b")``) raised there and stopped ``flask demo`` for every type; a million activities
    per 100 teachers would have had the generated district data run for ever."""
    type_ = one_role_type("demo_volumes", "双师课堂", "Two-teacher lesson", sample_details=lambda self: {},
                          sample_profile=lambda self: make())
    usual, usual_gathering = demo_as_usual
    by_type, failures, gathering = _demo_with(make_app, "broken_volumes", type_)
    assert [f.error for f in failures][0] == (f"sample_profile of activity type 'demo_volumes' raised ValueError: "
                                              f"SampleProfile: {problem}; the demo data went on without the type")
    assert {k: n for k, n in by_type.items() if k != "demo_volumes"} == dict(usual)
    assert "demo_volumes" not in gathering and gathering == usual_gathering


def test_the_messages_are_in_the_chinese_catalogue():
    from portal.i18n import _core_catalog
    from portal.plugin_data import M_DEMO_TYPE, M_TYPE_DEMO

    catalog = _core_catalog("zh_Hans_CN")
    for message in (M_TYPE_DEMO, M_DEMO_TYPE):
        assert catalog.get(message), message
        assert "%(key)s" in catalog[message] and "%(error)s" in catalog[message]

