from __future__ import annotations

import pytest

from portal import create_app, jobs
from portal.config import InsecureConfiguration
from portal.timeutil import parse_iso, school_year_of, semester_of


def test_environment_overrides(monkeypatch, tmp_path):
    monkeypatch.setenv("YANXIU_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/env.db")
    monkeypatch.setenv("SECRET_KEY", "from-the-environment-123")
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/env.db"
    assert app.config["SECRET_KEY"] == "from-the-environment-123"


def test_default_database_is_sqlite_in_instance(monkeypatch, tmp_path):
    monkeypatch.setenv("YANXIU_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/yanxiu.db"


def test_instance_config_file(monkeypatch, tmp_path):
    monkeypatch.setenv("YANXIU_INSTANCE_PATH", str(tmp_path))
    (tmp_path / "config.py").write_text("LOGIN_MAX_FAILURES = 9\n")
    assert create_app().config["LOGIN_MAX_FAILURES"] == 9


def test_production_refuses_default_secret(monkeypatch, tmp_path):
    monkeypatch.setenv("YANXIU_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("YANXIU_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(InsecureConfiguration):
        create_app()


def test_database_settings(app):
    """SQLite: WAL, busy timeout, foreign keys. PostgreSQL: a UTF-8 database."""
    from portal.extensions import db

    if db.engine.dialect.name == "postgresql":
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("SHOW server_encoding").scalar() == "UTF8"
        return
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 15000
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


@pytest.mark.parametrize(
    "text,utc",
    [("2026-10-15T14:00", "2026-10-15 06:00:00"), ("2026-10-15T14:00+00:00", "2026-10-15 14:00:00"),
     ("2026-10-15T14:00Z", "2026-10-15 14:00:00")],
)
def test_times_without_offset_are_school_local(text, utc):
    assert str(parse_iso(text, "Asia/Shanghai")) == utc


def test_school_year_and_semester():
    from datetime import date

    assert school_year_of(date(2026, 9, 1)) == "2026-2027" and school_year_of(date(2027, 8, 31)) == "2026-2027"
    assert [semester_of(date(2026, m, 1)) for m in (9, 1)] == [1, 1]
    assert [semester_of(date(2027, m, 1)) for m in (1, 2, 8)] == [1, 2, 2]


@pytest.mark.parametrize(("env", "value"), [
    ("YANXIU_TRUSTED_PROXIES", "abc"),
    ("YANXIU_TRUSTED_PROXIES", "-1"),
    ("YANXIU_MAIL_PORT", "smtp"),
    ("YANXIU_MAIL_PORT", "99999"),
    ("YANXIU_EXPORT_JOB_THRESHOLD", "many"),
    ("YANXIU_CERTIFICATE_JOB_THRESHOLD", "-3"),
    ("YANXIU_GC_THRESHOLD", "0"),  # the collector off: every request's cycles kept for ever
    ("YANXIU_GC_THRESHOLD", "10k"),
    ("YANXIU_JOBS_SQLITE_TIMEOUT", "0"),
    ("YANXIU_JOBS_SQLITE_TIMEOUT", "2.5"),
])
def test_a_number_from_the_environment_that_is_not_one_stops_the_start(monkeypatch, tmp_path, env, value):
    """Said at start, naming the variable: not a traceback (TRUSTED_PROXIES), nor mail that fails
    ten times in the worker (MAIL_PORT), nor a 500 on the first large export (thresholds)."""
    from portal.config import BadConfiguration

    monkeypatch.setenv("YANXIU_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/env.db")
    monkeypatch.setenv(env, value)
    with pytest.raises(BadConfiguration, match=f"{env}={value!r}"):
        create_app()


def test_numbers_from_the_environment_are_numbers(monkeypatch, tmp_path):
    monkeypatch.setenv("YANXIU_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/env.db")
    monkeypatch.setenv("YANXIU_MAIL_PORT", "587")
    monkeypatch.setenv("YANXIU_TRUSTED_PROXIES", "1")
    monkeypatch.setenv("YANXIU_EXPORT_JOB_THRESHOLD", "0")
    monkeypatch.setenv("YANXIU_JOBS_SQLITE_TIMEOUT", "12")
    app = create_app()
    assert (app.config["MAIL_PORT"], app.config["TRUSTED_PROXIES"], app.config["EXPORT_JOB_THRESHOLD"]) == (587, 1, 0)
    assert jobs.queue(app).huey.storage._timeout == 12  # the queue file's busy timeout, in huey


@pytest.mark.parametrize("value", ["prod", "live", "staging"])
def test_a_mistyped_yanxiu_env_stops_the_start(monkeypatch, tmp_path, value):
    """A typo must not start the portal in development (the development SECRET_KEY, no Secure
    cookie) while the operator believes it is in production."""
    from portal.config import BadConfiguration

    monkeypatch.setenv("YANXIU_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/env.db")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("YANXIU_ENV", value)
    with pytest.raises(BadConfiguration, match="YANXIU_ENV"):
        create_app()
    monkeypatch.setenv("YANXIU_ENV", "development")
    assert not create_app().config.get("PRODUCTION")


def _flask(monkeypatch, tmp_path, *args: str, **env: str):
    """``flask --app … ARGS`` as the operator runs it (Flask's own command group), in a fresh
    app built from the environment."""
    from click.testing import CliRunner
    from flask.cli import cli

    monkeypatch.setenv("YANXIU_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("YANXIU_JOBS_STORAGE", "memory")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/env.db")
    for name in ("SECRET_KEY", "YANXIU_ENV", "YANXIU_PUBLIC_URL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return CliRunner().invoke(cli, ["--app", "portal:create_app()", *args])


@pytest.mark.parametrize(("env", "said"), [
    ({"YANXIU_ENV": "prod"}, "YANXIU_ENV='prod'"),
    ({"YANXIU_ENV": "production"}, "needs SECRET_KEY"),
    ({"YANXIU_ENV": "production", "SECRET_KEY": "short"}, "needs SECRET_KEY"),
    ({"YANXIU_MAIL_PORT": "99999"}, "YANXIU_MAIL_PORT='99999'"),
    ({"YANXIU_PUBLIC_URL": "yanxiu.example.edu.cn"}, "YANXIU_PUBLIC_URL="),
    ({"YANXIU_JOBS_STORAGE": "rabbit"}, "JOBS_STORAGE='rabbit'"),
])
def test_a_bad_setting_is_one_line_at_the_command_line(monkeypatch, tmp_path, env, said):
    """``flask …`` with a setting the portal refuses says so in one line and exits 1; it printed
    a 30-line traceback whose last line was the message."""
    r = _flask(monkeypatch, tmp_path, "school", "list", **env)
    assert r.exit_code == 1, r.output
    assert r.output.startswith("Error: ") and said in r.output, r.output
    assert r.output.count("\n") == 1 and "Traceback" not in r.output


@pytest.mark.parametrize(("url", "said"), [
    ("not a url", "DATABASE_URL"),
    ("mysql://yanxiu:secret-pw@db/yanxiu", "DATABASE_URL"),
    ("sqlite:////no/such/folder/yanxiu.db", "/no/such/folder"),
])
def test_a_database_url_the_portal_cannot_use_stops_the_start(monkeypatch, tmp_path, url, said):
    """Not an address SQLAlchemy reads, a database other than SQLite or PostgreSQL (the driver's
    ImportError then 'No such command'), or a SQLite file in a folder that does not exist (a
    traceback at the first query): said at the start, in one line, never echoing the password."""
    from portal.config import BadConfiguration

    r = _flask(monkeypatch, tmp_path, "school", "list", DATABASE_URL=url)
    assert r.exit_code == 1 and r.output.startswith("Error: ") and said in r.output, r.output
    assert r.output.count("\n") == 1 and "secret-pw" not in r.output
    monkeypatch.setenv("DATABASE_URL", url)
    with pytest.raises(BadConfiguration, match="DATABASE_URL"):
        create_app()


@pytest.mark.parametrize("command", [["school", "list"], ["db", "upgrade"]])
def test_a_database_that_cannot_be_reached_is_one_line(monkeypatch, tmp_path, command):
    """A server that is down (or a wrong host, port or password): the command says it cannot
    connect, with the driver's reason, in one line and exit 1 — it was the driver's traceback,
    ``flask db upgrade``'s too — and never the password."""
    url = "postgresql://yanxiu:secret-pw@127.0.0.1:1/yanxiu"  # port 1: nothing listens
    r = _flask(monkeypatch, tmp_path, *command, DATABASE_URL=url)
    assert r.exit_code == 1, r.output
    lines = [line for line in r.output.splitlines() if not line.startswith("INFO ")]  # alembic's own
    # Chinese then English, as every refusal of the portal's commands (``cli.common.said``)
    assert len(lines) == 1 and lines[0].startswith("Error: 无法连接数据库"), r.output
    assert "cannot connect to the database" in lines[0], r.output
    assert "Connection refused" in lines[0] and "secret-pw" not in r.output


@pytest.mark.parametrize("setting", ["DEFAULT_TIMEZONE", "BABEL_DEFAULT_TIMEZONE"])
@pytest.mark.parametrize("zone", ["Mars/Olympus", "../../etc/passwd", 8])
def test_a_time_zone_that_is_none_stops_the_start(monkeypatch, tmp_path, setting, zone):
    """A time zone that does not exist in instance/config.py: said at the start, in one line —
    it was a traceback from the first command or page that read a date of no school."""
    from portal.config import BadConfiguration

    (tmp_path / "config.py").write_text(f"{setting} = {zone!r}\n")
    r = _flask(monkeypatch, tmp_path, "reminders", "run")
    assert r.exit_code == 1 and r.output.startswith(f"Error: {setting}=") and r.output.count("\n") == 1, r.output
    with pytest.raises(BadConfiguration, match=setting):
        create_app()
    (tmp_path / "config.py").write_text(f"{setting} = 'Asia/Urumqi'\n")
    assert create_app().config[setting] == "Asia/Urumqi"


@pytest.mark.parametrize(("env", "value", "said"), [
    ("YANXIU_UPLOAD_FOLDER", "/proc/no-such-folder", "'/proc/no-such-folder' (YANXIU_UPLOAD_FOLDER)"),
    ("YANXIU_JOBS_SQLITE_PATH", "/proc/no-such-folder/jobs.db", "'/proc/no-such-folder/jobs.db' (YANXIU_JOBS_SQLITE_PATH)"),
    ("YANXIU_PUBLIC_URL", "https://admin:secret-pw@yanxiu.example.edu.cn", "YANXIU_PUBLIC_URL"),
])
def test_a_place_the_portal_cannot_use_stops_the_start(monkeypatch, tmp_path, env, value, said):
    """An upload folder that cannot be made (the first teacher's upload was a 500), a job queue
    file that cannot be opened (a traceback from every command), a public address holding a
    password (printed in every certificate's QR code): said at the start, in one line."""
    r = _flask(monkeypatch, tmp_path, "school", "list", YANXIU_JOBS_STORAGE="sqlite", **{env: value})
    assert r.exit_code == 1 and r.output.startswith("Error: ") and said in r.output, r.output
    assert r.output.count("\n") == 1 and "secret-pw" not in r.output
