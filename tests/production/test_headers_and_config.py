"""Security headers, cookie flags and the production configuration."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from portal import create_app
from portal.config import (
    DEV_PUBLIC_URL,
    DEV_SECRET_KEY,
    BadConfiguration,
    DefaultConfig,
    InsecureConfiguration,
)
from portal.extensions import db
from portal.models import Activity, User
from portal.security import CONTENT_SECURITY_POLICY
from portal.services import users
from tests.production.helpers import login_as
from tests.support import factories as f

EXPECTED_CSP = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; frame-ancestors 'none'; "
    "base-uri 'self'; form-action 'self'"
)


#: what a production portal is started with (besides the database)
PRODUCTION = {"PRODUCTION": True, "SECRET_KEY": "a-real-secret-from-the-environment",
              "PUBLIC_URL": "https://yanxiu.example.edu.cn"}


def test_csp_is_the_agreed_policy():
    assert CONTENT_SECURITY_POLICY == EXPECTED_CSP


def test_every_response_carries_the_security_headers(app, client):
    s = f.school("H1")
    admin = f.person(s, "h1adm", "school_admin")
    login_as(client, admin)
    for path in ("/admin/audit", "/no-such-page"):
        r = client.get(path)
        assert r.headers["Content-Security-Policy"] == EXPECTED_CSP, path
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert r.headers["X-Frame-Options"] == "DENY"
        assert r.headers["Referrer-Policy"] == "same-origin"
        assert "Strict-Transport-Security" not in r.headers  # not in development


def test_hsts_only_in_production(make_app):
    app = make_app(**PRODUCTION)
    r = app.test_client().get("/no-such-page")
    assert r.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_production_refuses_the_default_secret_key(make_app):
    with pytest.raises(InsecureConfiguration):
        make_app(PRODUCTION=True, SECRET_KEY=DEV_SECRET_KEY)
    with pytest.raises(InsecureConfiguration):
        make_app(PRODUCTION=True, SECRET_KEY="short")


def test_production_from_environment_needs_secret_key(monkeypatch, tmp_path):
    monkeypatch.setenv("YANXIU_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("YANXIU_INSTANCE_PATH", str(tmp_path / "instance"))
    with pytest.raises(InsecureConfiguration, match="SECRET_KEY"):
        create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.db'}"})
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.setenv("YANXIU_PUBLIC_URL", "https://yanxiu.example.edu.cn")
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.db'}"})
    assert app.config["PRODUCTION"] is True
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert app.config["PASSWORD_HASH_METHOD"] == "scrypt"
    with app.app_context():
        db.engine.dispose()


def test_production_refuses_a_debug_flag(monkeypatch, tmp_path, make_app):
    """FLASK_DEBUG=1 (or ``flask --debug``, which sets it) would start the interactive debugger
    under ``flask run`` and let errors escape to gunicorn: production refuses to start and says why."""
    with pytest.raises(InsecureConfiguration, match="debug"):
        make_app(PRODUCTION=True, SECRET_KEY="a-real-secret-from-the-environment", DEBUG=True)
    monkeypatch.setenv("YANXIU_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.setenv("YANXIU_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("FLASK_DEBUG", "1")
    with pytest.raises(InsecureConfiguration, match="FLASK_DEBUG"):
        create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.db'}"})


def test_production_needs_the_public_address(monkeypatch, tmp_path, make_app):
    """Links that leave the portal (certificates, QR codes, calendar feeds, email) are built from
    YANXIU_PUBLIC_URL, never from a request's Host header: production refuses to start on the
    development default and says which variable to set."""
    for unset in (DefaultConfig.PUBLIC_URL, DEV_PUBLIC_URL):  # none (a request's own in development), 5000's
        with pytest.raises(InsecureConfiguration, match="YANXIU_PUBLIC_URL"):
            make_app(**{**PRODUCTION, "PUBLIC_URL": unset})
    monkeypatch.setenv("YANXIU_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.setenv("YANXIU_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.delenv("YANXIU_PUBLIC_URL", raising=False)
    with pytest.raises(InsecureConfiguration, match="YANXIU_PUBLIC_URL"):
        create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.db'}"})


@pytest.mark.parametrize("value", ["", "yanxiu.example.edu.cn", "ftp://yanxiu.example.edu.cn", "https://",
                                   "https://yanxiu.example.edu.cn/?next=x"])
def test_a_public_address_that_is_no_address_stops_the_start(make_app, value):
    with pytest.raises(BadConfiguration, match="YANXIU_PUBLIC_URL"):
        make_app(PUBLIC_URL=value)


def _set_cookie_headers(response) -> list[str]:
    return [v for k, v in response.headers.items() if k.lower() == "set-cookie"]


@pytest.mark.parametrize("production", [False, True])
def test_session_cookie_flags(make_app, production):
    cfg = PRODUCTION if production else {}
    app = make_app(**cfg)
    with app.app_context():
        s = f.school("CK")
        user = f.person(s, "ckuser", "school_admin")
        client = app.test_client()
        login_as(client, user)
        r = client.get("/admin/audit")  # touches the session, so the cookie is re-issued
        cookies = [c for c in _set_cookie_headers(r) if c.startswith(app.config["SESSION_COOKIE_NAME"] + "=")]
        assert cookies, "the session cookie was not set"
        flags = cookies[-1].lower()
        assert "httponly" in flags
        assert "samesite=lax" in flags
        assert ("secure" in [p.strip() for p in flags.split(";")]) is production


def test_production_passwords_are_hashed_with_scrypt(make_app):
    app = make_app(**PRODUCTION, PASSWORD_HASH_METHOD="scrypt")
    with app.app_context():
        s = f.school("PW")
        user = users.create_user("pwuser", "long-enough-password", "测试", s, ["teacher"])
        assert user.password_hash.startswith("scrypt:")
        assert "long-enough-password" not in user.password_hash
        assert users.verify_password(user, "long-enough-password")
        assert not users.verify_password(user, "wrong-password!")


INLINE_PATTERNS = {
    "inline <script>": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>\s*\S", re.I),
    "<style> element": re.compile(r"<style[\s>]", re.I),
    "style= attribute": re.compile(r"\sstyle\s*=", re.I),
    "on…= handler": re.compile(r"\son[a-z]+\s*=\s*[\"']", re.I),
    "javascript: URL": re.compile(r"javascript:", re.I),
    "external URL": re.compile(r"""(?:src|href|action)\s*=\s*["'](?:https?:)?//""", re.I),
}


def test_pages_satisfy_the_csp(make_app, record_property):
    """Every page a school admin can open keeps to the CSP: no inline code or style, no CDN."""
    app = make_app(demo=True)
    with app.app_context():
        admin_id = users.by_username("admin").id
        activity_ids = [a.id for a in db.session.execute(select(Activity).limit(12)).scalars()]
    pages = 0
    problems = []
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()) or rule.endpoint == "static" or rule.rule.startswith("/api/"):
            continue
        if set(rule.arguments) - {"activity_id"}:
            continue
        for aid in activity_ids if rule.arguments else [None]:
            with app.test_request_context():
                url = app.url_for(rule.endpoint, **({"activity_id": aid} if aid else {}))
            with app.app_context():
                client = login_as(app.test_client(), db.session.get(User, admin_id))
            r = client.get(url)
            if r.mimetype != "text/html" or r.status_code != 200:
                continue
            pages += 1
            html = r.get_data(as_text=True)
            for what, pattern in INLINE_PATTERNS.items():
                if pattern.search(html):
                    problems.append(f"{url}: {what}: {pattern.search(html).group(0)[:80]!r}")
    record_property("figure", f"CSP check: {pages} pages, {len(problems)} violations")
    assert pages >= 5
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(("unset", "named"), [("SECRET_KEY", "SECRET_KEY"), ("YANXIU_PUBLIC_URL", "YANXIU_PUBLIC_URL")])
def test_gunicorn_refused_in_production_says_why_in_one_line_and_stops(tmp_path, unset, named):
    """The production start as the README gives it (gunicorn, here 6 workers) with a setting missing:
    one ``Error: …`` line naming it per worker, no traceback, and gunicorn stops ("App failed to
    load", status 4) instead of booting workers again. Before, each worker logged a traceback; then,
    on most starts, the master itself did, when a second worker left with status 4 while it was
    stopping (``portal.refused_start``: CI failed on it with 2 workers, 6 made it happen 5 in 5). The
    marker the workers agree with is gone once the master has stopped (it stayed until the next refusal)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {k: v for k, v in os.environ.items() if not k.startswith(("YANXIU_", "SECRET_KEY", "DATABASE_URL"))}
    env.update(YANXIU_ENV="production", SECRET_KEY="x" * 40, YANXIU_PUBLIC_URL="https://yanxiu.example.edu.cn",
               YANXIU_INSTANCE_PATH=str(tmp_path / "instance"), DATABASE_URL=f"sqlite:///{tmp_path / 'p.db'}")
    del env[unset]
    (tmp_path / "tmp").mkdir()
    env["TMPDIR"] = str(tmp_path / "tmp")  # where the workers' marker is (portal.refused_start)
    gunicorn = Path(sys.executable).parent / "gunicorn"  # its control socket in the instance folder (gunicorn.conf.py)
    run = subprocess.run([str(gunicorn), "--workers", "6", "--bind", "127.0.0.1:0", "wsgi:app"],
                         cwd=Path(__file__).resolve().parents[2], env=env, capture_output=True, text=True, timeout=60)
    assert run.returncode == 4
    assert "App failed to load" in run.stderr
    assert "Traceback" not in run.stderr
    errors = [line for line in run.stderr.splitlines() if line.startswith("Error: ")]
    assert errors and all(named in line for line in errors)
    assert not list((tmp_path / "tmp").iterdir())  # the master removed the marker as it stopped
