"""QUIT in AUTHORIZATION (RFC 1939 6): the session ends without an UPDATE state."""

from __future__ import annotations

from postroom.protocols.pop3.states import SessionState
from tests.protocol.pop3.conftest import Open


async def test_quit_in_authorization(pop3: Open) -> None:
    t = pop3()
    await t.send("USER ann@example.org")
    assert await t.raw(b"QUIT\r\nPASS x\r\n") == b"+OK Bye\r\n"
    assert t.session.state is SessionState.AUTHORIZATION
    assert t.closing
