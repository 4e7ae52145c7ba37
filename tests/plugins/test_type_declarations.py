"""A type's declarations (name, roles, evidence kinds, settings, details form) are read on every
page without a guard around each call, so a plugin whose declaration raises or answers the wrong
kind of thing is refused when it loads, naming the declaration, the type and the plugin — and the
pages of every other type keep working."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from wtforms import Form, SelectField, StringField

from portal.activity_types import ActivityType, EvidenceKind, Role, Setting, Text
from portal.registry import registry
from tests.plugins.plugin_throwaway import make_type
from tests.plugins.test_request_time_failures import Plugin, raising
from tests.support import factories as f
from tests.support.sessions import log_in
from workflows import Phase, State, Transition, WorkflowExtension


def _choices_down() -> list[tuple[str, str]]:
    raise RuntimeError("levels down")


class _ExplodingForm(Form):
    topic = StringField("Topic")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise RuntimeError("form service down")


class _ChoicesDown(Form):
    """A form built fine whose choices (read for the API's list of types) raise."""

    level = SelectField("Level", choices=_choices_down)


class _Exits(str):
    """A label that is a text but runs the plugin's code wherever it is shown: a page would call
    its ``__str__``/``__html__`` outside the plugin's boundary, and ``sys.exit()`` there took the
    request down."""

    def __str__(self) -> str:
        sys.exit("label shown")

    def __html__(self) -> str:
        sys.exit("label shown")


class _ExitingText(Text):
    __slots__ = ()

    def __str__(self) -> str:
        sys.exit("label shown")


def _exiting_state_label(self: Any) -> WorkflowExtension:
    return WorkflowExtension(
        states=(State("prepared", _Exits("已准备"), "Prepared", phase=Phase.OPEN),),
        transitions=(Transition("prepare", ("planned",), "prepared", frozenset({"owner"}), "准备", "Prepare"),
                     Transition("hold", ("prepared",), "held", frozenset({"owner"}), "举行", "Hold")),
    )


def _with(key: str, **attrs: Any) -> ActivityType:
    """The throwaway type ``key`` (a details form, one role) with ``attrs`` in place."""
    return type(f"Broken_{key}", (type(make_type(key)),), attrs)()


BROKEN = {
    "no_roles": ({"roles": {}}, "roles of activity type 'no_roles' is invalid: it is empty"),
    "bad_role": ({"roles": {"member": ("成员", "Member")}},
                 "roles of activity type 'bad_role' is invalid: 'member' is ('成员', 'Member'), not a Role"),
    "bad_name": ({"name": lambda self, locale: None},
                 "name of activity type 'bad_name' is invalid: its Chinese name: None is not a text"),
    "exiting_name": ({"name_zh": _Exits("测验课")},
                     "name of activity type 'exiting_name' is invalid: its Chinese name: '测验课' is a _Exits, "
                     "not a plain str"),
    "exiting_role": ({"roles": {"member": Role(_Exits("成员"), "Member")}},
                     "role_label of activity type 'exiting_role' is invalid: the Chinese label of role 'member': "
                     "'成员' is a _Exits, not a plain str"),
    "exiting_kind": ({"evidence_kinds": {"photo": EvidenceKind("照片", _Exits("Photo"))}},
                     "all_evidence_kinds of activity type 'exiting_kind' is invalid: the English label of evidence kind "
                     "'photo': 'Photo' is a _Exits, "
                     "not a plain str"),
    "exiting_setting": ({"declared_settings": {"x": Setting(2, 0, 10, _ExitingText("倍数", "Multiplier"))}},
                        "setting_declarations of activity type 'exiting_setting' is invalid: a label is a "
                        "_ExitingText, not the portal's Text"),
    "exiting_state": ({"workflow": _exiting_state_label},
                      "workflow of type 'exiting_state' is invalid: TypeError: the Chinese label of state "
                      "'prepared': '已准备' is a _Exits, not a plain str"),
    "bad_label": ({"role_label": raising("labels down")},
                  "role_label of activity type 'bad_label' is invalid: RuntimeError: labels down"),
    "bad_kinds": ({"all_evidence_kinds": lambda self: ["photo"]},
                  "all_evidence_kinds of activity type 'bad_kinds' is invalid: ['photo'] is not a dict"),
    "bad_kind": ({"evidence_kinds": {"photo": "照片"}},
                 "all_evidence_kinds of activity type 'bad_kind' is invalid: 'photo' is '照片', not a EvidenceKind"),
    "sheet_as_reflection": ({"evidence_kinds": {"reflection": EvidenceKind("签到表", "Sign-in sheet", written=False)}},
                            "evidence_kinds of activity type 'sheet_as_reflection' is invalid: core evidence kind "
                            "'reflection' is redeclared as EvidenceKind(label_zh='签到表', label_en='Sign-in sheet', "
                            "written=False, after_start=False, of_the_activity=False); use a key of your own"),
    "notes_as_files": ({"evidence_kinds": {"reading_notes": EvidenceKind("读书笔记", "Reading notes", written=False)}},
                       "evidence_kinds of activity type 'notes_as_files' is invalid: core evidence kind "
                       "'reading_notes' is redeclared as EvidenceKind(label_zh='读书笔记', label_en='Reading notes', "
                       "written=False, after_start=False, of_the_activity=False); use a key of your own"),
    "photo_as_paper": ({"evidence_kinds": {"paper": EvidenceKind("论文照片", "Photo of a paper", written=False)}},
                       "evidence_kinds of activity type 'photo_as_paper' is invalid: evidence kind 'paper' counts as "
                       "the teacher's writing, so it cannot be a file only (written=False)"),
    "bad_settings": ({"setting_declarations": raising("settings down")},
                     "setting_declarations of activity type 'bad_settings' is invalid: RuntimeError: settings down"),
    "bad_schema": ({"settings_json_schema": lambda self: {"default": object}},
                   "settings_json_schema of activity type 'bad_schema' is invalid: TypeError: "
                   "Object of type type is not JSON serializable"),
    "bad_form": ({"form": dict}, "form of activity type 'bad_form' is invalid: <class 'dict'> is not a WTForms Form class"),
    "bad_form_init": ({"form": _ExplodingForm},
                      "form of activity type 'bad_form_init' is invalid: RuntimeError: form service down"),
    "bad_choices": ({"form": _ChoicesDown},
                    "form of activity type 'bad_choices' is invalid: RuntimeError: levels down"),
    # 1.23: a private field misspelt would leave the real one to every peer
    "private_unknown": ({"private_details": ("certificate",)},
                        "private_details of activity type 'private_unknown' is invalid: 'certificate' is not a field "
                        "of its form (topic)"),
    "private_text": ({"private_details": "topic"},
                     "private_details of activity type 'private_text' is invalid: 'topic' is not a tuple of the "
                     "form's field names"),
}


@pytest.mark.parametrize("key", list(BROKEN))
def test_a_broken_declaration_refuses_the_plugin_naming_it(make_app, plugin_log, key):
    attrs, message = BROKEN[key]
    message += "; the plugin was not loaded"
    app = make_app(EXTRA_PLUGINS=[(f"yx_{key}", Plugin(_with(key, **attrs)))])
    with app.app_context():
        assert registry().get(key) is None
        assert {x.plugin: x.error for x in registry().plugins.failures}[f"yx_{key}"] == message
        assert not registry().plugins.manager.has_plugin(f"yx_{key}")
        assert "lecture" in registry().types
    assert f"plugin yx_{key}: {message}" in plugin_log.text


def test_sound_declarations_are_accepted_and_every_builtin_passes(make_app):
    sound = _with("sound_type", evidence_kinds={"photo": EvidenceKind("照片", "Photo"),
                                                "paper": EvidenceKind("论文", "Paper")},
                  roles={"member": Role("成员", "Member"), "host": Role("主持", "Host")})
    app = make_app(EXTRA_PLUGINS=[("yx_sound", Plugin(sound))])
    with app.app_context():
        assert registry().get("sound_type") is not None
        assert not registry().plugins.failures
        assert {"lecture", "observation", "mentorship", "research", "school_visit"} <= set(registry().types)


def test_the_pages_of_a_portal_with_every_broken_declaration_work(make_app):
    """All the broken plugins at once: home, planning, the types' settings and the API document
    are served, and none of the broken types is offered."""
    app = make_app(EXTRA_PLUGINS=[(f"yx_{k}", Plugin(_with(k, **a))) for k, (a, _m) in BROKEN.items()])
    with app.app_context():
        s = f.school("DECL")
        admin = log_in(app.test_client(), f.staff(s)["admin"], s.id)
    for url in ("/", "/activities/new", "/admin/types", "/admin/plugins", "/api/v1/openapi.json"):
        r = admin.get(url)
        assert r.status_code == 200, url
        assert "bad_form_init" not in r.get_data(as_text=True) or url == "/admin/plugins", url
    listing = admin.get("/admin/plugins").get_data(as_text=True)
    assert "活动类型 &#39;bad_label&#39; 的 role_label 无效：RuntimeError: labels down；该插件未加载" in listing


def test_the_guide_quotes_the_messages_exactly():
    guide = (Path(__file__).resolve().parents[2] / "docs" / "plugins.md").read_text(encoding="utf-8")
    for key in ("bad_label", "bad_kinds", "bad_form_init"):
        assert f"\n{BROKEN[key][1]}; the plugin was not loaded\n" in guide, key
    assert "\n活动类型 'bad_label' 的 role_label 无效：RuntimeError: labels down；该插件未加载\n" in guide
