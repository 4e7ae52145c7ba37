"""Languages: Simplified Chinese first (catalog under ``translations/zh_Hans_CN``), English.

Message ids are English; the zh_Hans_CN catalog translates every one of them. The locale
comes from the ``lang`` query argument (remembered in the session), then the user's
choice, then Chinese.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from functools import cache, lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from babel import Locale, support
from babel.dates import format_skeleton, get_month_names
from flask import Flask, current_app, g, request, session
from flask.globals import _cv_app
from flask_babel import Domain, get_locale, get_translations
from jinja2 import pass_eval_context
from jinja2.nodes import EvalContext
from markupsafe import Markup
from werkzeug.datastructures import LanguageAccept

from portal.extensions import babel

SUPPORTED = ("zh_Hans_CN", "en")
TRANSLATIONS = str(Path(__file__).resolve().parent / "translations")
#: The languages a request may ask for, as HTTP spells them (werkzeug matches them case- and
#: separator-blind, a region or script falling back to its language: ``zh_Hans_CN`` → ``zh``)
_ASKED_AS = ["en", "zh-CN", "zh-Hans", "zh"]


def _locale_of(best: str | None) -> str | None:
    return None if best is None else "en" if best == "en" else "zh_Hans_CN"


def supported_locale(code: str | None) -> str | None:
    """The portal's locale for a language asked by name (``?lang=zh``, ``/lang/zh-CN``,
    ``zh_Hans_CN``, ``en-US`` …), matched as ``Accept-Language`` is; None for one it does not speak."""
    return _locale_of(LanguageAccept([(code.strip(), 1)]).best_match(_ASKED_AS)) if code and code.strip() else None


def select_locale() -> str:
    from flask import has_request_context

    if not has_request_context():  # CLI, services called from tests: Chinese
        return "zh_Hans_CN"
    if request.path.startswith("/api/"):  # the API speaks English unless asked otherwise
        return _locale_of(request.accept_languages.best_match(_ASKED_AS, default="en")) or "en"
    asked = supported_locale(request.args.get("lang"))
    if asked is not None:
        session["lang"] = asked
        return asked
    if session.get("lang") in SUPPORTED:
        return session["lang"]
    user = getattr(g, "_login_user", None)
    if user is not None and getattr(user, "locale", None) in SUPPORTED:
        return user.locale
    return "zh_Hans_CN"


@cache
def _locale(code: str) -> Locale:
    """The babel ``Locale`` of one of :data:`SUPPORTED`, parsed once per process (flask-babel
    parses the selector's answer on every request; a ``Locale`` it is handed is used as it is)."""
    return Locale.parse(code)


def _request_locale() -> Locale:
    """flask-babel's locale selector: :func:`select_locale`'s choice as a kept ``Locale``."""
    return _locale(select_locale())


class RequestDomain(Domain):
    """flask-babel's message domain, with the request's catalogue kept on the request.

    flask-babel finds the catalogue again on every ``gettext`` (it spells the locale's name to
    look it up), which costs more than the translation: a table of a hundred rows asks
    thousands of times. Here the catalogue found is kept with the locale object it was found
    for, on the request's babel context; ``force_locale`` and ``refresh`` replace that object,
    so a forced or changed locale finds its own catalogue. Nothing outlives the request but
    flask-babel's own cache of loaded catalogues.
    """

    def get_translations(self):
        ctx = _babel_context()
        if ctx is None:
            return _core_first(super().get_translations())
        known = ctx.__dict__.get("yanxiu_translations")
        if known is not None and known[0] is ctx.__dict__.get("babel_locale") and known[1] is self:
            return known[2]
        translations = _core_first(super().get_translations())
        ctx.yanxiu_translations = (get_locale(), self, translations)
        return translations


_CORE_FIRST = "yanxiu_core_first"  # on a merged catalogue: the core's words are put back


def _core_first(translations: Any) -> Any:
    """The merged catalogue (the core's, then each plugin's) with every msgid of the core's
    catalogue saying what the core says: flask-babel lets a catalogue merged later replace an
    earlier one's words, so a plugin's catalogue could reword the core's refusals, buttons and
    verdicts (or, in English, say anything for a core msgid). A plugin translates its own msgids
    only; a msgid two plugins' catalogues translate keeps the words of the plugin registered
    first (:func:`_first_words`), as a type key stays with it. Done once per catalogue
    flask-babel caches."""
    catalog = getattr(translations, "_catalog", None)
    if catalog is None or translations.__dict__.get(_CORE_FIRST):
        return translations
    locale = str(get_locale())
    catalog.update(_first_words(_plugin_folders(), locale))
    core_ids = _core_msgids()
    for key in [k for k in catalog if k and _msgid(k) in core_ids]:
        del catalog[key]
    catalog.update(_core_catalog(locale))
    translations.__dict__[_CORE_FIRST] = True
    return translations


def _msgid(key: Any) -> str:
    return key[0] if isinstance(key, tuple) else key


def _plugin_folders() -> list[str]:
    """The plugins' catalogue folders of the current app, in registration order."""
    if _cv_app.get(None) is None:
        return []
    folders = current_app.config.get("BABEL_TRANSLATION_DIRECTORIES", "").split(";")
    return [f for f in folders if f and f != TRANSLATIONS]


def _folder_catalog(folder: str, locale: str) -> dict[Any, str]:
    return dict(getattr(support.Translations.load(folder, [locale]), "_catalog", {}))


def _first_words(folders: list[str], locale: str) -> dict[Any, str]:
    """Each msgid the plugins' catalogues in ``folders`` translate, with the words of the first
    folder (in registration order) that translates it — not of the last, as flask-babel merges
    them: a plugin's catalogue could otherwise reword another plugin's guard refusals and
    labels."""
    words: dict[Any, str] = {}
    for folder in folders:
        for key, text in _folder_catalog(folder, locale).items():
            if key:
                words.setdefault(key, text)
    return words


def report_shared_msgids(registry: Any, folders: list[tuple[str, str]]) -> None:
    """Report each plugin whose catalogue words a msgid differently from a plugin registered
    before it (whose words are kept, :func:`_first_words`), naming both."""
    from portal.plugin_loader import M_SHARED_MSGID

    core_ids = _core_msgids()
    for locale in SUPPORTED:
        first: dict[Any, tuple[str, str]] = {}  # msgid → (plugin, its words)
        for plugin, folder in folders:
            clashes: dict[str, list[Any]] = {}
            for key, text in _folder_catalog(folder, locale).items():
                if not key or _msgid(key) in core_ids:
                    continue
                owner, said = first.setdefault(key, (plugin, text))
                if owner != plugin and said != text:
                    clashes.setdefault(owner, []).append(key)
            for other, keys in clashes.items():
                registry.plugins.fail(plugin, M_SHARED_MSGID, plugin=plugin, n=len(keys), other=other,
                                      msgid=repr(_msgid(keys[0]))[:100])


def report_untranslated(registry: Any, folders: list[tuple[str, str]]) -> None:
    """Report each plugin whose Chinese catalogue (``zh_Hans_CN/LC_MESSAGES/messages.po``)
    leaves a msgid untranslated (empty, or fuzzy: ``pybabel compile`` skips it), or translates
    one its compiled ``messages.mo`` lacks (never compiled, or compiled before the last edit):
    either shows English on a Chinese page, and nothing else would tell the author."""
    from babel.messages.pofile import read_po

    from portal.plugin_loader import M_NOT_COMPILED, M_UNTRANSLATED

    for plugin, folder in dict.fromkeys(folders):
        po = Path(folder) / SUPPORTED[0] / "LC_MESSAGES" / "messages.po"
        try:
            with po.open("rb") as fh:
                catalog = read_po(fh)
        except FileNotFoundError:
            continue
        except Exception as exc:  # a .po Babel cannot read: the .mo may still be fine
            registry.plugins.fail(plugin, f"the catalogue {po} cannot be read: {type(exc).__name__}: {exc}")
            continue
        compiled = _folder_catalog(folder, SUPPORTED[0])
        empty: list[str] = []
        stale: list[str] = []
        for m in catalog:
            if not m.id:
                continue
            msgid = m.id if isinstance(m.id, str) else m.id[0]
            words = m.string if isinstance(m.string, str) else "".join(m.string or ())
            if m.fuzzy or not words:
                empty.append(msgid)
                continue
            key = msgid if isinstance(m.id, str) else (msgid, 0)
            if m.context:
                key = f"{m.context}\x04{msgid}" if isinstance(m.id, str) else (f"{m.context}\x04{msgid}", 0)
            if key not in compiled:
                stale.append(msgid)
        if empty:
            registry.plugins.fail(plugin, M_UNTRANSLATED, plugin=plugin, n=len(empty), msgid=repr(empty[0])[:100])
        if stale:
            registry.plugins.fail(plugin, M_NOT_COMPILED, plugin=plugin, n=len(stale), msgid=repr(stale[0])[:100])


@cache
def _core_catalog(locale: str) -> dict[Any, str]:
    """The core's own catalogue of ``locale`` (none for English: its msgids are English)."""
    return dict(getattr(support.Translations.load(TRANSLATIONS, [locale]), "_catalog", {}))


@cache
def _core_msgids() -> frozenset[str]:
    """Every msgid of the core (the zh_Hans_CN catalogue translates each one), with its context."""
    return frozenset(_msgid(k) for k in _core_catalog("zh_Hans_CN") if k)


def _babel_context() -> Any:
    """flask-babel's state of this app context (kept on its ``g``), or None. Read from Flask's
    context variable itself: ``has_app_context()`` and ``g``'s proxy cost five calls more, and a
    page asks for every word, label and state name (about eighty times on the activity page)."""
    ctx = _cv_app.get(None)
    return None if ctx is None else ctx.g.__dict__.get("_flask_babel")


def _page_translations() -> Any:
    """The request's catalogue as :class:`RequestDomain` keeps it, read straight from the babel
    context when it is there (the common case: every ``_()`` of a page after the first)."""
    ctx = _babel_context()
    known = ctx.__dict__.get("yanxiu_translations") if ctx is not None else None
    if known is not None and known[0] is ctx.__dict__.get("babel_locale") and known[1] is babel.domain_instance:
        return known[2]
    return get_translations()


def gettext(string: str, **variables: Any) -> str:
    """flask-babel's ``gettext`` (translate, then ``%``-format when given values) with the
    request's catalogue found as :func:`_page_translations` finds it: without flask-babel's
    look-ups of the domain before each word (the catalogue and pages translate per row)."""
    text = _page_translations().ugettext(string)
    return text % variables if variables else text


def pgettext(context: str, string: str, **variables: Any) -> str:
    """flask-babel's ``pgettext`` with the request's catalogue found as :func:`gettext` finds
    it (a quota's figures say it once per quota on the home and per teacher on the summary)."""
    text = _page_translations().upgettext(context, string)
    return text % variables if variables else text


@pass_eval_context
def template_gettext(eval_ctx: EvalContext, string: str, **variables: Any) -> str:
    """``_()`` in templates: what jinja2's i18n extension does with flask-babel's callables
    (translate, mark safe under autoescape, always ``%``-format), without their three calls
    through the context and the lookups of the domain that come before each translation.
    A text without values is the same every time for one catalogue: it is made once and kept
    with the catalogue (a page says a few dozen of them)."""
    translations = _page_translations()
    autoescape = eval_ctx.autoescape
    if not variables:
        kept = translations.__dict__.get(_KEPT)
        if kept is None:
            kept = translations.__dict__[_KEPT] = {}
        said = kept.get((string, autoescape))
        if said is None:
            said = kept[(string, autoescape)] = _say(translations.ugettext(string), autoescape, variables)
        return said
    return _say(translations.ugettext(string), autoescape, variables)


_KEPT = "yanxiu_template_words"  # on a catalogue: (msgid, autoescape) → the text a template gets


@pass_eval_context
def kept_words(eval_ctx: EvalContext, name: str) -> Mapping[str, str] | None:
    """The words a template named ``name`` kept with the request's catalogue (:func:`keep_words`),
    or None the first time: a page that translates the same few dozen labels on every request
    (the review queue's) writes ``{% set tx = kept_words(n) %}{% if tx is none %}{% set tx =
    keep_words(n, {…}) %}{% endif %}`` and says its words once per catalogue, as
    :func:`template_gettext` keeps a text without values. Only words that are the same every time
    (no value of the request) may be kept so."""
    kept = _page_translations().__dict__.get(_KEPT)
    return None if kept is None else kept.get((_WORDS, name, eval_ctx.autoescape))


@pass_eval_context
def keep_words(eval_ctx: EvalContext, name: str, words: Mapping[str, str]) -> Mapping[str, str]:
    """``words`` (the template's ``_()`` of each) kept with the request's catalogue under ``name``
    for :func:`kept_words`; read-only, as every request of the catalogue shares them."""
    kept = _page_translations().__dict__.setdefault(_KEPT, {})
    shared = kept[(_WORDS, name, eval_ctx.autoescape)] = MappingProxyType(dict(words))
    return shared


_WORDS = "words"  # a kept page's words: (_WORDS, its name, autoescape) beside the msgids' 2-tuples


def _say(text: str, autoescape: bool, variables: dict[str, Any]) -> str:
    return (Markup(text) if autoescape else text) % variables


def is_english() -> bool:
    # the locale flask-babel already chose for this request, without its lookups (pages ask
    # for every label); the first ask of a request chooses it
    ctx = _babel_context()
    loc = ctx.__dict__.get("babel_locale") if ctx is not None else None
    if loc is None:
        loc = get_locale()
    return loc is not None and loc.language == "en"


def month_text(day: date) -> str:
    """The month of ``day`` as the viewer's language writes it, by Babel's calendar data
    (skeleton ``yMMMM``): 2026年10月, October 2026 (Chinese outside a request)."""
    ctx = _babel_context()
    loc = (ctx.__dict__.get("babel_locale") or get_locale()) if ctx is not None else None
    return _month_text(day.year, day.month, str(loc) if loc is not None else SUPPORTED[0])


@lru_cache(maxsize=512)
def _month_text(year: int, month: int, locale: str) -> str:
    return format_skeleton("yMMMM", date(year, month, 1), locale=_locale(locale))


def day_text(day: date, today: date | None = None) -> str:
    """A day of the year in the viewer's language (skeleton ``MMMd``): 12月7日, Dec 7; with its
    year (``yMMMd``: 2025年12月7日, Dec 7, 2025) given ``today``, where it is of another calendar
    year (12月7日 of a year ago read as this year's)."""
    ctx = _babel_context()
    loc = (ctx.__dict__.get("babel_locale") or get_locale()) if ctx is not None else None
    said = "MMMd" if today is None or day.year == today.year else "yMMMd"
    return format_skeleton(said, day, locale=_locale(str(loc) if loc is not None else SUPPORTED[0]))


def months_text(days: Iterable[date], joiner: str) -> list[str]:
    """Months in words, the year written once a run of months of one calendar year, where the
    viewer's language writes it: 2026年9月、10月、11月 (the year first in Chinese), "September,
    October, November 2026" (last in English). ``joiner`` joins the runs' months (the caller's
    translated list separator); a list of the runs' texts."""
    ctx = _babel_context()
    loc = (ctx.__dict__.get("babel_locale") or get_locale()) if ctx is not None else None
    return [_run_text(run, joiner, str(loc) if loc is not None else SUPPORTED[0])
            for run in _year_runs(sorted(set((d.year, d.month) for d in days)))]


def _year_runs(months: list[tuple[int, int]]) -> list[tuple[tuple[int, int], ...]]:
    runs: list[list[tuple[int, int]]] = []
    for ym in months:
        if runs and runs[-1][-1][0] == ym[0]:
            runs[-1].append(ym)
        else:
            runs.append([ym])
    return [tuple(run) for run in runs]


@lru_cache(maxsize=512)
def _run_text(run: tuple[tuple[int, int], ...], joiner: str, locale: str) -> str:
    if len(run) == 1:
        return _month_text(*run[0], locale)
    loc = _locale(locale)
    full = [format_skeleton("yMMMM", date(y, m, 1), locale=loc) for y, m in run]
    if full[0].startswith(str(run[0][0])):  # the year comes first (2026年9月): on the first month
        return joiner.join([full[0], *(format_skeleton("MMMM", date(y, m, 1), locale=loc) for y, m in run[1:])])
    names = get_month_names("wide", "format", locale=loc)  # the year comes last (September 2026)
    return joiner.join([*(names[m] for _, m in run[:-1]), full[-1]])


def month_name(month: int) -> str:
    """A month of no particular year as the viewer's language names it, by Babel's calendar
    data (skeleton ``MMM``): 10月, Oct (a school plan's months; Chinese outside a request)."""
    ctx = _babel_context()
    loc = (ctx.__dict__.get("babel_locale") or get_locale()) if ctx is not None else None
    return _month_name(int(month), str(loc) if loc is not None else SUPPORTED[0])


@lru_cache(maxsize=64)
def _month_name(month: int, locale: str) -> str:
    return format_skeleton("MMM", date(2000, month, 1), locale=_locale(locale))


def lang_code() -> str:
    """'en' or 'zh' for plugin labels (``ActivityType.name``)."""
    return "en" if is_english() else "zh"


def init_app(app: Flask, registry) -> None:
    from portal.plugin_assets import dirs_by_plugin

    # flask-babel splits the setting on ";": a folder holding one is the plugin's failure
    folders = dirs_by_plugin(registry, "portal_translation_dirs", forbid=";")
    dirs = [TRANSLATIONS, *dict.fromkeys(folder for _, folder in folders)]
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join(dirs)
    report_shared_msgids(registry, folders)
    report_untranslated(registry, folders)
    babel.init_app(app, locale_selector=_request_locale)
    if not isinstance(babel.__dict__.get("domain_instance"), RequestDomain):
        babel.domain_instance = RequestDomain()
    app.jinja_env.globals["lang_code"] = lang_code
    app.jinja_env.globals["_"] = template_gettext  # after babel.init_app, which installs jinja2's own
    app.jinja_env.globals.update(kept_words=kept_words, keep_words=keep_words)


def current_lang() -> str:
    """'en' or 'zh': the request's, or the one ``force_locale`` set (a message's English for a
    log or the command line, an export's ``--lang``); with no app at all, Chinese."""
    from flask import has_app_context

    if not has_app_context():
        return "zh"
    return lang_code()
