"""The Jinja environment of the pages: Flask's, with template globals whose names are a set;
and the served processes' templates compiled once at the start (:func:`compile_templates`).

Jinja 3 gives every template a ``ChainMap`` of its own globals over the environment's. On every
``{% from "…" import … %}`` it compares the importing context's global names with the imported
template's (``ctx.globals_keys - template.globals.keys()``): a set minus a ``KeysView``, which
Python does one ``ChainMap.__contains__`` at a time, sixty names per import, several imports
per page. Here ``keys()`` answers a real set, so the subtraction is one C-level operation.
Everything else is the ``ChainMap`` Jinja expects: a template's own globals stay its own and
the environment's stay live.

Every render (and every import of a template's macros) starts a context holding the globals and
the page's variables. Jinja copies the globals with ``dict(globals, **vars)``, which reads a
``ChainMap`` one name at a time through Python (about seventy names, most of them a ``KeyError``
in the template's own empty map first): a few hundred µs a page. :class:`PageTemplate` merges
the maps with C-level ``dict.update`` instead; the context is the same.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import os
from collections import ChainMap
from collections.abc import Callable, MutableMapping
from typing import Any

from flask import Flask
from flask.templating import Environment
from jinja2 import FileSystemBytecodeCache, Template, TemplateError
from jinja2.bccache import Bucket
from jinja2.runtime import Context, new_context

JINJA_VERSION = importlib.metadata.version("jinja2")  # its code generator's output differs between releases


class TemplateGlobals(ChainMap):
    """A template's globals over the environment's; ``keys()`` is a set of the names."""

    def keys(self) -> set[str]:  # type: ignore[override]
        return set().union(*self.maps)


class PageTemplate(Template):
    """Jinja's template; a new context gets its globals merged map by map (see the module)."""

    def new_context(
        self, vars: dict[str, Any] | None = None, shared: bool = False, locals: Any = None
    ) -> Context:
        if not shared:  # Jinja would build dict(self.globals, **vars) one name at a time
            found = self.globals
            merged: dict[str, Any] = {}
            for names in reversed(found.maps) if isinstance(found, ChainMap) else (found,):
                merged.update(names)
            if vars:
                merged.update(vars)
            vars, shared = merged, True  # a dict of our own: Jinja keeps it as the context's
        return new_context(self.environment, self.name, self.blocks, vars, shared, self.globals, locals)


class PageEnvironment(Environment):
    """Flask's Jinja environment (``Flask.jinja_environment`` is the documented way to choose it)."""

    template_class = PageTemplate

    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        return TemplateGlobals(d if d is not None else {}, self.globals)


class TemplateBytecode(FileSystemBytecodeCache):
    """Jinja's bytecode cache in a folder, for the served processes (:func:`compile_templates`).

    Jinja names a file by the template's name and path and checks the source's checksum before
    using it: a changed template is compiled again. What else the compiled code depends on — the
    Jinja release, the environment's options and extensions, the portal's and plugins' code that
    set them up — is a fingerprint in every file's name (``<fingerprint>-<key>.cache``), so a
    deploy or an upgrade never reads a file another build wrote; the files of other builds are
    removed when a process starts with a new one. A folder it cannot write to leaves the
    templates compiled in memory only (logged once)."""

    SUFFIX = ".cache"

    def __init__(self, directory: str, fingerprint: str, log: Callable[[str], None] | None = None) -> None:
        super().__init__(directory, f"{fingerprint}-%s{self.SUFFIX}")
        self.fingerprint = fingerprint
        self.log = log
        self.unwritable = False

    def dump_bytecode(self, bucket: Bucket) -> None:
        if self.unwritable:
            return
        try:
            super().dump_bytecode(bucket)
        except OSError as exc:
            self.unwritable = True
            if self.log is not None:
                self.log(f"compiled templates are not kept in {self.directory}: {exc}")

    def remove_other_builds(self) -> None:
        """Delete the files of other fingerprints (earlier builds); a file another process is
        writing or has just removed is left alone."""
        try:
            names = os.listdir(self.directory)
        except OSError:
            return
        for name in names:
            if name.endswith(self.SUFFIX) and not name.startswith(f"{self.fingerprint}-"):
                with contextlib.suppress(OSError):
                    os.remove(os.path.join(self.directory, name))


def compiler_settings(env: Environment) -> str:
    """A digest of what a template's compiled code depends on besides its source: the Jinja
    release and the environment's compile options and extensions. Two environments with the same
    digest may share compiled templates (the served processes' :class:`TemplateBytecode`, the
    test suite's shared cache)."""

    def name(value: object) -> object:
        return getattr(value, "__qualname__", value)

    settings = (JINJA_VERSION, sorted(env.extensions), getattr(env, "newstyle_gettext", None),
                name(env.autoescape), name(env.finalize), name(env.undefined), env.optimized, env.is_async,
                env.trim_blocks, env.lstrip_blocks, env.keep_trailing_newline, env.newline_sequence,
                env.line_statement_prefix, env.line_comment_prefix, env.block_start_string, env.block_end_string,
                env.variable_start_string, env.variable_end_string, env.comment_start_string,
                env.comment_end_string, name(env.code_generator_class))
    return hashlib.sha256(repr(settings).encode()).hexdigest()[:16]


def compile_templates(app: Flask) -> int:
    """Load every template of the app's loader into its Jinja environment once, through a
    bytecode cache in ``<instance>/templates-compiled`` (:class:`TemplateBytecode`): a served
    process's first request of each page no longer compiles its templates (two thirds of a
    fresh worker's first visit, BENCHMARKS.md round 45), and a worker that starts after another
    (a restart, ``--max-requests``) reads their code instead of compiling it. Called by
    :func:`portal.settle_for_serving`, never by ``create_app``: tests and commands build apps
    that render a few templates, if any. Answers how many templates were loaded; one that does
    not compile is logged and left to fail where it is rendered, as before."""
    from portal.page_cache import BUILD_KEY

    env = app.jinja_env
    folder = os.path.join(app.instance_path, "templates-compiled")
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)  # code the workers run: the instance folder's owner only
    except OSError as exc:
        app.logger.warning("compiled templates are not kept in %s: %s", folder, exc)
    else:
        # the portal's and its plugins' code (the build) set the environment up: a deploy starts anew
        fingerprint = hashlib.sha256(f"{compiler_settings(env)}:{app.extensions[BUILD_KEY]}".encode()).hexdigest()[:16]
        cache = TemplateBytecode(folder, fingerprint, app.logger.warning)
        cache.remove_other_builds()
        env.bytecode_cache = cache
    names = env.list_templates()
    capacity = getattr(env.cache, "capacity", None)  # Jinja keeps ``cache_size`` templates (None: none, -1: all)
    if env.cache is None or (capacity is not None and len(names) > capacity):
        app.logger.warning("%d templates, more than Jinja keeps (%s): not compiled at the start", len(names), capacity)
        return 0
    loaded = 0
    for name in names:
        try:
            env.get_template(name)
        except (TemplateError, UnicodeError, OSError) as exc:
            app.logger.warning("template %s was not compiled at the start: %s", name, exc)
        else:
            loaded += 1
    return loaded
