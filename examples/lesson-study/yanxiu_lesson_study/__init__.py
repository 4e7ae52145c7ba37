"""同课异构 Lesson study: an out-of-tree activity type of the Yanxiu portal, built only from
``docs/plugins.md`` and the facade (:class:`portal.facade.Portal`).

* the type (``lesson_study.py``): teacher A and teacher B teach the same lesson, observers
  watch; a ``reflected`` state between held and reviewed (the owner fires ``reflect``, a
  reviewer then approves);
* its own table of observation notes (``notes.py``) and Alembic branch (``migrations``);
* its own page at ``/x/lesson_study/activities/<id>/notes`` (``views.py``);
* its own command ``flask lesson-study notes ACTIVITY_ID`` (``commands.py``).
"""

from __future__ import annotations

from pathlib import Path

from portal.hookspecs import CONTRACT_VERSION, hookimpl
from yanxiu_lesson_study.lesson_study import LessonStudy

if tuple(int(x) for x in CONTRACT_VERSION.split(".")) < (1, 21) or CONTRACT_VERSION.split(".")[0] != "1":
    # 1.16: Portal.year_locked and ActivitySnapshot.school_year / semester (no note in a locked year);
    # 1.21: Portal.said (the command's refusals, Chinese then English)
    raise ImportError(f"written for plugin contract 1.21+ (1.x), the portal has {CONTRACT_VERSION}")

__version__ = "1.0.0"
HERE = Path(__file__).resolve().parent


@hookimpl
def portal_activity_types() -> list[LessonStudy]:
    return [LessonStudy()]


@hookimpl
def portal_migration_dirs() -> list[str]:
    return [str(HERE / "migrations" / "versions")]


@hookimpl
def portal_register_routes(portal):
    from yanxiu_lesson_study.views import make_blueprint

    return make_blueprint(portal)


@hookimpl
def portal_register_commands(cli, portal) -> None:
    from yanxiu_lesson_study.commands import register

    register(cli, portal)
