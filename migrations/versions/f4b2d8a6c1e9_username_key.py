"""usernames compared in one folded form: ``user_account.username_key``

``username_key`` is the username with compatibility forms folded and case ignored (NFKC, case
folding, NFKC), unique: ``Teacher1``, full-width ``ｔｅａｃｈｅｒ１`` and ``teacher1`` are one
username, found by a login whichever way it is typed, and no second account can take another
spelling of it. Filled here from the usernames there are. Two accounts made before this
revision whose usernames fold alike both keep working: the older (lower id) gets the key, the
later ones ``<key>#<id>`` (a key no username can fold to: '#' is not allowed in one), and still
log in by typing their username exactly as it was given. A username whose folded form is longer
than 64 characters is keyed the same way.

Revision ID: f4b2d8a6c1e9
Revises: d5a1c7e3b902
Create Date: 2026-12-03 13:45:00
"""
import unicodedata

import sqlalchemy as sa
from alembic import op

revision = "f4b2d8a6c1e9"
down_revision = "d5a1c7e3b902"
branch_labels = None
depends_on = None

KEY_MAX = 64  # the folded usernames; '#id' added beyond it (the column holds 80)


def _folded(username: str) -> str:
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", username.strip()).casefold())


def upgrade():
    op.add_column("user_account", sa.Column("username_key", sa.String(length=80), nullable=True))  # no table copy
    bind = op.get_bind()
    used: set[str] = set()
    keys = []
    for user_id, username in bind.execute(sa.text("SELECT id, username FROM user_account ORDER BY id")):
        key = _folded(username)
        if key in used or len(key) > KEY_MAX:
            key = f"{key[:KEY_MAX]}#{user_id}"
        used.add(key)
        keys.append({"id": user_id, "key": key})
    if keys:
        bind.execute(sa.text("UPDATE user_account SET username_key = :key WHERE id = :id"), keys)
    op.create_index("ix_user_account_username_key", "user_account", ["username_key"], unique=True)


def downgrade():
    op.drop_index("ix_user_account_username_key", table_name="user_account")
    op.drop_column("user_account", "username_key")
