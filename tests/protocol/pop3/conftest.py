"""Fixtures for POP3 transcripts: a store with Ann's account and a POP3 node on it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest

from postroom.app import Services
from postroom.protocols.pop3.server import Pop3Server
from tests.factories import make_account, make_message, make_org
from tests.protocol.pop3.transcript import Transcript, pop3_server

Open = Callable[..., Transcript]


@pytest.fixture
async def ann(services: Services) -> int:
    await make_org(services)
    return (await make_account(services)).id


@pytest.fixture
async def inbox(services: Services, ann: int) -> list[bytes]:
    """Three messages in Ann's INBOX (UIDs 1, 2, 3)."""
    raws = [make_message(f"Message {i}", body=f"Body {i}.\n") for i in (1, 2, 3)]
    for raw in raws:
        await services.mail.append(ann, "INBOX", raw)
    return raws


@pytest.fixture
def server(services: Services) -> Pop3Server:
    return pop3_server(services)


@pytest.fixture
async def pop3(server: Pop3Server) -> AsyncIterator[Open]:
    """`pop3(peer_ip=..., tls=...)` opens a session; all are closed at the end."""
    opened: list[Transcript] = []

    def open_session(*, peer_ip: str = "127.0.0.1", tls: bool = False) -> Transcript:
        t = Transcript(server.env(), peer_ip=peer_ip, tls=tls)
        opened.append(t)
        return t

    yield open_session
    for t in opened:
        t.close()


@pytest.fixture
async def logged_in(pop3: Open, inbox: list[bytes]) -> Transcript:
    """A session in TRANSACTION state on the three-message INBOX."""
    t = pop3()
    assert (await t.login()).startswith("+OK")
    return t
