"""AUTHENTICATE PLAIN (RFC 9051 6.2.2, RFC 4616) with and without SASL-IR (RFC 4959)."""

from __future__ import annotations

import base64

from tests.factories import PASSWORD
from tests.protocol.imap.conftest import Open

PLAIN = base64.b64encode(f"\0ann@example.org\0{PASSWORD}".encode()).decode()


async def test_sasl_ir(imap: Open, ann: int) -> None:
    reply = await imap().send(f"a AUTHENTICATE PLAIN {PLAIN}")
    assert reply.startswith("a OK [CAPABILITY ")


async def test_challenge_then_response(imap: Open, ann: int) -> None:
    t = imap()
    assert await t.send("a AUTHENTICATE PLAIN") == "+ \r\n"
    assert (await t.send(PLAIN)).startswith("a OK [CAPABILITY ")
    assert (await t.send("b SELECT INBOX")).endswith("b OK [READ-WRITE] SELECT completed\r\n")


async def test_cancel(imap: Open, ann: int) -> None:
    t = imap()
    await t.send("a AUTHENTICATE PLAIN")
    assert (await t.send("*")).startswith("a BAD")


async def test_wrong_password(imap: Open, ann: int) -> None:
    bad = base64.b64encode(b"\0ann@example.org\0nope").decode()
    reply = await imap().send(f"a AUTHENTICATE PLAIN {bad}")
    assert reply == "a NO [AUTHENTICATIONFAILED] Authentication failed\r\n"


async def test_unknown_mechanism(imap: Open) -> None:
    assert (await imap().send("a AUTHENTICATE CRAM-MD5")).startswith("a NO")


async def test_privacy_required(imap: Open) -> None:
    reply = await imap(peer_ip="192.0.2.1").send(f"a AUTHENTICATE PLAIN {PLAIN}")
    assert reply == "a NO [PRIVACYREQUIRED] Use STARTTLS first\r\n"
