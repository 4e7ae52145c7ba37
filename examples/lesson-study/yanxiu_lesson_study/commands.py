"""``flask lesson-study …``: the plugin's own commands (run as the operator, in an app context)."""

from __future__ import annotations

import click

from portal.activity_types import Text
from yanxiu_lesson_study.notes import notes_of


def register(cli: click.Group, portal) -> None:
    @cli.group("lesson-study")
    def group() -> None:
        """同课异构 Lesson study: observation notes."""

    @group.command("notes")
    @click.argument("activity_id", type=int)
    def notes(activity_id: int) -> None:
        """Print the observation notes of lesson study ACTIVITY_ID (one per line: time, author, note)."""
        school_id = portal.activity_school_id(activity_id)
        if school_id is None:
            # a refusal as the portal's commands say theirs: Chinese then English, one line (1.21)
            raise click.ClickException(portal.said(Text(f"未找到活动 {activity_id}", f"activity {activity_id} not found")))
        act = portal.activity(activity_id, school_id=school_id)
        if act.type_key != "lesson_study":
            raise click.ClickException(portal.said(Text(f"活动 {activity_id} 不是同课异构活动",
                                                        f"activity {activity_id} is not a lesson study")))
        names = {p.user_id: p.name for p in portal.participants(act.id)}
        rows = notes_of(portal, act.id)
        for n in rows:
            click.echo(f"{n.written_at:%Y-%m-%d %H:%M}\t{names.get(n.user_id, n.user_id)}\t{n.body}")
        click.echo(f"{len(rows)} note(s)", err=True)
