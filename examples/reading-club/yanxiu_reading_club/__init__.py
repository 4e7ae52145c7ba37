"""读书会 Reading club: an activity type shipped as an out-of-tree plugin of the Yanxiu portal.

Members log reading notes; the club may be marked held only once every member has written
the school's yearly number of characters (default 10,000, from the seeds). Notes come from
two places: typed notes uploaded as ``reading_notes`` evidence on the activity page or the
API, and handwritten notebooks counted by the organizer into this plugin's own table
(:func:`yanxiu_reading_club.notes.log_note`).

The portal finds this module through the ``portal.plugins`` entry point in ``pyproject.toml``
and calls the hooks below; nothing else of the portal is touched.
"""

from __future__ import annotations

from pathlib import Path

from portal.hookspecs import hookimpl

from yanxiu_reading_club.reading_club import ReadingClub
from yanxiu_reading_club.translations_build import compiled_catalogs

__version__ = "1.0.0"
HERE = Path(__file__).resolve().parent


@hookimpl
def portal_activity_types() -> list[ReadingClub]:
    return [ReadingClub()]


@hookimpl
def portal_migration_dirs() -> list[str]:
    return [str(HERE / "migrations" / "versions")]


@hookimpl
def portal_translation_dirs() -> list[str]:
    return [str(compiled_catalogs(HERE / "translations", f"yanxiu_reading_club-{__version__}-translations"))]


@hookimpl
def portal_template_dirs() -> list[str]:
    return [str(HERE / "templates")]
