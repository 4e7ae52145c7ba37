"""Rendered page parts cached under the data stamp of their school.

A school's pages are read far more often than its data changes: a teacher checks their
hours many times between two credits. The expensive part of such a page (the body of the
teacher home, the school summary table) is rendered once and kept in a Flask-Caching
backend under a key that holds everything the part depends on:

* the school's ``data_version`` stamp, which database triggers replace whenever anything
  the school's pages show changes (ledger, activities, participations, evidence, settings,
  exemptions, memberships, teachers' names; migration ``3b9d0c4e2f61``). The stamp is read
  with the school in the request's first query, so a cached part is never older than the
  database, whichever process or machine wrote it;
* the school's id and creation time (a rebuilt database never meets old entries);
* the page, the viewer and the arguments the caller passes (year, language...);
* the build: installed plugins and the modification times of the code and templates, so a
  deploy never serves parts rendered by the previous code.

The district table keeps one row of figures per school the same way
(:func:`cached_per_school`): after a credit in one school only that school is recomputed.

The navigation bar of every page (``{% call navigation_bar() %}`` in ``base.html``) is kept
in the process, and cached when the cache is on, under :func:`nav_parts`: everything it shows
is already in hand after the login query (name, schools, roles, language, unread
notifications), so it needs no stamp, and it is kept even with the cache off. Its
forms (log out, switch school) need the session's CSRF token, a per-session secret that
must never be cached: the cached markup holds :data:`CSRF_SLOT` instead, and
:func:`fill_csrf_slots` (a filter around the cache tag) puts this session's token in after
the lookup. A bar cached for one session thus works, and leaks nothing, in any other
session of the same person. Cached page parts must not contain per-session secrets either
(:func:`cached_part` refuses to store a part with a CSRF field).

Invalidation is therefore never needed, only expiry. The backend is configuration: the
default ``FileSystemCache`` in ``instance/cache`` is shared by the gunicorn workers of one
machine; several machines set ``CACHE_TYPE = "RedisCache"`` (or leave the file cache per
machine: still correct, only colder); ``CACHE_TYPE = "NullCache"`` turns caching off.
"""

from __future__ import annotations

import hashlib
import os
import sys
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

from flask import Flask, Response, current_app, g, request
from flask_caching.backends.nullcache import NullCache
from flask_login import current_user
from markupsafe import Markup, escape

from portal.config import BadConfiguration
from portal.extensions import cache
from portal.i18n import lang_code
from portal.messages import msg
from portal.models import School

BUILD_KEY = "yanxiu.build"
STATS_KEY = "yanxiu.page_cache_stats"
NAV_MEMO_KEY = "yanxiu.nav_kept"  # the navigation bars rendered in this process, by nav_parts()
NAV_KEPT = 1000  # bars kept per process (a bar is a few kB)
NAV_SECONDS = 3600  # a bar's life in the page cache
OFF_KEY = "yanxiu.page_cache_off"  # True when CACHE_TYPE is NullCache: nothing is ever found
CODE_SUFFIXES = (".py", ".html", ".mo")
T = TypeVar("T")
# Stands for the CSRF token in cached markup. Escaped text can never contain it (its "<"
# would be "&lt;"), so only a template can put it there.
CSRF_SLOT = Markup("<!--yanxiu-csrf-slot-->")
CSRF_FIELD = 'name="csrf_token"'


def init_app(app: Flask, plugin_objects: Iterable[object]) -> None:
    app.config.setdefault("CACHE_TYPE", "FileSystemCache")
    app.config.setdefault("CACHE_DIR", os.path.join(app.instance_path, "cache"))
    app.config.setdefault("CACHE_DEFAULT_TIMEOUT", 24 * 3600)
    app.config.setdefault("CACHE_THRESHOLD", 20000)
    try:
        cache.init_app(app)
    except (ImportError, OSError) as exc:
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[-1]  # werkzeug's is long
        raise BadConfiguration(msg("start.page_cache", type=repr(app.config["CACHE_TYPE"]),
                                   folder=repr(app.config["CACHE_DIR"]), reason=reason)) from None
    app.extensions[BUILD_KEY] = build_id(plugin_objects)
    app.extensions[OFF_KEY] = isinstance(app.extensions["cache"][cache], NullCache)
    app.extensions[STATS_KEY] = Counter()
    app.extensions[NAV_MEMO_KEY] = KeptBars(NAV_KEPT)
    app.jinja_env.globals["csrf_slot"] = CSRF_SLOT
    app.jinja_env.filters["fill_csrf_slots"] = fill_csrf_slots
    app.after_request(splice_parts)


def fill_csrf_slots(html: str) -> Markup:
    """``html`` with every :data:`CSRF_SLOT` replaced by this session's CSRF token (made, and
    kept in the session, on first use, as ``csrf_token()`` does)."""
    text = str(html)
    if CSRF_SLOT not in text:
        return Markup(text)
    from flask_wtf.csrf import generate_csrf

    return Markup(text.replace(CSRF_SLOT, str(escape(generate_csrf()))))


def build_id(plugin_objects: Iterable[object]) -> str:
    """A digest of the code that renders pages: the core packages and every loaded plugin's
    package, or its module file when it is a single module (names, sizes, modification times)."""
    here = Path(__file__).resolve().parent
    roots = {here, here.parent / "workflows"}
    for obj in plugin_objects:
        module = obj if hasattr(obj, "__file__") else sys.modules.get(getattr(obj, "__module__", "") or "")
        path = getattr(module, "__file__", None)
        if path:
            source = Path(path).resolve()
            roots.add(source.parent if source.name == "__init__.py" else source)
    digest = hashlib.sha256()
    for top in sorted(map(str, roots)):
        for file in [top] if os.path.isfile(top) else _code_files(top):
            st = os.stat(file)
            digest.update(f"{file}:{st.st_size}:{st.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:16]


def _code_files(root: str) -> list[str]:
    """The code files under ``root``, sorted (``os.walk`` and plain strings: every app, and every
    test's app, computes the build id; pathlib's ``rglob`` and sorting were most of it)."""
    found: list[str] = []
    for folder, subfolders, names in os.walk(root):
        if "__pycache__" in subfolders:  # compiled copies: their sources are hashed
            subfolders.remove("__pycache__")
        found.extend(os.path.join(folder, name) for name in names if name.endswith(CODE_SUFFIXES))
    return sorted(found)


def nav_parts() -> tuple[object, ...]:
    """Everything the navigation bar shows or asks: who is logged in (name, schools with their
    roles, the school chosen: the policy's answers in the bar follow from these roles alone),
    the unread notifications, the language, the build and the URL root. All of it is read with
    the login query of this request, so a key made of it is never older than the database.
    Nothing of the session: the bar's forms get their CSRF token after the lookup
    (:func:`fill_csrf_slots`)."""
    from portal.current import current_roles, current_school, unread_notifications, user_schools

    parts: tuple[object, ...] = (current_app.extensions[BUILD_KEY], lang_code(), request.script_root)
    # the proxy resolved once: every use of ``current_user`` is Flask-Login's look-up through
    # ``g`` (five of them here were a third of the key's cost, on every signed-in page)
    user = current_user._get_current_object()
    if user.is_authenticated:
        school = current_school()
        parts += (
            user.get_id(),
            user.display_name,
            school.id if school else None,
            tuple(sorted(current_roles())),
            tuple((s.id, s.code, s.name, tuple(roles)) for s, roles in user_schools()),
            unread_notifications(),  # the bell's badge
        )
    return parts


def nav_key() -> str:
    """The key of the navigation bar in the page cache (:func:`nav_parts`, hashed)."""
    return _nav_cache_key(nav_parts())


def _nav_cache_key(parts: tuple[object, ...]) -> str:
    return "nav:" + hashlib.sha256(repr(parts).encode()).hexdigest()


def navigation_bar(caller: Callable[[], str]) -> Markup:
    """The navigation bar (``{% call navigation_bar() %}`` in ``base.html``), rendered by
    ``caller`` once per :func:`nav_parts` in this process (kept in :data:`NAV_MEMO_KEY`, the
    :data:`NAV_KEPT` last used), else found in the page cache when it is on.

    The bar is the same for everyone with the same parts, and the parts are read afresh on every
    request, so a role given or taken, a name, a school or a language changed shows at once, in
    every process: no invalidation is needed. Rendering it cost every signed-in page about
    0.2 ms, against a few µs for its parts."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    kept: KeptBars = app.extensions[NAV_MEMO_KEY]
    stats = app.extensions[STATS_KEY]
    parts = nav_parts()
    html = kept.get(parts)
    if html is not None:
        stats["nav kept"] += 1
        return Markup(html)
    key = None if app.extensions.get(OFF_KEY) else _nav_cache_key(parts)
    found = None if key is None else cache.get(key)
    if found is None:
        stats["nav rendered"] += 1
        html = str(caller())
        if key is not None:
            cache.set(key, html, timeout=NAV_SECONDS)
    else:
        stats["nav found"] += 1
        html = str(found)
    kept.put(parts, html)
    return Markup(html)


class KeptBars:
    """The navigation bars kept in this process, the ``most`` last used, shared by the server's
    threads: each look-up and each addition holds a lock, so that an eviction can never fall
    between another thread's look-up and its move to the end (a ``KeyError``, a 500), once more
    than ``most`` viewers are served. (A stress test of the bare ``OrderedDict`` did not show
    it under CPython 3.11; the lock costs less than a microsecond and does not rest on that.)"""

    def __init__(self, most: int) -> None:
        self.most = most
        self._bars: OrderedDict[tuple[object, ...], str] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, parts: tuple[object, ...]) -> str | None:
        with self._lock:
            html = self._bars.get(parts)
            if html is not None:
                self._bars.move_to_end(parts)
            return html

    def put(self, parts: tuple[object, ...], html: str) -> None:
        with self._lock:
            self._bars[parts] = html
            self._bars.move_to_end(parts)
            while len(self._bars) > self.most:
                self._bars.popitem(last=False)

    def __len__(self) -> int:
        return len(self._bars)

    def values(self) -> list[str]:
        with self._lock:
            return list(self._bars.values())

    def clear(self) -> None:
        with self._lock:
            self._bars.clear()


def school_key(kind: str, school: School, parts: tuple[object, ...], per_language: bool = True) -> str:
    """The cache key of something computed from one school's data."""
    fields = (
        kind,
        current_app.extensions[BUILD_KEY],
        school.id,
        school.created_at.isoformat() if school.created_at else "",
        school.data_version,
        lang_code() if per_language else "",
        *parts,
    )
    return f"{kind}:" + hashlib.sha256("|".join(map(str, fields)).encode()).hexdigest()


def cached_part(page: str, school: School, parts: tuple[object, ...], render: Callable[[], str]) -> Part:
    """The HTML ``render()`` returns, from the cache when this school's data has not changed
    since it was rendered for the same ``page`` and ``parts``; kept and handed on as UTF-8
    (:class:`Part`)."""
    stats = current_app.extensions[STATS_KEY]
    # the cache off (NullCache): rendered every time, without working out a key to look up
    key = None if current_app.extensions.get(OFF_KEY) else school_key(page, school, parts)
    found = None if key is None else cache.get(key)
    if found is None:
        stats["miss"] += 1
        html = str(render())
        if CSRF_FIELD in html:
            raise RuntimeError(f"cached part {page!r} contains a form with a CSRF token; render forms outside it")
        found = html.encode()
        if key is not None:
            cache.set(key, found)
    else:
        stats["hit"] += 1
    return Part(found if isinstance(found, bytes) else str(found).encode())


PARTS_KEY = "yanxiu_parts"


class Part:
    """A cached page part as UTF-8, put into the page's bytes as it is.

    A part is mostly markup with some Chinese, so Python keeps its text two bytes a character
    and writes it out as UTF-8 slowly: the school summary's 80 kB took 0.25 ms to encode for
    every response, and as long to decode from the cache, a fifth of a warm page. Here the part
    stays bytes from the cache to the response. In a template it writes a slot comment (escaped
    text can never hold one: its "<" would be "&lt;"); after the view, :func:`splice_parts`
    puts the bytes where the slots are in the (much smaller) encoded page."""

    __slots__ = ("data",)

    def __init__(self, data: bytes) -> None:
        self.data = data

    def __html__(self) -> str:
        kept: list[bytes] = g.setdefault(PARTS_KEY, [])
        kept.append(self.data)
        return f"<!--yanxiu-part-{len(kept) - 1}-->"

    def split(self, slot: str) -> tuple[Part, Part] | None:
        """The part before and after the first ``slot`` (markup the template wrote), or None."""
        head, found, tail = self.data.partition(slot.encode())
        return (Part(head), Part(tail)) if found else None

    def text(self) -> str:
        return self.data.decode()


def splice_parts(response: Response) -> Response:
    """Put the cached parts a page wrote slots for into the response's bytes (after the view)."""
    parts: list[bytes] | None = g.pop(PARTS_KEY, None)
    if not parts or response.direct_passthrough or response.is_streamed:
        return response
    data = response.get_data()
    for n, part in enumerate(parts):
        data = data.replace(f"<!--yanxiu-part-{n}-->".encode(), part, 1)
    response.set_data(data)
    return response


def cached_per_school(
    kind: str, schools: list[School], parts: tuple[object, ...], compute: Callable[[list[School]], dict[int, T]],
    own_parts: Callable[[School], tuple[object, ...]] | None = None,
) -> dict[int, T]:
    """Figures of many schools (school id → value), each cached under its own school's stamp:
    ``compute`` is called once, with only the schools whose data changed since (or all of
    them, the first time). A district page thus recomputes one school after a credit there,
    not the whole district. ``own_parts``: what else one school's figures depend on (its
    clock). Values must pickle."""
    keys = {s.id: school_key(kind, s, parts + (own_parts(s) if own_parts else ()), per_language=False)
            for s in schools}
    found = cache.get_dict(*keys.values()) if keys else {}
    out = {sid: found[key] for sid, key in keys.items() if found.get(key) is not None}
    missing = [s for s in schools if s.id not in out]
    stats = current_app.extensions[STATS_KEY]
    stats["hit"] += len(out)
    if missing:
        stats["miss"] += len(missing)
        fresh = compute(missing)
        cache.set_many({keys[sid]: value for sid, value in fresh.items()})
        out.update(fresh)
    return out
