"""读书会 Reading club: an activity type shipped as an out-of-tree plugin of the Yanxiu portal.

Members log reading notes; the club may be marked held only once every member has written
the school's yearly number of characters (default 10,000, from the seeds). Notes come from
two places: typed notes uploaded as ``reading_notes`` evidence on the activity page or the
API, and handwritten notebooks counted by the organizer into this plugin's own table
(:func:`yanxiu_reading_club.notes.log_note`). The guard reads the handwritten totals from
``ctx.data``, which ``portal_transition_data`` below fills through the facade before the
guard runs: the guard itself never touches the database.

The portal finds this module through the ``portal.plugins`` entry point in ``pyproject.toml``
and calls the hooks below; nothing else of the portal is touched.
"""

from __future__ import annotations

from pathlib import Path
from types import MappingProxyType

from portal.hookspecs import CONTRACT_VERSION, hookimpl

from yanxiu_reading_club.notes import logged_chars, notes_of
from yanxiu_reading_club.reading_club import ReadingClub
from yanxiu_reading_club.translations_build import compiled_catalogs

# 1.3: portal_transition_data; 1.23: Setting(hours=True) (its extra hours go by the half hour)
if CONTRACT_VERSION.split(".")[0] != "1" or int(CONTRACT_VERSION.split(".")[1]) < 23:
    raise ImportError(f"written for plugin contract 1.23+ (1.x), the portal has {CONTRACT_VERSION}")

__version__ = "1.0.0"
HERE = Path(__file__).resolve().parent


@hookimpl
def portal_activity_types() -> list[ReadingClub]:
    return [ReadingClub()]


@hookimpl
def portal_transition_data(activity, portal):
    """What the guard and the page need of this plugin's table, read in the portal's transaction."""
    if activity.id is None:
        return None
    return {
        "logged_chars": MappingProxyType(logged_chars(portal.session, activity.id)),
        "notes": MappingProxyType(notes_of(portal.session, activity.id)),
    }


@hookimpl
def portal_migration_dirs() -> list[str]:
    return [str(HERE / "migrations" / "versions")]


@hookimpl
def portal_translation_dirs() -> list[str]:
    return [str(compiled_catalogs(HERE / "translations", f"yanxiu_reading_club-{__version__}-translations"))]


@hookimpl
def portal_template_dirs() -> list[str]:
    return [str(HERE / "templates")]
