"""Activities left in a state their type's installed workflow does not declare.

A plugin that added a state (``reflected``, say) was removed, or a new version of it dropped
the state, while activities still stood in it. The core cannot tell what such a state means,
so it takes it as closed (:meth:`workflows.definition.WorkflowDefinition.phase`): the activity
is read-only, leaves the review queue and its absences stop counting for the year. Nothing is
rewritten: the operator (``flask plugins list``) and the school admin (the plugins page) are
told which activities stand so, and reinstalling the plugin puts them back as they were.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Activity
from portal.registry import registry


@dataclass(frozen=True)
class Stranded:
    """``count`` activities of type ``type_key`` stand in ``state``, which it does not declare."""

    type_key: str
    state: str
    count: int


def stranded(school_id: int | None = None) -> list[Stranded]:
    """Every (type, state) of the school's activities (of all schools: ``None``) that the type's
    installed workflow lacks, by type then state. One grouped statement: a school has a handful
    of pairs."""
    statement = select(Activity.type_key, Activity.state, func.count()).group_by(Activity.type_key, Activity.state)
    if school_id is not None:
        statement = statement.where(Activity.school_id == school_id)
    reg = registry()
    found = [Stranded(key, state, count) for key, state, count in db.session.execute(statement)
             if not reg.declares(key, state)]
    return sorted(found, key=lambda s: (s.type_key, s.state))
