"""EHLO and HELO (RFC 5321 4.1.1.1): the greeting, the extensions offered, and resets."""

from __future__ import annotations

from postroom.protocols.smtp.context import Mode
from tests.protocol.smtp.conftest import DialogFactory
from tests.protocol.smtp.transcript import SmtpWorld, codes


async def test_ehlo_lists_the_extensions(dialog_factory: DialogFactory) -> None:
    d = await dialog_factory()
    assert d.greeting.startswith("220 ") and "ESMTP" in d.greeting
    reply = await d.one("EHLO client.example.net")
    lines = reply.split("\r\n")
    assert lines[0].startswith("250-")
    keywords = [line[4:] for line in lines[1:]]
    for keyword in ("PIPELINING", "SIZE 52428800", "8BITMIME", "CHUNKING", "SMTPUTF8",
                    "ENHANCEDSTATUSCODES", "STARTTLS"):
        assert keyword in keywords
    assert "BINARYMIME" not in keywords
    # Loopback client in development: plaintext AUTH is allowed, so it is offered.
    assert "AUTH PLAIN LOGIN" in keywords


async def test_helo_has_no_extensions(dialog_factory: DialogFactory) -> None:
    d = await dialog_factory()
    reply = await d.one("HELO client.example.net")
    assert reply.startswith("250 ") and "\r\n" not in reply


async def test_ehlo_needs_a_domain(dialog_factory: DialogFactory) -> None:
    d = await dialog_factory()
    assert (await d.one("EHLO")).startswith("501 5.5.4")


async def test_commands_before_ehlo_are_refused(dialog_factory: DialogFactory) -> None:
    d = await dialog_factory()
    assert (await d.one("MAIL FROM:<a@remote.test>")).startswith("503 5.5.1 Send HELO")


async def test_ehlo_resets_the_transaction(dialog_factory: DialogFactory) -> None:
    d = await dialog_factory()
    await d.one("EHLO a.example")
    assert (await d.one("MAIL FROM:<a@remote.test>")).startswith("250")
    await d.one("EHLO a.example")
    assert (await d.one("RCPT TO:<ann@example.org>")).startswith("503 5.5.1 Need MAIL")


async def test_no_auth_offered_in_plaintext_off_loopback(world: SmtpWorld) -> None:
    t = await world.talk(Mode.MX, peer_ip="192.0.2.10")
    reply = await t.ehlo()
    assert "AUTH" not in reply and "STARTTLS" in reply


async def test_after_tls_auth_is_offered_and_starttls_is_not(world: SmtpWorld) -> None:
    t = await world.talk(Mode.SUBMISSION, peer_ip="192.0.2.10", tls=True)
    reply = await t.ehlo()
    assert "AUTH PLAIN LOGIN" in reply and "STARTTLS" not in reply
    assert codes(reply) == ["250"]


async def test_after_login_auth_is_no_longer_offered(world: SmtpWorld) -> None:
    t = await world.talk(Mode.SUBMISSION, peer_ip="192.0.2.10", tls=True)
    await t.ehlo()
    assert codes(await t.login()) == ["235"]
    assert "AUTH" not in await t.ehlo()
