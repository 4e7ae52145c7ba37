"""What plugins ship besides code: Jinja template folders and Alembic revision folders.

* ``portal_template_dirs``: the folders are appended to the app's Jinja loader through a
  :class:`jinja2.ChoiceLoader`, core templates first, so a plugin's
  ``reading_club/fragment.html`` is found by ``render_template`` but can never shadow a core
  template of the same name. A template in a sub-folder named after a plugin or one of its
  type keys (``reading_club/…``) is that plugin's: only its own folders serve it
  (:class:`PluginTemplates`), so another plugin cannot shadow it, whichever is registered first.
* ``portal_migration_dirs``: the folders are added to Alembic's ``version_locations`` when a
  ``flask db`` command builds its configuration (a Flask-Migrate ``configure`` callback), so
  ``flask db upgrade`` applies the core and every installed plugin's branch (``migrations/env.py``
  upgrades to ``heads``).

Translation folders (``portal_translation_dirs``) are wired in :mod:`portal.i18n`.
A plugin whose hook raises is reported in ``registry().plugins.failures`` and skipped.
"""

from __future__ import annotations

import ast
import functools
import os
from pathlib import Path
from typing import TYPE_CHECKING

from flask import Flask, current_app
from jinja2 import BaseLoader, ChoiceLoader, Environment, FileSystemLoader, TemplateNotFound

from portal.plugin_loader import N_, call_each

if TYPE_CHECKING:
    from alembic.config import Config

    from portal.registry import TypeRegistry

M_MIGRATION_CORE = N_(
    "migration %(file)s of plugin '%(plugin)s' names itself %(name)s, as a migration of the portal's does, which it "
    "would replace; the plugin's migrations were left out"
)
M_MIGRATION_PLUGIN = N_(
    "migration %(file)s of plugin '%(plugin)s' names itself %(name)s, as a migration of plugin '%(other)s' does, "
    "which it would replace; the plugin's migrations were left out"
)
TEMPLATE_DIRS_KEY = "yanxiu.plugin_template_dirs"
MIGRATION_DIRS_KEY = "yanxiu.plugin_migration_dirs"


def existing_dirs(registry: TypeRegistry, hook_name: str, forbid: str = "") -> list[str]:
    """Absolute folders returned by every plugin's ``hook_name`` (texts or paths); anything else,
    a non-folder, or a folder whose path holds a character of ``forbid`` (the separator of the
    setting they go into) is the plugin's failure, reported with its name and left out."""
    return list(dict.fromkeys(folder for _, folder in dirs_by_plugin(registry, hook_name, forbid)))


def dirs_by_plugin(registry: TypeRegistry, hook_name: str, forbid: str = "") -> list[tuple[str, str]]:
    """:func:`existing_dirs` as (plugin, folder) pairs: a folder two plugins return is each one's."""
    out: list[tuple[str, str]] = []
    for plugin, result in call_each(registry.plugins, hook_name):
        items = [result] if isinstance(result, (str, os.PathLike)) else result
        try:
            paths = [Path(p) for p in items]
        except TypeError:
            registry.plugins.fail(plugin, f"{hook_name} returned {result!r}, not a list of folders")
            continue
        for path in paths:
            if not path.is_dir():
                registry.plugins.fail(plugin, f"{hook_name}: {str(path)!r} is not a folder")
                continue
            if any(c in str(path.resolve()) for c in forbid):
                registry.plugins.fail(plugin, f"{hook_name}: {str(path)!r} holds one of {forbid!r}")
                continue
            resolved = str(path.resolve())
            if (plugin, resolved) not in out:
                out.append((plugin, resolved))
    return out


class PluginTemplates(BaseLoader):
    """The plugins' template folders, each kept with its plugin. A template whose first path
    segment names a plugin or one of its type keys (``reading_club/progress.html``) is looked up
    in that plugin's folders only: another plugin shipping a file of that name — a page fragment
    of its own HTML in place of another plugin's, registered before it — is never served. Any
    other name is looked up in every folder, in registration order."""

    def __init__(self, folders: list[tuple[str, str]], owners: dict[str, str]) -> None:
        self.loaders = [(plugin, FileSystemLoader(folder)) for plugin, folder in folders]
        self.owners = owners

    def _candidates(self, template: str) -> list[FileSystemLoader]:
        owner = self.owners.get(template.replace("\\", "/").split("/", 1)[0])
        return [loader for plugin, loader in self.loaders if owner is None or plugin == owner]

    def get_source(self, environment: Environment, template: str):
        for loader in self._candidates(template):
            try:
                return loader.get_source(environment, template)
            except TemplateNotFound:
                continue
        raise TemplateNotFound(template)

    def list_templates(self) -> list[str]:
        return sorted({name for _, loader in self.loaders for name in loader.list_templates()
                       if loader in self._candidates(name)})


def template_owners(registry: TypeRegistry) -> dict[str, str]:
    """Folder name → the plugin whose templates it holds: each plugin's name, then each type's
    key (a key that is another plugin's name stays that plugin's)."""
    owners = {name: name for name in registry.plugins.info}
    for key, reg in registry.types.items():
        owners.setdefault(key, reg.plugin)
    return owners


def init_app(app: Flask, registry: TypeRegistry) -> None:
    """Add plugin template folders to Jinja and remember plugin migration folders."""
    folders = dirs_by_plugin(registry, "portal_template_dirs")
    app.extensions[TEMPLATE_DIRS_KEY] = list(dict.fromkeys(folder for _, folder in folders))
    if folders:
        loaders = [app.jinja_loader] if app.jinja_loader is not None else []
        app.jinja_loader = ChoiceLoader([*loaders, PluginTemplates(folders, template_owners(registry))])
    core = os.path.join(app.extensions["migrate"].directory, "versions")
    app.extensions[MIGRATION_DIRS_KEY] = own_migrations(registry, dirs_by_plugin(registry, "portal_migration_dirs"), core)
    _register_alembic_callback()


def _revisions(folder: str) -> list[tuple[str, str, str]]:
    """(file, "revision" or "branch label", value) of every Alembic revision file in ``folder``,
    read as Alembic reads them but without running them: their top-level ``revision`` and
    ``branch_labels`` assignments of literal values."""
    found: list[tuple[str, str, str]] = []
    for path in sorted(Path(folder).glob("*.py")):
        try:
            seen = path.stat()
        except OSError:
            continue
        found += _revisions_of_file(str(path), seen.st_mtime_ns, seen.st_size)
    return found


@functools.lru_cache(maxsize=1024)
def _revisions_of_file(path: str, mtime_ns: int, size: int) -> tuple[tuple[str, str, str], ...]:
    """One file's part of :func:`_revisions`, kept while the file is unchanged (its time and
    size are part of the key): every app's start reads the same thirty files, and parsing them
    cost more than the rest of the check."""
    try:
        tree = ast.parse(Path(path).read_text(encoding="utf-8"))
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
        return ()  # Alembic reports it when it loads the folder
    name, found = Path(path).name, []
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, assigned = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, assigned = node.target, node.value
        else:
            continue
        if not isinstance(target, ast.Name) or target.id not in ("revision", "branch_labels"):
            continue
        try:
            value = ast.literal_eval(assigned)
        except ValueError:
            continue
        values = [value] if isinstance(value, str) else list(value) if isinstance(value, (tuple, list)) else []
        what = "revision" if target.id == "revision" else "branch label"
        found += [(name, what, v) for v in values if isinstance(v, str)]
    return tuple(found)


def own_migrations(registry: TypeRegistry, folders: list[tuple[str, str]], core: str) -> list[str]:
    """The plugins' migration folders that replace no migration of the core's or of a plugin
    registered before: Alembic keeps the last revision it finds of an id (a plugin folder comes
    after the core's) with only a warning, so a revision file copied from the core's or another
    plugin's and left with its id would run in its place — the core's ledger table or
    append-only triggers never made on a new database. A folder holding one is left out whole
    and its plugin reported, naming the migration and whose it is."""
    owner: dict[tuple[str, str], str | None] = {(what, v): None for _, what, v in _revisions(core)}  # None: the core
    out: list[str] = []
    for plugin, folder in folders:
        if folder in out or folder == str(Path(core).resolve()):
            continue
        found = _revisions(folder)
        taken = next(((f, what, v) for f, what, v in found if (what, v) in owner), None)
        if taken is not None:
            file, what, name = taken
            other = owner[(what, name)]
            if other is None:
                registry.plugins.fail(plugin, M_MIGRATION_CORE, plugin=plugin, file=file, name=repr(name))
            else:
                registry.plugins.fail(plugin, M_MIGRATION_PLUGIN, plugin=plugin, file=file, name=repr(name), other=other)
            continue
        owner.update({(what, v): plugin for _, what, v in found})
        out.append(folder)
    return out


def version_locations(config: Config) -> list[str]:
    """The core's ``versions`` folder followed by the current app's plugin folders."""
    core = os.path.join(config.get_main_option("script_location") or "", "versions")
    plugin_dirs = current_app.extensions.get(MIGRATION_DIRS_KEY, [])
    return [core, *[d for d in plugin_dirs if d != core]]


def add_plugin_version_locations(config: Config) -> Config:
    """Flask-Migrate ``configure`` callback: point Alembic at core + plugin revision folders."""
    config.set_main_option("path_separator", "os")
    config.set_main_option("version_locations", os.pathsep.join(version_locations(config)).replace("%", "%%"))
    return config


def _register_alembic_callback() -> None:
    # The Migrate object is process-wide; the callback reads the *current* app's folders,
    # so registering it once serves every app.
    from portal.extensions import migrate

    if add_plugin_version_locations not in migrate.configure_callbacks:
        migrate.configure(add_plugin_version_locations)


def core_tables_only(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic ``include_object``: autogenerate compares only the core's tables; a plugin's
    tables live in the plugin's own migration branch."""
    from portal.extensions import db

    if not reflected or compare_to is not None:
        return True
    table = name if type_ == "table" else getattr(getattr(obj, "table", None), "name", None)
    return table is None or table in db.metadata.tables
