"""The workflow of a type as an SVG drawn on the server, with the current state marked.

States sit in a row in definition order; a transition to the next state is a straight
arrow, any other is an arc (forward above the row, backward below it). Labels are the
zh/en texts of the definition.
"""

from __future__ import annotations

from dataclasses import dataclass

from workflows.definition import WorkflowDefinition

BOX_W, BOX_H, GAP, TOP = 120, 40, 50, 30


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
    box_w: int = BOX_W
    box_h: int = BOX_H
    top: int = TOP


def build(definition: WorkflowDefinition, current: str | None, lang: str) -> Diagram:
    en = lang == "en"
    order = [s.name for s in definition.states]
    index = {name: i for i, name in enumerate(order)}
    boxes = [
        Box(s.name, s.label_en if en else s.label_zh, 10 + i * (BOX_W + GAP), s.name == current)
        for i, s in enumerate(definition.states)
    ]
    ups = sum(
        1 for t in definition.transitions for src in t.sources if index[t.dest] > index[src] + 1
    )
    top = 30 + 22 * ups
    edges: list[Edge] = []
    lanes_up = lanes_down = 0
    for t in definition.transitions:
        label = t.label_en if en else t.label_zh
        for src in t.sources:
            a, b = index[src], index[t.dest]
            ax = 10 + a * (BOX_W + GAP)
            bx = 10 + b * (BOX_W + GAP)
            mid_y = top + BOX_H // 2
            if b == a + 1:
                x1, x2 = ax + BOX_W, bx
                edges.append(Edge(t.trigger, label, f"M{x1},{mid_y} L{x2 - 2},{mid_y}", (x1 + x2) // 2, mid_y - 6, True))
            elif b > a:
                lanes_up += 1
                lift = 25 + 22 * lanes_up
                x1, x2 = ax + BOX_W // 2 + 10, bx + BOX_W // 2 - 10
                cy = top - lift
                edges.append(Edge(t.trigger, label, f"M{x1},{top} C{x1},{cy} {x2},{cy} {x2},{top - 2}", (x1 + x2) // 2, cy + 14, False))
            else:
                lanes_down += 1
                drop = 25 + 22 * lanes_down
                x1, x2 = ax + BOX_W // 2 - 10, bx + BOX_W // 2 + 10
                bottom = top + BOX_H
                cy = bottom + drop
                if a == b:
                    x2 = x1 + 20
                edges.append(Edge(t.trigger, label, f"M{x1},{bottom} C{x1},{cy} {x2},{cy} {x2},{bottom + 2}", (x1 + x2) // 2, cy - 4, False))
    width = 20 + len(order) * (BOX_W + GAP) - GAP
    height = top + BOX_H + 40 + 22 * max(lanes_down, 1) + 10
    return Diagram(width, height, boxes, edges, top=top)
