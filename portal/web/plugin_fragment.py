"""A type's page fragment and rendered details, shown on the activity page; either that raises
is replaced by a notice naming the type (its name in the reader's language), and the error is
logged with the plugin's name (never a 500)."""

from __future__ import annotations

from markupsafe import Markup, escape

from portal.messages import msg, tr
from portal.plugin_loader import M_DETAILS, M_FRAGMENT, describe, markup, recover_session
from portal.registry import RegisteredType, registry

NOTICE = Markup('<div class="alert alert-warning mb-0" role="alert" data-testid="plugin-fragment-failed">{}</div>')


def page_fragment(reg: RegisteredType, ctx, locale: str | None):
    """``reg.type.page_fragment(ctx, locale)`` made a core :class:`Markup` inside the plugin's
    boundary (:func:`markup`: the page runs none of its code), or the notice if that raises."""
    try:
        with registry().plugins.running(reg.plugin, f"page_fragment ({reg.decl.key})"):
            fragment = reg.type.page_fragment(ctx, locale)
            return None if fragment is None else markup(fragment)
    except Exception as exc:
        registry().plugins.fail(reg.plugin, M_FRAGMENT, exc, key=reg.decl.key, error=describe(exc))
        recover_session()
        return notice(reg)


def render_details(reg: RegisteredType, details: dict, locale: str | None) -> list:
    """``reg.type.render_details(details, locale)``, each label and value escaped inside the
    plugin's boundary into a core :class:`Markup` (what ``{{ }}`` would show), or one row holding
    the notice if that raises."""
    try:
        with registry().plugins.running(reg.plugin, f"render_details ({reg.decl.key})"):
            return [(markup(escape(label)), markup(escape(value)))
                    for label, value in reg.type.render_details(details, locale)]
    except Exception as exc:
        registry().plugins.fail(reg.plugin, M_DETAILS, exc, key=reg.decl.key, error=describe(exc))
        return [("", notice(reg))]


def notice(reg: RegisteredType) -> Markup:
    """What the page shows in place of a type's part that failed (already reported)."""
    return NOTICE.format(tr(msg("plugin.fragment_failed", type=reg.label)))
