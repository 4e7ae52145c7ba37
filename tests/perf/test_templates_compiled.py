"""A served process compiles its templates at its start, not on each page's first visit
(``portal.settle_for_serving`` → ``portal.jinja_env.compile_templates``, BENCHMARKS.md round 45):
every template of the loader's list is in the Jinja environment before the first request, read
from a bytecode cache in the instance folder when an earlier process (another worker, the run
before a restart) compiled it. A changed template is compiled again at the next start; apps
that tests and commands build compile nothing ahead.

Counted: ``Environment.compile`` calls (Jinja's compiling of a template's source), never time."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from flask import Flask, render_template
from jinja2 import ChoiceLoader, FileSystemLoader

from portal.demo import DEMO_PASSWORD
from portal.jinja_env import TemplateBytecode, compile_templates

ROOT = Path(__file__).resolve().parents[2]


def _count_compiles(app: Flask) -> list[str]:
    """The names Jinja compiles from source in ``app`` from now on (the real compiler runs)."""
    env, compiled = app.jinja_env, []
    real = env.compile

    def compile(source, name=None, filename=None, raw=False, defer_init=False):
        compiled.append(name)
        return real(source, name, filename, raw, defer_init)

    env.compile = compile  # type: ignore[method-assign]
    return compiled


@pytest.fixture
def make_app(make_app, tmp_path, monkeypatch):
    """The suite's ``make_app`` with the instance folder (where the compiled templates are kept)
    in the test's own folder: one for every app of the test, as one for every worker."""
    monkeypatch.setenv("YANXIU_INSTANCE_PATH", str(tmp_path / "instance"))

    def served_like(**kwargs):
        app = make_app(**kwargs)
        # as a served app starts: none of the tests' shared compiled templates (conftest), whose content
        # depends on which tests this process ran before (a count here would too)
        app.jinja_env.bytecode_cache = None
        return app

    return served_like


def _signed_in(app: Flask, username: str):
    client = app.test_client()
    assert client.post("/login", data={"username": username, "password": DEMO_PASSWORD}).status_code == 302
    return client


def test_served_pages_compile_no_template(make_app):
    app = make_app(demo=True)
    compiled = _count_compiles(app)
    names = app.jinja_env.list_templates()
    assert len(names) > 50 and "base.html" in names and "review/queue.html" in names
    assert compile_templates(app) == len(names)
    assert sorted(compiled) == sorted(names)  # each once, from source (an empty instance folder)
    compiled.clear()
    for username, url in (("teacher1", "/"), ("reviewer", "/review"), ("admin", "/activities"),
                          ("admin", "/reports/summary"), ("admin", "/activities/new/lecture")):
        response = _signed_in(app, username).get(url)
        assert response.status_code == 200, url
    assert compiled == []  # without compile_templates: base.html, home/index.html, … on first use


def test_the_next_process_reads_the_compiled_code_and_sees_a_changed_template(make_app, tmp_path):
    own = tmp_path / "own-templates"
    own.mkdir()
    (own / "_probe.html").write_text("one {{ 1 + 1 }}", encoding="utf-8")

    def started() -> tuple[Flask, list[str]]:
        app = make_app()
        app.jinja_loader = ChoiceLoader([FileSystemLoader(str(own)), app.jinja_loader])
        compiled = _count_compiles(app)
        compile_templates(app)
        return app, compiled

    first, compiled = started()
    assert "_probe.html" in compiled and "base.html" in compiled
    folder = Path(first.instance_path) / "templates-compiled"
    assert len(list(folder.glob("*.cache"))) == len(compiled)
    second, compiled = started()  # a restart, or the next worker: the same instance folder
    assert second.instance_path == first.instance_path
    assert compiled == []
    with second.test_request_context():
        assert render_template("_probe.html") == "one 2"
    (own / "_probe.html").write_text("two {{ 2 + 2 }}", encoding="utf-8")
    third, compiled = started()
    assert compiled == ["_probe.html"]  # the others unchanged
    with third.test_request_context():
        assert render_template("_probe.html") == "two 4"


def test_another_build_never_reads_the_files_and_they_are_removed(make_app):
    app = make_app()
    folder = Path(app.instance_path) / "templates-compiled"
    folder.mkdir(parents=True)
    stale = folder / "0123456789abcdef-0000.cache"
    stale.write_bytes(b"from an earlier release")
    other = folder / "notes.txt"
    other.write_text("not ours")
    compile_templates(app)
    cache = app.jinja_env.bytecode_cache
    assert isinstance(cache, TemplateBytecode) and cache.fingerprint != "0123456789abcdef"
    assert not stale.exists() and other.exists()
    assert all(p.name.startswith(cache.fingerprint) for p in folder.glob("*.cache"))


def test_a_folder_that_cannot_be_made_leaves_them_compiled_in_memory(make_app, caplog):
    app = make_app()
    blocked = Path(app.instance_path) / "templates-compiled"
    blocked.parent.mkdir(parents=True, exist_ok=True)
    blocked.write_text("a file where the folder would be")  # fails as a read-only folder would, root or not
    compiled = _count_compiles(app)
    assert compile_templates(app) == len(app.jinja_env.list_templates()) == len(compiled)
    assert not isinstance(app.jinja_env.bytecode_cache, TemplateBytecode)
    assert sum("are not kept in" in r.getMessage() for r in caplog.records) == 1


def test_files_that_cannot_be_written_are_said_once_and_the_templates_still_load(make_app, tmp_path):
    app = make_app()
    said: list[str] = []
    app.jinja_env.bytecode_cache = TemplateBytecode(str(tmp_path / "gone"), "f" * 16, said.append)  # no such folder
    names = app.jinja_env.list_templates()[:5]
    for name in names:
        assert app.jinja_env.get_template(name).name == name
    assert len(said) == 1 and "are not kept in" in said[0]
    assert not (tmp_path / "gone").exists()


def test_building_an_app_compiles_nothing_ahead(make_app):
    app = make_app()
    assert len(app.jinja_env.cache) == 0 and not isinstance(app.jinja_env.bytecode_cache, TemplateBytecode)
    assert not (Path(app.instance_path) / "templates-compiled").exists()


CHECK = ("import wsgi; env = wsgi.app.jinja_env; "
         "print(len(env.cache), len(env.list_templates()))")


def test_wsgi_compiles_every_template_and_a_flask_command_none(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}", "YANXIU_INSTANCE_PATH": str(tmp_path),
           "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", CHECK], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120, check=True)
    kept, listed = (int(x) for x in done.stdout.split()[-2:])
    assert kept == listed > 50
    files = list((tmp_path / "templates-compiled").glob("*.cache"))
    assert len(files) == listed
    for file in files:
        file.unlink()
    command = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "routes"], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=120)
    assert command.returncode == 0, command.stderr
    assert list((tmp_path / "templates-compiled").glob("*.cache")) == []
