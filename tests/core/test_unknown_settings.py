"""A misspelt ``YANXIU_*`` variable stops the start, naming it and the closest known name.

Operator: ``YANXIU_CAHCE_TYPE=redis`` started a portal on the default cache with no word, and
``YANXIU_SMPT_HOST`` a portal sending no email. Now an unknown ``YANXIU_`` name is a
``BadConfiguration`` (``flask …`` says it in one ``Error:`` line), unless the portal reads it
elsewhere (``config.ENV_READ_ELSEWHERE``): every name the repository reads is known, so nothing
that starts today is refused."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from portal import create_app
from portal.config import ENV_KEYS, ENV_READ_ELSEWHERE, BadConfiguration

ROOT = Path(__file__).resolve().parents[2]
NAME = re.compile(r"YANXIU_[A-Z0-9_]*[A-Z0-9]")
#: the repository's text: code, build and CI files, documentation
READ = ("*.py", "*.md", "*.toml", "*.cfg", "*.sh", "*.yml", "*.yaml", "*.txt", "*.ini", "Makefile", "Dockerfile")


def _start(monkeypatch, tmp_path, **env: str):
    monkeypatch.setenv("YANXIU_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return create_app()


@pytest.mark.parametrize("typo,meant", [("YANXIU_CAHCE_TYPE", "YANXIU_CACHE_TYPE"),
                                        ("YANXIU_PUBLICURL", "YANXIU_PUBLIC_URL"),
                                        ("YANXIU_JOB_STORAGE", "YANXIU_JOBS_STORAGE"),
                                        # another program's words for ours (config.ENV_WORDS): by
                                        # spelling alone SMPT_HOST came closest to YANXIU_MAIL_PORT
                                        ("YANXIU_SMPT_HOST", "YANXIU_MAIL_SERVER"),
                                        ("YANXIU_SMTP_HOST", "YANXIU_MAIL_SERVER"),
                                        ("YANXIU_SMTP", "YANXIU_MAIL_SERVER"),
                                        ("YANXIU_SMTP_PORT", "YANXIU_MAIL_PORT"),
                                        ("YANXIU_SMTP_USER", "YANXIU_MAIL_USERNAME"),
                                        ("YANXIU_MAIL_PASS", "YANXIU_MAIL_PASSWORD"),
                                        ("YANXIU_SMTP_PASSWORD", "YANXIU_MAIL_PASSWORD"),
                                        ("YANXIU_MAIL_FROM", "YANXIU_MAIL_SENDER"),
                                        ("YANXIU_DB", "DATABASE_URL"),
                                        ("YANXIU_DATABASE_URL", "DATABASE_URL"),
                                        ("YANXIU_SECRET", "SECRET_KEY"),
                                        ("YANXIU_REDIS_HOST", "YANXIU_JOBS_REDIS_URL")])
def test_a_misspelt_setting_stops_the_start_naming_it_and_the_closest(monkeypatch, tmp_path, typo, meant):
    with pytest.raises(BadConfiguration) as refused:
        _start(monkeypatch, tmp_path, **{typo: "redis"})
    assert refused.value.message.startswith(f"未知设置 {typo}：您是否想写 {meant}？")  # Chinese, then English
    assert f" — unknown setting {typo}: did you mean {meant}?" in refused.value.message


def test_the_command_line_says_it_in_one_line(monkeypatch, tmp_path):
    from flask.cli import ScriptInfo

    monkeypatch.setenv("YANXIU_CAHCE_TYPE", "redis")
    monkeypatch.setenv("YANXIU_INSTANCE_PATH", str(tmp_path))
    with pytest.raises(BadConfiguration) as refused:
        ScriptInfo(create_app=create_app).load_app()
    assert "\n" not in refused.value.format_message() and "YANXIU_CACHE_TYPE" in refused.value.format_message()


def _operator(tmp_path, *args: str) -> subprocess.CompletedProcess[str]:
    """``flask ARGS`` in a fresh interpreter in the checkout (the app found in ``wsgi.py``, as
    the Makefile's ``flask --app wsgi``), a misspelt setting in the environment."""
    env = {**os.environ, "YANXIU_INSTANCE_PATH": str(tmp_path), "YANXIU_SMPT_HOST": "smtp.example.edu.cn"}
    env.pop("DATABASE_URL", None)
    return subprocess.run([sys.executable, "-m", "flask", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)


#: the one line: Chinese, then the same in English (``portal.messages.operator_line``)
SAID = "Error: 未知设置 YANXIU_SMPT_HOST：您是否想写 YANXIU_MAIL_SERVER？"
SAID_EN = " — unknown setting YANXIU_SMPT_HOST: did you mean YANXIU_MAIL_SERVER?"


def test_help_with_a_misspelt_setting_says_it_in_one_line_above_the_usage(tmp_path):
    """Flask's command group printed the start's traceback above the usage (it shows only its
    own "no app" error in one line while it lists the app's commands)."""
    shown = _operator(tmp_path, "--help")
    assert shown.returncode == 0, shown.stderr  # the usage was asked for, and given
    assert "Traceback" not in shown.stderr + shown.stdout, shown.stderr
    assert shown.stderr.strip().startswith(SAID) and shown.stderr.strip().count("\n") == 0, shown.stderr
    assert SAID_EN in shown.stderr
    assert shown.stdout.startswith("Usage: ") and "run " in shown.stdout, shown.stdout


@pytest.mark.parametrize("command", [["school", "list"], ["db", "--help"]])
def test_a_command_with_a_misspelt_setting_stops_in_one_line(tmp_path, command):
    ran = _operator(tmp_path, *command)
    assert ran.returncode == 1, (ran.stdout, ran.stderr)
    assert "Traceback" not in ran.stderr + ran.stdout and ran.stdout == "", ran.stderr
    assert ran.stderr.startswith(SAID) and SAID_EN in ran.stderr and ran.stderr.count("\n") == 1, ran.stderr


def test_a_lower_case_or_other_prefix_is_not_the_portals(monkeypatch, tmp_path):
    app = _start(monkeypatch, tmp_path, yanxiu_cahce_type="x", YANXIUCACHE="x", MY_YANXIU_THING="x")
    assert "CACHE_TYPE" not in app.config or app.config["CACHE_TYPE"] != "x"


def test_the_settings_read_elsewhere_start(monkeypatch, tmp_path):
    env = {name: "1" for name in ENV_READ_ELSEWHERE if name not in ("YANXIU_ENV", "YANXIU_INSTANCE_PATH")}
    app = _start(monkeypatch, tmp_path, YANXIU_ENV="development", YANXIU_TRUSTED_PROXIES="1", **env)
    assert app.config["TRUSTED_PROXIES"] == 1


def _names_read() -> dict[str, str]:
    """Every ``YANXIU_`` name written in the repository's text, with a file it is in."""
    found: dict[str, str] = {}
    for pattern in READ:
        for path in ROOT.rglob(pattern):
            parts = path.relative_to(ROOT).parts
            if parts[0] in (".git", ".venv", "instance", "node_modules") or path == Path(__file__).resolve():
                continue
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            for name in NAME.findall(text):
                found.setdefault(name, str(path.relative_to(ROOT)))
    return found


def test_every_name_the_repository_reads_is_known():
    """The Makefile, CI, tests, benchmarks, wsgi.py and docs: a name read there and not known
    would stop every start that sets it (a prefix such as ``YANXIU_TEST`` is not a name)."""
    known = set(ENV_KEYS) | ENV_READ_ELSEWHERE
    found = _names_read()
    assert {"YANXIU_INSTANCE_PATH", "YANXIU_TEST_DATABASE_URL", "YANXIU_CHROMIUM"} <= set(found)  # the scan reads
    unknown = {name: where for name, where in found.items() if name not in known and name != "YANXIU_TEST"}
    assert not unknown, unknown
