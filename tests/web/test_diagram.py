"""The workflow diagram's geometry: every label readable, none over a state box or another label,
for the core workflow and every installed type, in both languages."""

from __future__ import annotations

import pytest

from portal.registry import registry
from portal.web.diagram import EDGE_FONT, Diagram, build, text_width
from workflows.definition import CORE


def _label_rect(diagram: Diagram, i: int) -> tuple[float, float, float, float]:
    e = diagram.edges[i]
    half = text_width(e.label, EDGE_FONT) / 2
    return (e.label_x - half, e.label_y - EDGE_FONT, e.label_x + half, e.label_y + 3)


def _overlap(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _check(diagram: Diagram) -> None:
    boxes = [(b.x, diagram.top, b.x + diagram.box_w, diagram.top + diagram.box_h) for b in diagram.boxes]
    labels = [_label_rect(diagram, i) for i in range(len(diagram.edges))]
    for i, lab in enumerate(labels):
        name = diagram.edges[i].trigger
        assert 0 <= lab[0] and lab[2] <= diagram.width, f"{name} label leaves the drawing sideways"
        assert 0 <= lab[1] and lab[3] <= diagram.height, f"{name} label leaves the drawing vertically"
        for box, b in zip(boxes, diagram.boxes, strict=True):
            assert not _overlap(lab, box), f"{name} label lies over the {b.name} box"
        for j in range(i + 1, len(labels)):
            assert not _overlap(lab, labels[j]), f"{name} label overlaps {diagram.edges[j].trigger}"
    for a, b in zip(diagram.boxes, diagram.boxes[1:], strict=False):
        assert a.x + diagram.box_w < b.x
    for b in diagram.boxes:
        label_w = text_width(b.label, 14)
        assert label_w + 8 <= diagram.box_w, f"{b.label} does not fit its box"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_core_labels_never_overlap_boxes_or_each_other(lang):
    _check(build(CORE, "held", lang))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_installed_type_draws_cleanly(app, lang):
    keys = registry().keys()
    assert keys
    for key in keys:
        _check(build(registry().get(key).engine.definition, None, lang))


def test_the_hold_label_sits_in_the_gap_between_planned_and_held():
    d = build(CORE, "planned", "zh")
    hold = next(e for e in d.edges if e.trigger == "hold")
    planned, held = d.boxes[0], d.boxes[1]
    left, _top, right, _bottom = _label_rect(d, d.edges.index(hold))
    assert planned.x + d.box_w < left and right < held.x
    assert d.focus_x == planned.x + d.box_w // 2


def test_a_phone_scrolls_the_diagram_instead_of_shrinking_it(as_user, site):
    from sqlalchemy import select

    from portal.extensions import db
    from portal.models import Activity

    with site.app_context():
        act = db.session.execute(select(Activity).where(Activity.state == "held")).scalars().first()
        act_id, definition = act.id, registry().get(act.type_key).engine.definition
    html = as_user("reviewer").get(f"/activities/{act_id}").get_data(as_text=True)
    d = build(definition, "held", "zh")
    assert f'width="{d.width}" height="{d.height}"' in html  # natural size, not width 100%
    assert "data-workflow-scroll" in html and 'data-testid="workflow-hint"' in html
