"""A type's details form on the planning page: building and drawing it runs its plugin's code
(its fields' ``process_data``/``process_formdata``, widgets and labels) at request time.

If that raises, the failure is reported with the plugin's name and the type's key, and the page
is still shown (200) with a notice (naming the type) in place of *all* the type's fields — a form that cannot draw
one of them cannot be filled in correctly — while the core fields stay. A submission whose form
cannot be built or drawn is refused like a step (409 naming the type, nothing written).
Validating what was submitted (the page and the API alike) is guarded where it runs,
``activities.plan_activity`` through :func:`portal.plugin_data.type_call`. Templates only ask:
they show :attr:`Drawn.html` or :attr:`Drawn.notice`.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

from flask import get_template_attribute
from markupsafe import Markup

from portal.messages import msg, tr
from portal.plugin_data import PluginStepFailed, type_call
from portal.plugin_loader import M_FORM_BUILT, M_FORM_DRAWN, M_FORM_UNDRAWN, describe, recover_session
from portal.registry import RegisteredType, registry

NOTICE = Markup('<div class="alert alert-warning" role="alert" data-testid="plugin-form-failed">{}</div>')


@dataclass(frozen=True)
class Drawn:
    """The type's fields as the page shows them: ``html`` (empty for a form without fields), or
    ``notice`` in their place when its plugin's code raised (already reported)."""

    html: Markup = field(default_factory=Markup)
    notice: Markup | None = None

    @property
    def failed(self) -> bool:
        return self.notice is not None


def build(reg: RegisteredType, formdata: Any, prefix: str) -> Any:
    """The type's form with the fields' names under ``prefix``. With ``formdata`` (a submission)
    a form that raises refuses the step (:class:`PluginStepFailed`); without it (the page) it
    is None, reported, and :func:`draw` shows the notice."""
    if formdata is not None:
        return type_call(reg.type, "form", formdata, via=lambda data: reg.decl.form(formdata=data, prefix=prefix))
    try:
        with _running(reg):
            return reg.decl.form(formdata=None, prefix=prefix)
    except Exception as exc:
        _fail(reg, M_FORM_BUILT, exc)
        return None


def draw(reg: RegisteredType, form: Any, *, submitted: bool = False) -> Drawn:
    """``form``'s fields drawn with the portal's field macro (``_form.html``), or the notice if
    drawing one of them raises. For a ``submitted`` form that raise refuses the step instead
    (:class:`PluginStepFailed`): what the page could not show was not filled in as the plugin means."""
    if form is None:  # could not be built (reported)
        return Drawn(notice=notice(reg))
    macro = get_template_attribute("_form.html", "field")
    parts: list[Markup] = []
    name = ""
    try:
        with _running(reg):
            for f in form:
                name = str(getattr(f, "short_name", ""))
                parts.append(Markup(macro(f)))
    except Exception as exc:
        _fail(reg, M_FORM_UNDRAWN if submitted else M_FORM_DRAWN, exc, field=name)
        if submitted:
            raise PluginStepFailed(reg.plugin, reg.label) from None
        return Drawn(notice=notice(reg))
    return Drawn(html=Markup("").join(parts))


def notice(reg: RegisteredType) -> Markup:
    """What the planning page shows in place of a type's fields it could not draw."""
    return NOTICE.format(tr(msg("plugin.form_failed", type=reg.label)))


def _running(reg: RegisteredType) -> AbstractContextManager[None]:
    return registry().plugins.running(reg.plugin, f"form ({reg.decl.key})")


def _fail(reg: RegisteredType, message: str, exc: Exception, **params: Any) -> None:
    registry().plugins.fail(reg.plugin, message, exc, key=reg.decl.key, error=describe(exc), **params)
    recover_session()
