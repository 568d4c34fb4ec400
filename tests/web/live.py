"""A real server for tests that need sockets (event streams, the browser, mail clients).

``running_server`` starts ``postroom.app.start_http`` (the composition used by
``postroom serve``: web app, submission path, uvicorn) on a free loopback port inside
the test's event loop, so the test can deliver mail with the same ``Services`` and the
server sees it at once. ``running_node`` adds the SMTP, IMAP and POP3 listeners (all on
free ports, sharing that one ``Delivery``), for tests that send by SMTP and read by IMAP.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx

from postroom.app import Services, start_http, start_mail_listeners
from postroom.delivery import Delivery, build_delivery

MAIL_PORTS = ("smtp_port", "submission_port", "submissions_port", "imap_port", "imaps_port",
              "pop3_port", "pop3s_port")


@dataclass
class Node:
    """A running node: the web mail's base URL and each mail listener's port."""

    base: str
    ports: dict[str, int]  # listener name (smtp, submission, imap, ...) -> port
    delivery: Delivery


@asynccontextmanager
async def running_node(services: Services) -> AsyncIterator[Node]:
    """The web app and every mail listener of ``postroom serve`` on free loopback ports."""
    for name in MAIL_PORTS:
        setattr(services.settings, name, 0)
    async with _serving_http(services) as (base, delivery):
        listeners = await start_mail_listeners(services, delivery)
        try:
            ports = {lst.name: int(lst.address.split(" ")[0].rpartition(":")[2])
                     for lst in listeners}
            yield Node(base, ports, delivery)
        finally:
            for listener in listeners:
                await listener.close()


@asynccontextmanager
async def running_server(services: Services) -> AsyncIterator[str]:
    """Yield the base URL (``http://127.0.0.1:<port>``) of a live server on ``services``."""
    async with _serving_http(services) as (base, _delivery):
        yield base


@asynccontextmanager
async def _serving_http(services: Services) -> AsyncIterator[tuple[str, Delivery]]:
    services.settings.http_port = 0
    services.settings.listen_address = "127.0.0.1"
    delivery = build_delivery(services.settings, services.tenancy, services.mail)
    listener = await start_http(services, delivery)
    try:
        yield listener.address.replace("localhost", "127.0.0.1"), delivery
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
