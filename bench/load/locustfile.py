"""A district's morning, for Locust: teachers open their home page and their record,
organizers record attendance, reviewers approve and post credits, school admins look at the
summary and export it. Run by ``bench/load/run.py`` (``make bench-load``), headless and
bounded in time, against gunicorn on a generated district.

Who is who comes from the plan file (``YANXIU_LOAD_PLAN``, written by ``bench/load/plan.py``):
usernames, the teachers' ids, and the activities each organizer and reviewer acts on, so the
users spend no requests finding their way. Every user logs in once through the login form
with the generator's password (CSRF token and all); the statistics are reset once every user
has logged in (and the moment written to ``YANXIU_LOAD_MARK``), so the figures are the
morning's pages, not the logins (a password check is meant to be slow).

A request counts as failed when its status is not the one a browser would be pleased with:
200 for pages, a redirect (302) for a form that was accepted. Nothing here imports the
portal (Locust runs on gevent).
"""

from __future__ import annotations

import itertools
import json
import os
import re
import time
from collections import deque
from pathlib import Path
from typing import Any

import gevent
from locust import HttpUser, between, events, task
from locust.env import Environment

PLAN: dict[str, Any] = json.loads(Path(os.environ.get("YANXIU_LOAD_PLAN", "load-plan.json")).read_text())
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')
_INPUT = re.compile(r"<input\b[^>]*>", re.S)
_ATTR = re.compile(r'\b(name|value)="([^"]*)"')

_people = {key: itertools.cycle(PLAN[key] or [{}]) for key in ("teachers", "organizers", "reviewers", "admins")}
# One queue of work per organizer and reviewer, shared by every Locust user acting as them,
# so no activity is approved or credited twice.
_todo: dict[str, deque] = {}


_logged_in = 0


@events.test_start.add_listener
def _reset_after_logins(environment: Environment, **_kw: Any) -> None:
    """Reset the statistics when every user has logged in (``--reset-stats`` resets when the
    users are spawned, while their logins are still running)."""

    def watch() -> None:
        runner = environment.runner
        assert runner is not None
        while _logged_in < max(1, runner.target_user_count or 0):
            gevent.sleep(0.1)
        environment.stats.reset_all()
        mark = os.environ.get("YANXIU_LOAD_MARK")
        if mark:
            Path(mark).write_text(str(time.time()))

    gevent.spawn(watch)


def csrf_token(html: str) -> str:
    found = _CSRF.search(html)
    if not found:
        raise ValueError("no CSRF token on the page")
    return found.group(1) or found.group(2)


def form_fields(html: str, prefixes: tuple[str, ...]) -> dict[str, str]:
    """Values of the page's inputs whose name starts with one of ``prefixes``."""
    out: dict[str, str] = {}
    for tag in _INPUT.findall(html):
        attrs = dict(_ATTR.findall(tag))
        name = attrs.get("name", "")
        if name.startswith(prefixes):
            out[name] = attrs.get("value", "")
    return out


def _why(r: Any) -> str:
    """The status, or for status 0 the connection error behind it (reset, timeout …)."""
    return f"{r.status_code}" if r.status_code else f"0: {type(r.error).__name__}: {r.error}"[:200]


class Person(HttpUser):
    """Someone of the district: logs in once, then works with a pause between pages."""

    abstract = True
    wait_time = between(1, 4)  # reading a page before the next click
    group = "teachers"

    def on_start(self) -> None:
        self.me: dict[str, Any] = next(_people[self.group])
        if not self.me:
            raise RuntimeError(f"the plan has no {self.group}")
        page = self.client.get("/login", name="login page")
        with self.client.post(
            "/login",
            data={"csrf_token": csrf_token(page.text), "username": self.me["username"], "password": PLAN["password"]},
            name="login", allow_redirects=False, catch_response=True,
        ) as r:
            if r.status_code != 302:
                r.failure(f"login of {self.me['username']}: {r.status_code}")
        global _logged_in
        _logged_in += 1

    def page(self, url: str, name: str) -> str:
        with self.client.get(url, name=name, catch_response=True) as r:
            if r.status_code != 200:
                r.failure(_why(r))
            return r.text

    def submit(self, url: str, data: dict[str, str], name: str) -> None:
        with self.client.post(url, data=data, name=name, allow_redirects=False, catch_response=True) as r:
            if r.status_code != 302:
                r.failure(_why(r))


class Teacher(Person):
    weight = 30
    group = "teachers"

    @task(4)
    def home(self) -> None:
        self.page("/", "teacher home")

    @task(2)
    def record(self) -> None:
        self.page(f"/teachers/{self.me['user_id']}/record", "teacher record")

    @task(1)
    def activities(self) -> None:
        self.page("/activities", "activities list")


class Organizer(Person):
    weight = 5
    group = "organizers"

    def on_start(self) -> None:
        super().on_start()
        self.mine = list(self.me.get("activities", []))
        self.turn = 0

    @task(1)
    def list_activities(self) -> None:
        self.page("/activities", "activities list")

    @task(3)
    def attendance(self) -> None:
        if not self.mine:
            return self.list_activities()
        act = self.mine[self.turn % len(self.mine)]
        self.turn += 1
        self.page(f"/activities/{act}", "activity page")
        html = self.page(f"/activities/{act}/attendance", "attendance form")
        if "csrf_token" not in html:  # the page failed (counted)
            return
        fields = form_fields(html, ("attended-", "absent-", "excused-"))
        fields["csrf_token"] = csrf_token(html)
        self.submit(f"/activities/{act}/attendance", fields, "attendance save")


class Reviewer(Person):
    weight = 2
    group = "reviewers"

    def on_start(self) -> None:
        super().on_start()
        key = self.me["username"]
        if key not in _todo:
            _todo[key] = deque(
                [(a, "approve") for a in self.me.get("approve", [])] + [(a, "credit") for a in self.me.get("credit", [])]
            )
        self.todo = _todo[key]

    @task
    def review(self) -> None:
        html = self.page("/review", "review queue")
        if not self.todo or "csrf_token" not in html:  # nothing left, or the page failed (counted)
            return
        act, action = self.todo.popleft()
        self.submit(f"/review/{act}", {"csrf_token": csrf_token(html), "action": action}, f"review {action}")


class SchoolAdmin(Person):
    weight = 1
    group = "admins"

    @task(3)
    def summary(self) -> None:
        self.page("/reports/summary", "school summary")

    @task(1)
    def export(self) -> None:
        with self.client.get("/reports/summary.xlsx", name="summary XLSX export", catch_response=True) as r:
            if r.status_code != 200 or not r.content.startswith(b"PK"):
                r.failure(_why(r))
