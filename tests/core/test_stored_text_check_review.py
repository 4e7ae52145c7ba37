"""Review of ``flask school check-text``: where a stored text is must be findable (a table keyed
by several columns, ``teacher_year``, was named by its first key alone: the school's id, which
every row of the school shares), and odd stored data must be reported, not crash the check."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from portal.extensions import db
from portal.models import Activity, TeacherYearRow


def _check(app):
    return app.test_cli_runner().invoke(args=["school", "check-text"])


def test_a_row_keyed_by_several_columns_is_named_by_all_of_them(app, demo):
    row = db.session.execute(select(TeacherYearRow).order_by(TeacherYearRow.user_id).limit(1)).scalar_one()
    key = (row.school_id, row.school_year, row.user_id)
    db.session.execute(text("UPDATE teacher_year SET reason = :r WHERE school_id = :s AND school_year = :y"
                            " AND user_id = :u"), {"r": "\u202e病假", "s": key[0], "y": key[1], "u": key[2]})
    db.session.commit()
    found = _check(app)
    assert found.exit_code == 1, found.output
    assert found.output.splitlines() == [f"teacher_year.reason {key!r}: '<U+202E>病假'",
                                         "1 stored text with direction controls"]


def test_a_json_column_holding_text_that_is_no_json_is_listed_not_a_crash(app, demo):
    """SQLite stores any text in a JSON column; PostgreSQL refuses what is not JSON, so there the
    state cannot arise (asserted), and the check lists nothing."""
    act_id = db.session.scalars(select(Activity.id).order_by(Activity.id).limit(1)).one()
    write = text("UPDATE activity SET details = :d WHERE id = :id")
    if db.engine.dialect.name != "sqlite":
        with pytest.raises(DBAPIError):
            db.session.execute(write, {"d": "{\u202e坏", "id": act_id})
        db.session.rollback()
        assert _check(app).output == "0 stored texts with direction controls\n"
        return
    db.session.execute(write, {"d": "{\u202e坏", "id": act_id})
    db.session.commit()
    found = _check(app)
    assert found.exit_code == 1 and found.exception is None or isinstance(found.exception, SystemExit), found.exception
    assert found.output.splitlines() == [f"activity.details {act_id}: '{{<U+202E>坏'",
                                         "1 stored text with direction controls"]
