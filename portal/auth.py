"""Flask-Login wiring: the session carries ``user_id:session_version``, so logout-everywhere
and a password change make every copy of an older session cookie stop working."""

from __future__ import annotations

from flask import Flask

from portal.current import remember_memberships
from portal.extensions import login_manager
from portal.messages import TEXTS
from portal.models import User
from portal.services import access


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
    remember_memberships(user.id, schools, district, unread)
    return user


def init_app(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    # flashed on the way to the login page, in the visitor's language (Flask-Login's own is English)
    login_manager.login_message = TEXTS["auth.login_required"]
    login_manager.localize_callback = str
    login_manager.session_protection = "basic"
