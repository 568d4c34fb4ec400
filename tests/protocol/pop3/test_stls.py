"""STLS (RFC 2595 4): TLS before login, and nothing pipelined past it is obeyed."""

from __future__ import annotations

from tests.factories import PASSWORD
from tests.protocol.pop3.conftest import Open
from tests.protocol.pop3.transcript import Transcript

REMOTE = "192.0.2.7"


async def test_stls_then_login(pop3: Open, inbox: list[bytes]) -> None:
    t = pop3(peer_ip=REMOTE)
    assert await t.send("STLS") == "+OK Begin TLS negotiation\r\n"
    t.tls_done()
    assert t.session.tls
    assert await t.login() == "+OK Logged in\r\n"


async def test_commands_pipelined_after_stls_are_dropped(pop3: Open, ann: int) -> None:
    t = pop3(peer_ip=REMOTE)
    out = await t.raw(f"STLS\r\nUSER ann@example.org\r\nPASS {PASSWORD}\r\n".encode())
    assert out == b"+OK Begin TLS negotiation\r\n"
    t.tls_done()
    # the injected PASS is gone: after TLS the session starts from USER again
    assert await t.send(f"PASS {PASSWORD}") == "-ERR Send USER first\r\n"


async def test_user_given_before_stls_is_forgotten(pop3: Open, ann: int) -> None:
    t = pop3()
    await t.send("USER ann@example.org")
    await t.send("STLS")
    t.tls_done()
    assert await t.send(f"PASS {PASSWORD}") == "-ERR Send USER first\r\n"


async def test_stls_twice(pop3: Open) -> None:
    t = pop3(tls=True)
    assert await t.send("STLS") == "-ERR TLS already active\r\n"


async def test_stls_after_login_is_refused(logged_in: Transcript) -> None:
    assert await logged_in.send("STLS") == "-ERR Command not valid in this state\r\n"


async def test_stls_takes_no_arguments(pop3: Open) -> None:
    assert await pop3().send("STLS now") == "-ERR Invalid arguments\r\n"
