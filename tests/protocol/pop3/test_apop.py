"""APOP (RFC 1939 7) is not offered: the greeting has no timestamp."""

from __future__ import annotations

from tests.protocol.pop3.conftest import Open


async def test_apop_is_refused(pop3: Open) -> None:
    t = pop3()
    assert "<" not in t.greeting
    digest = "c4c9334bac560ecc979e58001b3e22fb"
    assert await t.send(f"APOP ann@example.org {digest}") == "-ERR APOP is not supported\r\n"
    assert await t.send("APOP ann@example.org nothex") == "-ERR Invalid arguments\r\n"
