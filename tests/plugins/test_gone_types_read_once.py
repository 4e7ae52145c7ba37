"""Which types are gone is read once per app: a type key typed into a URL costs no statement."""

from __future__ import annotations

from portal.registry import registry
from portal.services import gone_types
from tests.support import factories as f
from tests.support.spies import calls_of


def test_keys_no_row_holds_do_not_read_the_stored_types_again(make_app, monkeypatch):
    """Before: each key not among the gone types read them again (a union over activities, the
    whole ledger, school switches and plan lines, the ledger without an index on its type), so a
    request naming made-up keys scanned the ledger once per key. Now once per app."""
    app = make_app()
    with app.app_context():
        f.school("GONE3", types=("lecture", "research", "observation"))
    app2 = make_app(PLUGINS_ALLOWLIST=["observation"], SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"])
    reads = calls_of(monkeypatch, gone_types, "stored_not_installed")
    with app2.app_context():
        types = registry()
        assert types.name("lecture", "zh") == "已停用的活动类型（1）"
        for n in range(5):
            assert types.name(f"typed_in_a_url_{n}", "zh") == "已停用的活动类型"
        assert types.name("research", "en") == "discontinued activity type (2)"
    assert len(reads) == 1
