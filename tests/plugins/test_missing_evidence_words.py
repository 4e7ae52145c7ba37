"""``missing_evidence``, the guard helper of the plugin facade, names each kind a participant
lacks by its label — also when the guard passes no kinds (before, a type's own kind was then
shown by its key on a Chinese page) — and a kind no installed type declares as unknown, in
words."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from portal.activity_types import missing_evidence
from workflows import ActivitySnapshot, ParticipantSnapshot, TransitionContext

AT = datetime(2026, 11, 2, 6, 0)


def _ctx(type_key: str, name: str = "林晓雨") -> TransitionContext:
    act = ActivitySnapshot(None, type_key, "held", AT, AT, Decimal("2"), 1)
    return TransitionContext(act, [ParticipantSnapshot(7, "mentee", Decimal("2"), name=name)], [], {}, 1,
                             frozenset(), AT)


def test_a_types_own_kind_is_named_without_the_kinds_given(app):
    with app.test_request_context():
        [item] = missing_evidence(_ctx("mentorship"), {"mentee": {"article": 2}})
        assert (item.zh, item.en) == ("林晓雨：文章 0/2", "林晓雨: Article 0/2")


def test_the_cores_and_unknown_kinds_are_named_in_words(app):
    with app.test_request_context():
        core, unknown = missing_evidence(_ctx("mentorship", name=""), {"mentee": {"reflection": 1, "zzz_kind": 1}})
        assert (core.zh, core.en) == ("人员 7：教学反思 0/1", "user 7: Reflection 0/1")
        assert unknown.zh.startswith("人员 7：") and "已停用的材料类型" in unknown.zh and "zzz_kind" not in unknown.zh, unknown.zh
