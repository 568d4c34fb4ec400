"""Fixtures for the web tests: the app on a fresh store, and signed-in clients.

``web`` is an httpx client over ASGI in the test's own event loop (the store's
connections and the change feed belong to that loop); ``signed_in`` signs ``ann`` in.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from fastapi import FastAPI

from postroom.app import Services
from postroom.store.records import Account
from postroom.web.app import create_app
from tests.factories import PASSWORD, make_account, make_org

BASE = "http://testserver"


@dataclass
class Web:
    services: Services
    app: FastAPI
    client: httpx.AsyncClient
    ann: Account
    bob: Account

    async def sign_in(self, address: str = "ann@example.org",
                      password: str = PASSWORD, client: httpx.AsyncClient | None = None
                      ) -> httpx.Response:
        return await sign_in(client or self.client, address, password)


async def act(web: Web, action: str, refs: list[str], **extra: str) -> dict[str, object]:
    """POST a list action (``/mail/messages``) with a fresh CSRF token; the JSON answer."""
    page = await web.client.get("/mail", follow_redirects=True)
    response = await web.client.post("/mail/messages", data={
        "csrf": csrf_of(page.text), "action": action, "msg": refs, **extra},
        headers={"accept": "application/json"})
    result: dict[str, object] = response.json()
    return result


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf-token" content="([^"]+)"', html) or re.search(
        r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF token on the page"
    return found.group(1)


async def sign_in(client: httpx.AsyncClient, address: str, password: str) -> httpx.Response:
    page = await client.get("/mail/login")
    token = re.search(r'name="login_token" value="([^"]+)"', page.text)
    assert token
    return await client.post("/mail/login", data={
        "address": address, "password": password, "login_token": token.group(1),
        "next": "/mail"})


def client_for(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE,
                             follow_redirects=False)


@pytest.fixture
async def web(services: Services) -> AsyncIterator[Web]:
    await make_org(services)
    ann = await make_account(services, "ann@example.org")
    bob = await make_account(services, "bob@example.org")
    app = create_app(services.tenancy, services.mail, services.secret_key, dev=True)
    async with client_for(app) as client:
        yield Web(services, app, client, ann, bob)


@pytest.fixture
async def signed_in(web: Web) -> Web:
    response = await web.sign_in()
    assert response.status_code == 303, response.text
    return web
