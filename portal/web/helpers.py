"""Template helpers: links to pages that may not exist yet, labels of types, states and
roles in the viewer's language, hours and local times."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Flask, current_app, request, url_for
from werkzeug.routing import BuildError

from portal.current import current_roles, current_school, user_schools
from portal.hours import fmt
from portal.i18n import lang_code
from portal.page_cache import nav_key
from portal.registry import registry
from portal.timeutil import to_local
from workflows.definition import CORE


def nav_url(endpoint: str, **values: Any) -> str | None:
    """The URL of ``endpoint``, or None while no blueprint registers it."""
    if endpoint not in current_app.view_functions:
        return None
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None


def type_name(key: str) -> str:
    reg = registry().get(key)
    return reg.type.name(lang_code()) if reg else key


def _definition(type_key: str | None):
    reg = registry().get(type_key) if type_key else None
    return reg.engine.definition if reg else CORE


def state_label(state: str, type_key: str | None = None) -> str:
    try:
        s = _definition(type_key).state(state)
    except KeyError:
        try:
            s = CORE.state(state)
        except KeyError:
            return state
    return s.label_en if lang_code() == "en" else s.label_zh


def trigger_label(trigger: str, type_key: str | None = None) -> str:
    try:
        t = _definition(type_key).transition(trigger)
    except KeyError:
        return trigger
    return t.label_en if lang_code() == "en" else t.label_zh


def role_label(role: str, type_key: str) -> str:
    reg = registry().get(type_key)
    return reg.type.role_label(role, lang_code()) if reg else role


def evidence_kind_label(kind: str, type_key: str) -> str:
    reg = registry().get(type_key)
    if reg is None:
        return kind
    k = reg.type.all_evidence_kinds().get(kind)
    if k is None:
        return kind
    return k.label_en if lang_code() == "en" else k.label_zh


def local_time(dt: datetime | None, with_time: bool = True) -> str:
    if dt is None:
        return ""
    school = current_school()
    tz = school.timezone if school else current_app.config.get("DEFAULT_TIMEZONE", "Asia/Shanghai")
    local = to_local(dt, tz)
    return local.strftime("%Y-%m-%d %H:%M" if with_time else "%Y-%m-%d")


STATE_BADGES = {
    "planned": "text-bg-secondary",
    "held": "text-bg-warning",
    "reviewed": "text-bg-info",
    "credited": "text-bg-success",
    "cancelled": "text-bg-light",
}


def state_badge(state: str) -> str:
    return STATE_BADGES.get(state, "text-bg-primary")


def url_with(**changes: Any) -> str:
    """The current URL with some query arguments changed (pagination, filters)."""
    args = request.args.to_dict()
    for k, v in changes.items():
        if v is None:
            args.pop(k, None)
        else:
            args[k] = v
    return url_for(request.endpoint, **(request.view_args or {}), **args)


def percent(part: Any, whole: Any) -> int:
    """0–100, for bar widths (SVG ``width`` attributes, never inline styles)."""
    try:
        p, w = float(part or 0), float(whole or 0)
    except (TypeError, ValueError):
        return 0
    if w <= 0:
        return 100 if p > 0 else 0
    return max(0, min(100, round(100 * p / w)))


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(
        nav_url=nav_url,
        type_name=type_name,
        state_label=state_label,
        trigger_label=trigger_label,
        role_label=role_label,
        evidence_kind_label=evidence_kind_label,
        local_time=local_time,
        state_badge=state_badge,
        url_with=url_with,
        percent=percent,
        current_school=current_school,
        current_roles=current_roles,
        user_schools=user_schools,
        nav_key=nav_key,
    )
    app.jinja_env.filters["hours"] = fmt
