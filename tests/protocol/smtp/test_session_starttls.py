"""STARTTLS (RFC 3207): the upgrade, and nothing pipelined before it survives."""

from __future__ import annotations

from postroom.protocols.smtp.context import Mode
from tests.protocol.smtp.transcript import (
    Ports,
    SmtpWorld,
    SocketDialog,
    client_tls,
    codes,
)


async def test_starttls_reply_and_state(world: SmtpWorld) -> None:
    t = await world.talk(Mode.SUBMISSION, peer_ip="192.0.2.10")
    await t.ehlo()
    assert (await t.line("STARTTLS")).startswith("220 2.0.0")
    assert t.session.tls_pending
    t.conversation.tls_started()
    assert (await t.line("MAIL FROM:<ann@example.org>")).startswith("503 5.5.1 Send HELO")


async def test_pipelined_commands_after_starttls_are_dropped(world: SmtpWorld) -> None:
    t = await world.talk(Mode.MX, peer_ip="192.0.2.10")
    await t.ehlo()
    out = await t.send("STARTTLS\r\nMAIL FROM:<evil@remote.test>\r\nRCPT TO:<ann@example.org>\r\n")
    assert codes(out) == ["220"]
    t.conversation.tls_started()
    assert (await t.line("RCPT TO:<ann@example.org>")).startswith("503")


async def test_starttls_needs_ehlo_and_only_once(world: SmtpWorld) -> None:
    t = await world.talk(Mode.SUBMISSION, peer_ip="192.0.2.10")
    assert (await t.line("STARTTLS")).startswith("503")
    t2 = await world.talk(Mode.SUBMISSION, peer_ip="192.0.2.10", tls=True)
    await t2.ehlo()
    assert (await t2.line("STARTTLS")).startswith("503 5.5.1 TLS already active")


async def test_real_starttls_and_auth(ports: Ports) -> None:
    d = await SocketDialog.open(ports.submission)
    assert "STARTTLS" in await d.one("EHLO a.example")
    assert (await d.one("STARTTLS")).startswith("220")
    await d.starttls(client_tls(ports.cert))
    ehlo = await d.one("EHLO a.example")
    assert "STARTTLS" not in ehlo and "AUTH PLAIN LOGIN" in ehlo
    await d.close()


async def test_injection_over_a_real_socket_is_discarded(ports: Ports) -> None:
    d = await SocketDialog.open(ports.mx)
    await d.one("EHLO a.example")
    # The injected NOOP and MAIL come before the handshake: they must never be answered.
    assert (await d.send("STARTTLS\r\nNOOP\r\nMAIL FROM:<evil@remote.test>\r\n"))[0].startswith(
        "220")
    await d.starttls(client_tls(ports.cert))
    reply = await d.one("EHLO a.example")
    assert reply.startswith("250-")  # the EHLO reply, not a stray 250 for NOOP
    assert (await d.one("RCPT TO:<ann@example.org>")).startswith("503")
    await d.close()


async def test_implicit_tls_listener(ports: Ports) -> None:
    d = await SocketDialog.open(ports.submissions, tls=client_tls(ports.cert))
    assert d.greeting.startswith("220")
    ehlo = await d.one("EHLO a.example")
    assert "STARTTLS" not in ehlo and "AUTH PLAIN LOGIN" in ehlo
    await d.close()
