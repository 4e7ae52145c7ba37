"""Fixtures of the API tests: the demo school and a way to call the API with a real token."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from flask.testing import FlaskClient

from portal.demo import DEMO_PASSWORD


@dataclass
class ApiClient:
    """A test client that sends ``Authorization: Bearer <token>`` and JSON bodies."""

    client: FlaskClient
    token: str

    def _headers(self, headers: dict[str, str] | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", **(headers or {})}

    def get(self, path: str, headers: dict[str, str] | None = None, **kw: Any):
        return self.client.get(path, headers=self._headers(headers), **kw)

    def post(self, path: str, json: Any = None, headers: dict[str, str] | None = None, **kw: Any):
        return self.client.post(path, json=json, headers=self._headers(headers), **kw)

    def put(self, path: str, json: Any = None, headers: dict[str, str] | None = None, **kw: Any):
        return self.client.put(path, json=json, headers=self._headers(headers), **kw)

    def delete(self, path: str, headers: dict[str, str] | None = None, **kw: Any):
        return self.client.delete(path, headers=self._headers(headers), **kw)


def login(client: FlaskClient, username: str, password: str = DEMO_PASSWORD) -> ApiClient:
    r = client.post("/api/v1/auth/token", json={"username": username, "password": password})
    assert r.status_code == 200, r.get_json()
    return ApiClient(client, r.get_json()["token"])


@pytest.fixture
def as_user(client, demo):
    """``as_user("organizer")`` → an :class:`ApiClient` logged in as that demo user."""
    made: dict[str, ApiClient] = {}

    def get(username: str, password: str = DEMO_PASSWORD) -> ApiClient:
        if username not in made:
            made[username] = login(client, username, password)
        return made[username]

    return get


