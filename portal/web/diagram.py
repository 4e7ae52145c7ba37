"""The workflow of a type as an SVG drawn on the server, with the current state marked.

States sit in a row in phase order (``WorkflowDefinition.ordered_states``); a transition to the next state is a straight
arrow with its label above it in the gap, any other is an arc (forward above the row,
backward below it, shorter arcs on inner lanes). Boxes and gaps are sized from the label
texts, so no label ever lies over a box; the SVG keeps this natural size and the page
scrolls it sideways on a narrow screen instead of shrinking the text.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from flask import current_app
from markupsafe import Markup

from portal.i18n import lang_code
from portal.once import KeptPer
from workflows.definition import WorkflowDefinition

STATE_FONT, EDGE_FONT = 14, 12  # px, as in portal.css
PAD = 10  # margin around the drawing
BOX_H = 40
MIN_BOX_W, MIN_GAP = 96, 44
LANE = 24  # vertical distance between two arcs on the same side
FIRST_LANE = 26  # how far the innermost arc reaches from the row
LABEL_SPACE = 4  # between an arc and its label


def text_width(text: str, size: float) -> float:
    """A safe estimate of rendered width: CJK (wide) characters are one em, others 0.62 em."""
    return sum(size if unicodedata.east_asian_width(c) in "WF" else size * 0.62 for c in text)


@dataclass
class Box:
    name: str
    label: str
    x: int
    current: bool


@dataclass
class Edge:
    trigger: str
    label: str
    path: str
    label_x: int
    label_y: int
    straight: bool


@dataclass
class Diagram:
    width: int
    height: int
    boxes: list[Box]
    edges: list[Edge]
    box_w: int = MIN_BOX_W
    box_h: int = BOX_H
    top: int = PAD

    @property
    def focus_x(self) -> int:
        """Centre of the current state's box (where a scrolled view should start)."""
        for b in self.boxes:
            if b.current:
                return b.x + self.box_w // 2
        return 0


@dataclass
class _Link:
    trigger: str
    label: str
    a: int  # source index
    b: int  # dest index


def build(definition: WorkflowDefinition, current: str | None, lang: str) -> Diagram:
    en = lang == "en"
    states = definition.ordered_states()  # phase order: a plugin's state sits where it means
    order = [s.name for s in states]
    index = {name: i for i, name in enumerate(order)}
    state_labels = [s.label_en if en else s.label_zh for s in states]
    links = [
        _Link(t.trigger, t.label_en if en else t.label_zh, index[src], index[t.dest])
        for t in definition.transitions
        for src in t.sources
    ]
    straight = [link for link in links if link.b == link.a + 1]
    ups = sorted((link for link in links if link.b > link.a + 1), key=lambda k: k.b - k.a)
    downs = sorted((link for link in links if link.b <= link.a), key=lambda k: k.a - k.b)

    box_w = int(max([MIN_BOX_W] + [text_width(s, STATE_FONT) + 24 for s in state_labels]))
    gap = int(max([MIN_GAP] + [text_width(k.label, EDGE_FONT) + 20 for k in straight]))
    width = 2 * PAD + len(order) * box_w + (len(order) - 1) * gap

    def reach(lane: int) -> int:  # lane 0 is the innermost
        return FIRST_LANE + LANE * lane

    top = PAD + (reach(len(ups) - 1) + LABEL_SPACE + EDGE_FONT + 2 if ups else 0)
    bottom = top + BOX_H
    mid_y = top + BOX_H // 2

    def left(i: int) -> int:
        return PAD + i * (box_w + gap)

    def centre(i: int) -> int:
        return left(i) + box_w // 2

    def label_x(x: float, label: str) -> int:
        """Keep a label inside the drawing."""
        half = text_width(label, EDGE_FONT) / 2
        return int(min(max(x, PAD + half), width - PAD - half))

    edges: list[Edge] = []
    for k in straight:
        x1, x2 = left(k.a) + box_w, left(k.b)
        path = f"M{x1},{mid_y} L{x2 - 2},{mid_y}"
        edges.append(Edge(k.trigger, k.label, path, (x1 + x2) // 2, mid_y - 6, True))
    for lane, k in enumerate(ups):
        h = reach(lane)
        ctrl = top - round(h / 0.75)  # a cubic with both control points at ctrl peaks at 3/4 of it
        x1, x2 = centre(k.a) + 10, centre(k.b) - 10
        path = f"M{x1},{top} C{x1},{ctrl} {x2},{ctrl} {x2},{top - 2}"
        edges.append(Edge(k.trigger, k.label, path, label_x((x1 + x2) / 2, k.label), top - h - LABEL_SPACE, False))
    for lane, k in enumerate(downs):
        d = reach(lane)
        ctrl = bottom + round(d / 0.75)
        if k.a == k.b:  # a loop back into the same state, on the left half of its box
            x1, x2 = centre(k.a) - 38, centre(k.a) - 14
        else:
            x1, x2 = centre(k.a) - 10, centre(k.b) + 10
        path = f"M{x1},{bottom} C{x1},{ctrl} {x2},{ctrl} {x2},{bottom + 2}"
        baseline = bottom + d + LABEL_SPACE + EDGE_FONT
        edges.append(Edge(k.trigger, k.label, path, label_x((x1 + x2) / 2, k.label), baseline, False))

    height = bottom + (reach(len(downs) - 1) + LABEL_SPACE + EDGE_FONT + 4 if downs else 0) + PAD
    boxes = [
        Box(s.name, state_labels[i], left(i), s.name == current) for i, s in enumerate(states)
    ]
    return Diagram(width, height, boxes, edges, box_w=box_w, top=top)


_svgs: KeptPer[Markup] = KeptPer(512)  # (workflow, state, language); a school has a few types of ~8 states


def svg(definition: WorkflowDefinition, current: str | None) -> Markup:
    """The drawing as the activity page shows it (``activities/_diagram.html``) in the viewer's
    language, drawn once per workflow, state and language: a pure function of the type's code,
    not of the viewer or the activity's data, so later pages reuse it instead of laying out and
    rendering some thirty SVG elements again (``once.KeptPer``: keyed by the definition's
    identity, its guards make it unhashable)."""
    lang = lang_code()  # the labels' language and the template's gettext: the same locale
    return _svgs.get(definition, (current, lang), lambda: Markup(
        current_app.jinja_env.get_template("activities/_diagram.html").render(
            diagram=build(definition, current, lang), state=current
        )
    ))
