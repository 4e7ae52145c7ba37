"""``flask school check-text``: the stored texts written before requests refused direction
controls, listed so a school can correct them (an audit's "left" item: text stored with U+202E
before the guard still showed turned around)."""

from __future__ import annotations

from sqlalchemy import select, text, update

from portal.extensions import db
from portal.models import Activity, User


def _check(app):
    return app.test_cli_runner().invoke(args=["school", "check-text"])


def test_every_stored_text_turned_around_is_listed_and_nothing_else(app, demo):
    clean = _check(app)
    assert clean.exit_code == 0 and clean.output == "0 stored texts with direction controls\n", clean.output
    user_id, marked_id = db.session.scalars(select(User.id).order_by(User.id).limit(2)).all()
    act_id, other_id = db.session.scalars(select(Activity.id).order_by(Activity.id).limit(2)).all()
    # written the way the code before the guard wrote them (requests refuse them now)
    db.session.execute(text("UPDATE user_account SET display_name = :n WHERE id = :id"),
                       {"n": "\u202e时学03定认已", "id": user_id})
    db.session.execute(text("UPDATE user_account SET display_name = :n WHERE id = :id"),
                       {"n": "林\u200e老师", "id": marked_id})  # a mark turns no run around: not listed
    db.session.execute(text("UPDATE activity SET title = :t WHERE id = :id"),
                       {"t": "讲座\u2066甲\u2069", "id": act_id})
    db.session.execute(update(Activity).where(Activity.id == other_id)
                       .values(details={"书名": ["\u202b《论语》", "\u202c"]}))
    db.session.commit()
    found = _check(app)
    assert found.exit_code == 1, found.output
    assert found.output.splitlines() == [
        f"user_account.display_name {user_id}: '<U+202E>时学03定认已'",
        f"activity.title {act_id}: '讲座<U+2066>甲<U+2069>'",
        f"activity.details {other_id}: '<U+202B>《论语》'",
        f"activity.details {other_id}: '<U+202C>'",
        "4 stored texts with direction controls",
    ]
    # nothing was written
    assert db.session.execute(select(User.display_name).where(User.id == user_id)).scalar() == "\u202e时学03定认已"
