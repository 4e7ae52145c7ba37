"""``flask plugins list`` with and without the example, and ``flask plugins new`` end to end."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from datetime import datetime
from decimal import Decimal
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from portal.scaffold import PluginNames, ScaffoldError, create_plugin
from tests.support.clock import subprocess_env
from tests.support.imports import imported_top_modules, undeclared_distributions

ROOT = Path(__file__).resolve().parents[2]


def flask(args: list[str], instance: Path, allowlist: list[str] | None = None, cwd: Path = ROOT,
          python: str = sys.executable):
    """Run ``flask --app wsgi …`` in a fresh interpreter, as an operator would."""
    instance.mkdir(parents=True, exist_ok=True)
    if allowlist is not None:
        (instance / "config.py").write_text(f"PLUGINS_ALLOWLIST = {allowlist!r}\n", encoding="utf-8")
    env = {**os.environ, "YANXIU_INSTANCE_PATH": str(instance), "FLASK_APP": str(ROOT / "wsgi.py")}
    env.pop("DATABASE_URL", None)
    return subprocess.run([python, "-m", "flask", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120)


def listed_keys(stdout: str) -> list[str]:
    return [line.split("\t")[0] for line in stdout.splitlines() if "\t" in line]


def test_plugins_list_shows_the_example_when_installed_and_not_when_switched_off(reading_club_installed, tmp_path):
    shown = flask(["plugins", "list"], tmp_path / "all")
    assert shown.returncode == 0, shown.stderr
    line = next(x for x in shown.stdout.splitlines() if x.startswith("reading_club\t"))
    assert line.split("\t") == ["reading_club", "读书会", "reading_club", "1.0.0"]

    off = flask(["plugins", "list"], tmp_path / "off", allowlist=["lecture", "observation"])
    assert off.returncode == 0, off.stderr
    assert listed_keys(off.stdout) == ["lecture", "observation"]


def test_scaffold_refuses_bad_names_and_non_empty_folders(tmp_path):
    for bad in ("", "X", "9lives", "with space", "读书会", "a" * 41):
        with pytest.raises(ScaffoldError):
            create_plugin(bad, tmp_path / "out")
    assert not (tmp_path / "out").exists()
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "keep.txt").write_text("mine")
    with pytest.raises(ScaffoldError):
        create_plugin("peer_review", tmp_path / "taken")
    assert [p.name for p in (tmp_path / "taken").iterdir()] == ["keep.txt"]
    # attack: the name of an installed plugin (a built-in's) made one that could never load,
    # its failure listed under the built-in's name
    for installed in ("lecture", "reading-club"):
        with pytest.raises(ScaffoldError, match="is installed already"):
            create_plugin(installed, tmp_path / installed)
        assert not (tmp_path / installed).exists()
    assert PluginNames.from_name("Lesson-Study") == PluginNames(
        "lesson_study", "yanxiu_lesson_study", "yanxiu-lesson-study", "LessonStudy"
    )


def throwaway_venv(path: Path) -> str:
    """A virtualenv at ``path`` that sees this environment's packages (Yanxiu, pytest, pip…)
    after its own: a ``.pth`` file adds them with ``site.addsitedir``, which also runs their
    ``.pth`` files (the editable installs). What is installed into it never reaches this
    environment. Returns its interpreter."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True, timeout=120)
    python = str(path / "bin" / "python")
    own = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                         check=True, capture_output=True, text=True).stdout.strip()
    ours = dict.fromkeys([sysconfig.get_path("purelib"), sysconfig.get_path("platlib")])
    lines = "".join(f"import site; site.addsitedir({p!r})\n" for p in ours)
    Path(own, "yanxiu_test_parent_env.pth").write_text(lines, encoding="utf-8")
    return python


@pytest.fixture(scope="session")
def throwaway_python(tmp_path_factory) -> str:
    """One throwaway virtualenv per test session (see :func:`throwaway_venv`)."""
    return throwaway_venv(tmp_path_factory.mktemp("venv") / "venv")


def outside_env() -> dict[str, str]:
    """The environment of a plugin author's shell: no app, no instance, no checkout on the path."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("FLASK_APP", "YANXIU_INSTANCE_PATH", "DATABASE_URL", "PYTHONPATH")
           and not k.startswith(("PYTEST_", "YANXIU_TEST"))}
    return env


def yanxiu_script() -> str:
    """The ``yanxiu`` console script this environment installed with the portal."""
    script = Path(sys.executable).parent / "yanxiu"
    assert script.exists(), "the yanxiu console script is missing: run make test-deps"
    return str(script)


@pytest.fixture
def scaffolded(tmp_path, throwaway_python) -> tuple[Path, str]:
    """``yanxiu plugins new`` run in an empty folder outside the checkout, installed
    (``--no-deps``) into a throwaway virtualenv; this environment is left untouched. Returns
    the plugin's folder and that interpreter."""
    empty = tmp_path / "empty"
    empty.mkdir()
    made = subprocess.run([yanxiu_script(), "plugins", "new", "online_forum"], cwd=empty, env=outside_env(),
                          capture_output=True, text=True, timeout=60)
    assert made.returncode == 0, made.stderr
    target = empty / "yanxiu-online-forum"
    assert f"created {target / 'README.md'}" in made.stdout
    assert "【待改名】online_forum" in made.stdout  # the author is told to change the placeholder
    subprocess.run([throwaway_python, "-m", "pip", "install", "-q", "--no-deps", "-e", str(target)],
                   check=True, timeout=300, env=outside_env())
    return target, throwaway_python


def test_the_console_script_refuses_a_bad_name_and_needs_no_app(tmp_path):
    bad = subprocess.run([yanxiu_script(), "plugins", "new", "9lives"], cwd=tmp_path, env=outside_env(),
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "a plugin name is 2–40 lowercase ASCII letters" in bad.stderr
    assert list(tmp_path.iterdir()) == []
    into = tmp_path / "elsewhere"
    ok = subprocess.run([yanxiu_script(), "plugins", "new", "peer_review", "--dir", str(into)], cwd=tmp_path,
                        env=outside_env(), capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0, ok.stderr
    assert (into / "yanxiu_peer_review" / "__init__.py").exists()
    assert not (tmp_path / "instance").exists()  # no app was made


def test_the_scaffold_writes_a_plugin_that_passes_its_own_tests_and_is_listed(scaffolded, tmp_path):
    scaffolded, python = scaffolded
    files = sorted(
        str(p.relative_to(scaffolded)) for p in scaffolded.rglob("*") if p.is_file() and ".egg-info" not in str(p)
    )
    assert files == [
        "README.md",
        "pyproject.toml",
        "tests/test_online_forum.py",
        "yanxiu_online_forum/__init__.py",
        "yanxiu_online_forum/templates/online_forum/fragment.html",
    ]
    assert '[project.entry-points."portal.plugins"]\nonline_forum = "yanxiu_online_forum"' in (
        scaffolded / "pyproject.toml"
    ).read_text()
    placeholder = 'name_zh = "【待改名】online_forum"'
    assert placeholder in (scaffolded / "yanxiu_online_forum" / "__init__.py").read_text()
    assert "`【待改名】online_forum`" in (scaffolded / "README.md").read_text()
    # on the suite's clock (its PYTHONPATH holds only the clock's sitecustomize, no checkout)
    run = subprocess.run([python, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=scaffolded,
                         env={**outside_env(), **subprocess_env()}, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "6 passed" in run.stdout

    listed = subprocess.run(  # as the README says, from outside the checkout
        [python, "-m", "flask", "--app", "portal", "plugins", "list"], cwd=scaffolded,
        env={**outside_env(), "YANXIU_INSTANCE_PATH": str(tmp_path / "list")}, capture_output=True, text=True,
        timeout=120)
    assert listed.returncode == 0, listed.stderr
    assert "online_forum\t【待改名】online_forum\tonline_forum\t0.1.0" in listed.stdout
    assert "online_forum" in listed_keys(listed.stdout)
    assert "FAILED" not in listed.stderr
    # this environment never had it
    assert "online_forum" not in {ep.name for ep in entry_points(group="portal.plugins")}


def test_the_skeleton_speaks_chinese_first_and_says_how_to_get_pytest(tmp_path, monkeypatch):
    """What the skeleton shows before its author changes anything: every setting with a label
    (the admin page showed the key ``host_multiplier`` on a Chinese page), its guard's words in
    both languages (an English sentence on the Chinese activity page), and a way to its own tests
    that brings pytest (the portal's install has none: ``pytest`` ran another one, which could
    not import the portal)."""
    from click.testing import CliRunner

    from portal.activity_types import Text
    from portal.scaffold.cli import main
    from workflows import ActivitySnapshot, TransitionContext

    target = tmp_path / "yanxiu-peer-review"
    said = CliRunner().invoke(main, ["plugins", "new", "peer_review", "--dir", str(target)])
    assert said.exit_code == 0, said.output
    assert f"pip install -e '{target}[test]'" in said.output and "python -m pytest" in said.output
    readme = (target / "README.md").read_text(encoding="utf-8")
    assert "pip install -e '.[test]'" in readme and "python -m pytest" in readme
    assert 'test = ["pytest' in (target / "pyproject.toml").read_text(encoding="utf-8")

    monkeypatch.syspath_prepend(str(target))
    import yanxiu_peer_review as skeleton

    [t] = skeleton.portal_activity_types()
    assert t.setting_declarations() and all(
        isinstance(s.label, Text) and s.label.zh for s in t.setting_declarations().values())
    activity = ActivitySnapshot(1, t.key, "planned", datetime(2026, 10, 15), datetime(2026, 10, 15), Decimal("2"), 1)
    ctx = TransitionContext(activity, [], [], t.settings_with_defaults({}), 1, frozenset({"owner"}), datetime(2026, 10, 15))
    [missing] = t.workflow().guards["hold"][0](ctx)
    assert isinstance(missing, Text) and missing.zh and missing.en


def test_scaffold_refuses_an_output_it_cannot_write_and_writes_nothing(tmp_path):
    """A link to nowhere, or a path through a file, as the output folder: refused with the
    reason (they ended in Python's FileExistsError and NotADirectoryError), nothing written."""
    from click.testing import CliRunner

    from portal.scaffold.cli import main

    dangling = tmp_path / "link"
    dangling.symlink_to(tmp_path / "nowhere")
    a_file = tmp_path / "a-file"
    a_file.write_text("mine")
    for output in (dangling, a_file / "plugin"):
        r = CliRunner().invoke(main, ["plugins", "new", "peer_review", "--dir", str(output)])
        assert r.exit_code == 2 and f"cannot write the plugin into {output}" in r.output, r.output
        assert r.exception is None or isinstance(r.exception, SystemExit), r.exception
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file", "link"] and a_file.read_text() == "mine"


def test_scaffold_quotes_a_bad_name_as_refusals_do(tmp_path):
    """Cut to 40 characters, an invisible character as U+FFFD: it echoed the whole argument as
    Python writes it."""
    with pytest.raises(ScaffoldError) as refused:
        create_plugin("bad\x07" + "a" * 300, tmp_path / "out")
    assert str(refused.value).startswith("'bad\ufffd" + "a" * 35 + "…': a plugin name is")


def test_the_skeleton_lints_clean_declares_what_it_imports_and_passes_its_tests(tmp_path, throwaway_python):
    """The skeleton as this checkout writes it (``create_plugin``, not an installed console
    script): its files pass the repo's own lint placed under ``examples/`` (its test's imports
    were sorted as a lone project sorts them, which the repo's import order refuses); its
    ``pyproject.toml`` names every distribution its code imports, the portal's by its
    distribution name (it named wtforms only); its sample topic is nobody's format in particular
    (it was a 同课异构 lesson's); and its own tests pass, installed into a throwaway environment."""
    from importlib.metadata import packages_distributions

    from portal.scaffold import PORTAL_DISTRIBUTION

    target = tmp_path / "yanxiu-peer-review"
    create_plugin("peer_review", target)
    ruff = Path(sys.executable).with_name("ruff")
    lint = subprocess.run([str(ruff), "check", "--no-cache", "--config", str(ROOT / "pyproject.toml"), str(target)],
                          capture_output=True, text=True, timeout=120)
    assert lint.returncode == 0, lint.stdout + lint.stderr

    distributions = packages_distributions()
    # the same distribution is listed once per ``sys.path`` entry that finds it ('' and the
    # checkout's folder both find ``yanxiu.egg-info``; CI's workers had it 8 times)
    assert set(distributions["portal"]) == set(distributions["workflows"]) == {PORTAL_DISTRIBUTION}
    assert imported_top_modules(target) >= {"portal", "workflows", "wtforms", "flask"}
    assert undeclared_distributions(target, {"yanxiu_peer_review"}) == set()

    written = "".join(p.read_text(encoding="utf-8") for p in target.rglob("*") if p.is_file())
    assert "同课异构：" not in written and "分数" not in written

    subprocess.run([throwaway_python, "-m", "pip", "install", "-q", "--no-deps", "-e", str(target)],
                   check=True, timeout=300, env=outside_env())
    clock = subprocess_env()  # this checkout's portal first, then the suite's clock
    path = os.pathsep.join([str(ROOT), *([clock["PYTHONPATH"]] if "PYTHONPATH" in clock else [])])
    run = subprocess.run([throwaway_python, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=target,
                         env={**outside_env(), **clock, "PYTHONPATH": path}, capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "6 passed" in run.stdout
