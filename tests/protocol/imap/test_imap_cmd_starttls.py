"""STARTTLS (RFC 9051 6.2.1): OK, then the handshake; nothing pipelined in clear survives."""

from __future__ import annotations

from tests.protocol.imap.conftest import Open


async def test_starttls_then_login_allowed(imap: Open, ann: int) -> None:
    t = imap(peer_ip="192.0.2.7")
    reply = await t.raw(b"a STARTTLS\r\nb LOGIN ann@example.org x\r\n")
    assert reply == b"a OK Begin TLS negotiation now\r\n"
    t.tls_done()
    caps = (await t.send("c CAPABILITY")).split()
    assert "STARTTLS" not in caps and "AUTH=PLAIN" in caps
    await t.login()


async def test_starttls_twice_is_bad(imap: Open) -> None:
    t = imap(tls=True)
    assert (await t.send("a STARTTLS")).startswith("a BAD")


async def test_starttls_not_after_login(imap: Open, ann: int) -> None:
    t = imap()
    await t.login()
    assert (await t.send("a STARTTLS")).startswith("a BAD STARTTLS not allowed now")
