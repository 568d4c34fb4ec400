"""NOOP (RFC 1939 5)."""

from __future__ import annotations

from tests.protocol.pop3.conftest import Open
from tests.protocol.pop3.transcript import Transcript


async def test_noop(logged_in: Transcript) -> None:
    assert await logged_in.send("NOOP") == "+OK\r\n"


async def test_noop_before_login_is_refused(pop3: Open) -> None:
    assert await pop3().send("NOOP") == "-ERR Command not valid in this state\r\n"
