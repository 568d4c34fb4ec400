"""SMTP smuggling over real sockets on the MX port (25) and on submission (587, after
STARTTLS and AUTH): no end-of-data look-alike ever ends a message or starts a second
one. Each variant hides a complete second transaction (to bob) after a fake end."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator

import pytest

from postroom.app import Services
from tests.factories import PASSWORD, make_message
from tests.protocol.smtp.test_session_data import SMUGGLED, SMUGGLING
from tests.protocol.smtp.transcript import (
    Ports,
    SmtpWorld,
    SocketDialog,
    client_tls,
    make_world,
    start_server,
)


@pytest.fixture
async def live(services: Services) -> AsyncIterator[tuple[SmtpWorld, Ports]]:
    world = await make_world(services)
    ports, listeners = await start_server(world)
    yield world, ports
    for listener in listeners:
        await listener.close()
    await world.delivery.close()


async def _open(ports: Ports, port_name: str) -> tuple[SocketDialog, str]:
    if port_name == "mx":
        d = await SocketDialog.open(ports.mx)
        await d.one("EHLO a.example")
        return d, "x@remote.test"
    d = await SocketDialog.open(ports.submission)
    await d.one("EHLO a.example")
    assert (await d.one("STARTTLS")).startswith("220")
    await d.starttls(client_tls(ports.cert))
    await d.one("EHLO a.example")
    token = base64.b64encode(f"\0ann@example.org\0{PASSWORD}".encode()).decode()
    assert (await d.one(f"AUTH PLAIN {token}")).startswith("235")
    return d, "ann@example.org"


@pytest.mark.parametrize("port_name", ["mx", "submission"])
@pytest.mark.parametrize("variant", SMUGGLING, ids=repr)
async def test_no_variant_smuggles_a_message(live: tuple[SmtpWorld, Ports], port_name: str,
                                             variant: bytes) -> None:
    world, ports = live
    d, sender = await _open(ports, port_name)
    replies = await d.send(f"MAIL FROM:<{sender}>\r\nRCPT TO:<ann@example.org>\r\n"
                           "DATA\r\n", 3)
    assert [r[:3] for r in replies] == ["250", "250", "354"]
    smuggled = SMUGGLED.replace(b"evil@remote.test", sender.encode())
    reply = (await d.send(make_message(sender=sender) + variant + smuggled))[0]
    assert reply[:3] in ("250", "550"), reply
    assert (await d.one("NOOP")).startswith("250")  # exactly one reply came
    await d.close()
    assert await world.inbox(world.bob) == []
    assert len(await world.inbox(world.ann)) <= 1
