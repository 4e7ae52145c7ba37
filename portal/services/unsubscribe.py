"""One-click unsubscribe from one kind of email (RFC 8058).

Every notice email carries ``List-Unsubscribe`` (a link of the portal's public address) and
``List-Unsubscribe-Post: List-Unsubscribe=One-Click``. The link holds a token signed with the
app's secret and a salt of its own, naming the person and the kind: the token is the only
authority (no login: a mail provider POSTs to it with no session), so a token altered in any way,
or signed for anything else of the portal, is refused.

The token does not expire: a mail provider or a reader may use it months after the message came,
and RFC 8058 wants it to work then. What one does with it is small and undone on the settings
page: one kind of email stops for one person; it reads and shows nothing but the kind's name.
"""

from __future__ import annotations

from flask import current_app
from itsdangerous import BadData, URLSafeSerializer

from portal.database import write_transaction
from portal.extensions import db
from portal.models import NotificationSetting, User
from portal.services.notifications import KINDS
from portal.timeutil import utcnow
from portal.url_rules import public_url

SALT = "yanxiu.email-unsubscribe"
ENDPOINT = "notifications.unsubscribe_link"


def _signer() -> URLSafeSerializer:
    return URLSafeSerializer(str(current_app.secret_key), salt=SALT)


def token(user_id: int, kind: str) -> str:
    """The signed token naming ``user_id`` and ``kind``."""
    return str(_signer().dumps([user_id, kind]))


def link(user_id: int, kind: str, lang: str) -> str:
    """The absolute unsubscribe link, on the portal's public address (never a request's host);
    its page opens in ``lang``, the language of the email."""
    return public_url(ENDPOINT, token=token(user_id, kind), lang=lang)


def parse(value: str) -> tuple[int, str] | None:
    """(person, kind) a genuine token names, when the person still exists and the kind is known;
    None for anything else (forged, altered, signed for another use, of someone deleted)."""
    try:
        data = _signer().loads(value)
    except (BadData, UnicodeError, ValueError):
        return None
    if not (isinstance(data, list) and len(data) == 2):
        return None
    user_id, kind = data
    if not isinstance(user_id, int) or isinstance(user_id, bool) or not isinstance(kind, str) or kind not in KINDS:
        return None
    if db.session.get(User, user_id) is None:
        return None
    return user_id, kind


def turn_off(user_id: int, kind: str) -> bool:
    """Add ``kind`` to the person's ``email_off``; False when it was off already (nothing
    changes: a second POST, or a provider's retry, is harmless)."""
    with write_transaction() as s:
        row = s.get(NotificationSetting, user_id, with_for_update=True)
        if row is None:
            row = NotificationSetting(user_id=user_id, email="", email_off=[])
            s.add(row)
        off = list(row.email_off or [])
        if kind in off:
            return False
        row.email_off, row.updated_at = sorted([*off, kind]), utcnow()
    return True
