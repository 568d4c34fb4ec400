"""A real HTTP server for tests that need sockets (event streams, the browser).

``running_server`` starts ``postroom.app.start_http`` (the composition used by
``postroom serve``: web app, submission path, uvicorn) on a free loopback port inside
the test's event loop, so the test can deliver mail with the same ``Services`` and the
server sees it at once.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from postroom.app import Services, start_http
from postroom.delivery import build_delivery


@asynccontextmanager
async def running_server(services: Services) -> AsyncIterator[str]:
    """Yield the base URL (``http://127.0.0.1:<port>``) of a live server on ``services``."""
    services.settings.http_port = 0
    services.settings.listen_address = "127.0.0.1"
    delivery = build_delivery(services.settings, services.tenancy, services.mail)
    listener = await start_http(services, delivery)
    try:
        yield listener.address.replace("localhost", "127.0.0.1")
    finally:
        await listener.close()
        await delivery.close()


async def live_sign_in(client: httpx.AsyncClient, address: str, password: str) -> None:
    page = await client.get("/mail/login")
    token = re.search(r'name="login_token" value="([^"]+)"', page.text)
    assert token is not None
    response = await client.post("/mail/login", data={
        "address": address, "password": password, "login_token": token.group(1)})
    assert response.status_code == 303, response.text
