"""A type's page fragment and rendered details, shown on the activity page; either that raises
is replaced by a notice naming its plugin, and the error is logged with that name (never a 500)."""

from __future__ import annotations

from flask_babel import gettext as _
from markupsafe import Markup

from portal.plugin_loader import M_DETAILS, M_FRAGMENT, describe, recover_session
from portal.registry import RegisteredType, registry

NOTICE = Markup('<div class="alert alert-warning mb-0" role="alert" data-testid="plugin-fragment-failed">{}</div>')


def page_fragment(reg: RegisteredType, ctx, locale: str | None):
    """``reg.type.page_fragment(ctx, locale)``, or the notice if it raises."""
    try:
        with registry().plugins.running(reg.plugin, f"page_fragment ({reg.type.key})"):
            return reg.type.page_fragment(ctx, locale)
    except Exception as exc:
        registry().plugins.fail(reg.plugin, M_FRAGMENT, exc, key=reg.type.key, error=describe(exc))
        recover_session()
        return notice(reg.plugin)


def render_details(reg: RegisteredType, details: dict, locale: str | None) -> list:
    """``reg.type.render_details(details, locale)``, or one row holding the notice if it raises."""
    try:
        with registry().plugins.running(reg.plugin, f"render_details ({reg.type.key})"):
            return reg.type.render_details(details, locale)
    except Exception as exc:
        registry().plugins.fail(reg.plugin, M_DETAILS, exc, key=reg.type.key, error=describe(exc))
        return [("", notice(reg.plugin))]


def notice(plugin: str) -> Markup:
    """What the page shows in place of a plugin's part that failed (already reported)."""
    return NOTICE.format(
        _("The plugin %(plugin)s could not show its part of this page. The error has been logged.", plugin=plugin)
    )
