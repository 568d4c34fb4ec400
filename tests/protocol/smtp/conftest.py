"""Fixtures for SMTP transcripts: a populated store and its delivery services."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from postroom.app import Services
from postroom.protocols.smtp.context import Mode
from tests.protocol.smtp.transcript import (
    Dialog,
    Ports,
    SessionDialog,
    SmtpWorld,
    SocketDialog,
    make_world,
    start_server,
)

DialogFactory = Callable[..., Awaitable[Dialog]]


@pytest.fixture
async def world(services: Services) -> AsyncIterator[SmtpWorld]:
    w = await make_world(services)
    yield w
    await w.delivery.close()


@pytest.fixture
async def ports(world: SmtpWorld) -> AsyncIterator[Ports]:
    found, listeners = await start_server(world)
    yield found
    for listener in listeners:
        await listener.close()


@pytest.fixture(params=["session", "socket"])
async def dialog_factory(request: pytest.FixtureRequest, world: SmtpWorld
                         ) -> AsyncIterator[DialogFactory]:
    """Opens dialogs through the session or over a real socket (same assertions)."""
    opened: list[Dialog] = []
    listeners = []
    ports_found: Ports | None = None
    if request.param == "socket":
        ports_found, listeners = await start_server(world)

    async def open_dialog(mode: Mode = Mode.MX) -> Dialog:
        if ports_found is None:
            dialog: Dialog = SessionDialog(await world.talk(mode, peer_ip="127.0.0.1"))
        else:
            port = ports_found.mx if mode is Mode.MX else ports_found.submission
            dialog = await SocketDialog.open(port)
        opened.append(dialog)
        return dialog

    yield open_dialog
    for d in opened:
        await d.close()
    for listener in listeners:
        await listener.close()
