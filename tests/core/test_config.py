from __future__ import annotations

import pytest

from portal import create_app
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
    app = create_app()
    assert (app.config["MAIL_PORT"], app.config["TRUSTED_PROXIES"], app.config["EXPORT_JOB_THRESHOLD"]) == (587, 1, 0)


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
