"""The plugin contract of Yanxiu: every hook a plugin can implement.

Plugins are found through the entry-point group ``portal.plugins``; each entry point names a
module (or object) whose functions are marked with :data:`hookimpl`::

    # pyproject.toml
    [project.entry-points."portal.plugins"]
    reading_club = "yanxiu_reading_club"

    # yanxiu_reading_club/__init__.py
    from portal.hookspecs import hookimpl

    @hookimpl
    def portal_activity_types():
        return [ReadingClub()]

Rules (pluggy's): implementations take any *subset* of the arguments below, by name; the
portal always calls hooks with keyword arguments; the last registered plugin is called first.
The built-in types in ``plugins/`` use exactly these hooks and nothing else.

Contract version: :data:`CONTRACT_VERSION`. A new optional hook or argument is a minor bump;
a removed or changed one is a major bump (see ``docs/plugins.md``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from portal.activity_types import ActivityType
    from portal.assessment import Assessment, YearFacts
    from workflows import ActivitySnapshot

CONTRACT_VERSION = "1.1"  # 1.1: activity_types.Setting, ActivityType.declared_settings
PROJECT_NAME = "portal"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


# ---------------------------------------------------------------------------------------
# Activity types
# ---------------------------------------------------------------------------------------


@hookspec
def portal_activity_types() -> list[ActivityType]:
    """Return the activity types this plugin provides.

    Called once when the app is created. Each item is an instance of a subclass of
    :class:`portal.activity_types.ActivityType`; its ``key`` must be unique across every
    installed plugin (a duplicate is refused and reported with both plugins' names).

    :returns: a list of activity types (may be empty).

    Example::

        @hookimpl
        def portal_activity_types():
            return [Lecture()]
    """


# ---------------------------------------------------------------------------------------
# Workflow events
# ---------------------------------------------------------------------------------------


@hookspec
def portal_activity_transitioned(
    activity: ActivitySnapshot, trigger: str, from_state: str, to_state: str, actor_id: int, school_code: str
) -> None:
    """Called after a transition has been committed (state, log row and ledger entries).

    Use it for notifications or to feed another system. It runs after the commit, so it
    cannot undo the transition; an exception here is logged with the plugin's name and
    does not reach the user.

    :param activity: the activity as it is after the transition.
    :param trigger: the trigger fired (``hold``, ``approve``, ``credit`` …).
    :param from_state: the state before.
    :param to_state: the state after.
    :param actor_id: id of the user who fired it.
    :param school_code: the activity's school.

    Example::

        @hookimpl
        def portal_activity_transitioned(activity, trigger, to_state):
            if to_state == "credited":
                notify_district(activity.id)
    """


# ---------------------------------------------------------------------------------------
# Assessment
# ---------------------------------------------------------------------------------------


@hookspec(firstresult=True)
def portal_assess_year(facts: YearFacts) -> Assessment | None:
    """Decide one teacher's status for a school year (``met``, ``short``,
    ``not_recognised``, ``exempt``).

    The first implementation to return an :class:`~portal.assessment.Assessment` wins; the
    built-in default (the seeds' rules: 50 hours, the 5-hour absence rule, the retirement
    age rule, school exemptions) is registered first and so is called last. Return
    ``None`` to leave the decision to the next implementation.

    Decide from ``facts`` (and the plugin's own code) only: the teacher home and the school
    summary are cached until the school's data changes (``portal/page_cache.py``), so an
    answer that read other tables could be shown after those tables changed.

    :param facts: totals from the ledger and attendance for one teacher, school and year.
    :returns: an Assessment, or None.

    Example::

        @hookimpl
        def portal_assess_year(facts):
            if facts.total_hours >= 60:
                return Assessment("met")
            return None
    """


# ---------------------------------------------------------------------------------------
# Packaging: migrations and translations
# ---------------------------------------------------------------------------------------


@hookspec
def portal_migration_dirs() -> list[str]:
    """Return folders holding this plugin's Alembic revisions.

    A plugin with tables ships its revisions as its own branch (``branch_labels``) that
    ``depends_on`` the core's base revision; ``flask db upgrade`` applies the core and every
    installed plugin's branch (upgrade to ``heads``).

    Called when the app is created; ``flask db`` commands add the folders to Alembic's
    ``version_locations``.

    :returns: absolute paths of version folders.

    Example::

        @hookimpl
        def portal_migration_dirs():
            return [str(Path(__file__).parent / "migrations" / "versions")]
    """


@hookspec
def portal_translation_dirs() -> list[str]:
    """Return folders of gettext catalogs (``<dir>/<locale>/LC_MESSAGES/messages.mo``).

    They are added to Flask-Babel's translation directories, so a plugin translates its own
    labels and templates. Called when the app is created.

    :returns: absolute paths.

    Example::

        @hookimpl
        def portal_translation_dirs():
            return [str(Path(__file__).parent / "translations")]
    """


@hookspec
def portal_template_dirs() -> list[str]:
    """Return folders of Jinja templates this plugin renders (for page fragments).

    :returns: absolute paths; templates in them are found by name, so prefix them with
        the plugin's key (``reading_club/notes.html``). They are searched after the core's
        templates, so a plugin cannot replace a core template.

    Example::

        @hookimpl
        def portal_template_dirs():
            return [str(Path(__file__).parent / "templates")]
    """


def all_hook_names() -> list[str]:
    """Names of every hook in this contract (for meta-tests and docs)."""
    return sorted(n for n, v in globals().items() if n.startswith("portal_") and callable(v))


__all__: list[Any] = ["CONTRACT_VERSION", "all_hook_names", "hookimpl", "hookspec"]
