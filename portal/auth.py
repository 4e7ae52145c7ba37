"""Flask-Login wiring: the session carries ``user_id:session_version``, so logout-everywhere
and a password change make every copy of an older session cookie stop working.

The person's roles are read again on every request (:func:`load_user`), never kept in the
session: a role taken shows at once. One who holds no role anywhere any more (taken off the
staff of their every school) may not sign in (:func:`portal.policy.may_sign_in`): their open
session ends on its next request, and the login page tells them why."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, g, session
from flask.sessions import SecureCookieSessionInterface, SessionMixin
from itsdangerous import URLSafeTimedSerializer

from portal import policy
from portal.current import remember_memberships
from portal.extensions import login_manager
from portal.messages import TEXTS
from portal.models import User
from portal.services import access

#: What Flask-Login keeps in the session of a signed-in person (and the school they chose).
SIGNED_IN_KEYS = ("_user_id", "_fresh", "_id", "school_id")


@login_manager.user_loader
def load_user(token: str) -> User | None:
    try:
        uid_text, version_text = token.split(":", 1)
        uid, version = int(uid_text), int(version_text)
    except (ValueError, AttributeError):
        return None
    user, schools, district, unread = access.user_with_schools(uid)
    if user is None or not user.active or user.session_version != version:
        return None
    if not policy.may_sign_in(bool(schools) or district is not None):
        _end_session()
        return None
    remember_memberships(user.id, schools, district, unread)
    return user


def _end_session() -> None:
    """Sign the session out (its language stays): its holder may sign in no more. The notice on
    the way to the login page says why (:func:`_login_notice`)."""
    for key in SIGNED_IN_KEYS:
        session.pop(key, None)
    g.yanxiu_no_role_left = True


def _login_notice(message: Any) -> str:
    """The notice flashed on the way to the login page, in the visitor's language: why their
    session ended, when it ended for holding no role any more; else "please sign in"."""
    return str(TEXTS["auth.no_role_left"] if g.get("yanxiu_no_role_left") else message)


class KeptSerializerSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, the signing serializer built once per app and keys.

    Flask builds a new one on every request (and again when the cookie is set), and building
    one serializes an empty dict to learn whether the serializer speaks text: a few dozen
    Python calls before anyone is known. The serializer holds nothing but its settings, so one
    serves every request; a changed ``SECRET_KEY`` or ``SECRET_KEY_FALLBACKS`` builds a new one."""

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        keys = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        kept = app.extensions.get(_SIGNING_KEY)
        if kept is None or kept[0] != keys:
            kept = app.extensions[_SIGNING_KEY] = (keys, super().get_signing_serializer(app))
        return kept[1]

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        """Flask's, but a session that sends no cookie (most pages: read, not changed) only says
        ``Vary: Cookie`` when it was read, as Flask does, without reading the cookie's seven
        settings from the configuration and parsing the response's ``Vary`` into a set first."""
        if session and not self.should_set_cookie(app, session):
            if session.accessed:
                if "Vary" in response.headers:
                    response.vary.add("Cookie")
                else:
                    response.headers["Vary"] = "Cookie"
            return
        super().save_session(app, session, response)


_SIGNING_KEY = "yanxiu.session_serializer"


def init_app(app: Flask) -> None:
    app.session_interface = KeptSerializerSessions()
    login_manager.login_view = "auth.login"
    # flashed on the way to the login page, in the visitor's language (Flask-Login's own is English)
    login_manager.login_message = TEXTS["auth.login_required"]
    login_manager.localize_callback = _login_notice
    login_manager.session_protection = "basic"
