"""``portal_notify``: a plugin delivers notifications elsewhere — here an example WeCom-style
webhook plugin posting to a real local HTTP server. A receiver that fails makes the job retry;
a retry delivers once, and channels that already delivered (email) are not repeated."""

from __future__ import annotations

import json
import re
import threading
import urllib.request
from collections.abc import Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from portal.demo import load_demo
from portal.hookspecs import hookimpl
from portal.services import notifications, reminders
from portal.services.delivery import DeliveryFailed, deliver_now, delivered
from tests.reach.conftest import queued_config
from tests.reach.helpers import notes, user
from tests.reach.test_notifications import NOON_UTC, _return_held_lecture
from tests.support.smtp import SmtpServer, running_smtp


class Receiver:
    """A local webhook receiver: records JSON bodies; answers 500 while ``failing``."""

    def __init__(self) -> None:
        self.bodies: list[dict] = []
        self.failing = False
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if receiver.failing:
                    self.send_response(500)
                else:
                    receiver.bodies.append(body)
                    self.send_response(200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with running_smtp() as server:
        yield server


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.server.shutdown()
    r.server.server_close()


class WebhookPlugin:
    """The example: what a WeCom or DingTalk bridge looks like (a group robot's webhook)."""

    def __init__(self, url: str) -> None:
        self.url = url

    @hookimpl
    def portal_notify(self, notification, portal):
        body = json.dumps({"msgtype": "text", "key": notification.key, "user": notification.username,
                           "text": {"content": notification.text}, "url": notification.url,
                           "plugin": portal.plugin}).encode()
        request = urllib.request.Request(self.url, body, {"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=5) as response:  # raises on 500: retried later
            response.read()


def test_hook_portal_notify(make_app, tmp_path, receiver, smtp):
    app = make_app(EXTRA_PLUGINS=[("wecom", WebhookPlugin(receiver.url))], **queued_config(tmp_path, smtp.port))
    with app.app_context():
        load_demo()
        notifications.save_setting(user("teacher1").id, "t1@school.test", list(notifications.KINDS))
        reminders.review_decision(_return_held_lecture("请补充反思"))
        [note] = notes("returned", "teacher1")
        receiver.failing = True
        with pytest.raises(DeliveryFailed):
            deliver_now(note.id, NOON_UTC)
        assert set(delivered(note.id)) == {"email"}  # email went out; the webhook's claim was given back
        assert receiver.bodies == []
        receiver.failing = False
        assert deliver_now(note.id, NOON_UTC) == ["hook:wecom"]  # the retry: only the webhook
        assert deliver_now(note.id, NOON_UTC) == []
        [body] = receiver.bodies
        assert body["user"] == "teacher1" and body["plugin"] == "wecom"
        assert "请补充反思" in body["text"]["content"]
        assert re.fullmatch(r"https://yanxiu\.test/school/\d+/open\?next=/activities/\d+", body["url"])
        assert len(smtp.inbox.to("t1@school.test")) == 1


def test_notify_hook_waits_for_quiet_hours_too(make_app, tmp_path, receiver):
    app = make_app(EXTRA_PLUGINS=[("wecom", WebhookPlugin(receiver.url))], **queued_config(tmp_path))
    with app.app_context():
        load_demo()
        reminders.review_decision(_return_held_lecture())
        [note] = notes("returned", "teacher1")
        assert deliver_now(note.id, datetime(2026, 12, 1, 16, 0)) == []  # midnight in Shanghai
        assert receiver.bodies == []
