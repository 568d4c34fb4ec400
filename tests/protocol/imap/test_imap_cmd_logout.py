"""LOGOUT (RFC 9051 6.1.3): BYE, then the tagged OK, and the session closes."""

from __future__ import annotations

from tests.protocol.imap.conftest import Open
from tests.protocol.imap.transcript import Transcript


async def test_logout(imap: Open) -> None:
    t = imap()
    assert await t.send("a LOGOUT") == "* BYE Logging out\r\na OK LOGOUT completed\r\n"
    assert t.closing


async def test_logout_ignores_pipelined_commands(selected: Transcript) -> None:
    reply = (await selected.raw(b"a LOGOUT\r\nb NOOP\r\n")).decode()
    assert reply.endswith("a OK LOGOUT completed\r\n") and "b OK" not in reply
