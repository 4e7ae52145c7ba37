"""Throwaway plugins for the hook and isolation tests (registered with ``EXTRA_PLUGINS``)."""

from __future__ import annotations

from typing import Any

from wtforms import Form, StringField

from portal.activity_types import ActivityType, Role, Text
from portal.hookspecs import hookimpl


class TopicForm(Form):
    topic = StringField(Text("主题", "Topic"))


def make_type(key: str, name_zh: str = "测试类型") -> ActivityType:
    cls = type(
        f"Type_{key}",
        (ActivityType,),
        {"key": key, "name_zh": name_zh, "name_en": "Test type", "roles": {"member": Role("成员", "Member")},
         "form": TopicForm},
    )
    return cls()


class ProvidesType:
    def __init__(self, key: str, name_zh: str = "测试类型"):
        self.key, self.name_zh = key, name_zh

    @hookimpl
    def portal_activity_types(self):
        return [make_type(self.key, self.name_zh)]


class ProvidesTypes:
    """Provides the given types, as declared by the test (a type with states of its own)."""

    def __init__(self, *types: type[ActivityType]):
        self.types = types

    @hookimpl
    def portal_activity_types(self):
        return [kind() for kind in self.types]


class Recorder:
    """Records every ``portal_activity_transitioned`` call."""

    def __init__(self):
        self.calls: list[dict[str, Any]] = []

    @hookimpl
    def portal_activity_transitioned(self, activity, trigger, from_state, to_state, actor_id, school_code):
        self.calls.append(dict(activity=activity, trigger=trigger, from_state=from_state, to_state=to_state,
                               actor_id=actor_id, school_code=school_code))


class RaisesInTypes:
    @hookimpl
    def portal_activity_types(self):
        raise RuntimeError("types exploded")


class RaisesInTransitioned:
    @hookimpl
    def portal_activity_transitioned(self, trigger):
        raise RuntimeError(f"notifier down during {trigger}")


class RaisesInTemplateDirs:
    @hookimpl
    def portal_template_dirs(self):
        raise OSError("no such folder")
