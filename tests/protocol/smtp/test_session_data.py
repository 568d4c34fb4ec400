"""DATA (RFC 5321 4.1.1.4): the body, the final dot, smuggling and limits."""

from __future__ import annotations

import pytest

from tests.factories import make_message
from tests.protocol.smtp.conftest import DialogFactory
from tests.protocol.smtp.transcript import SmtpWorld, codes

# Every end-of-data look-alike (SMTP smuggling): none may end the message.
SMUGGLING = [
    b"\n.\n", b"\r.\r", b"\n.\r\n", b"\r\n.\n", b"\r\n.\r\r\n", b"\r.\r\n", b"\r\n.\r",
    b"\n.\r", b"\r\n\x00.\r\n", b"\r\n.\x00\r\n",
]
SMUGGLED = (b"MAIL FROM:<evil@remote.test>\r\nRCPT TO:<bob@example.org>\r\nDATA\r\n"
            b"Subject: smuggled\r\n\r\nsmuggled\r\n.\r\n")


def _body(inbox: list[bytes]) -> bytes:
    return inbox[0].split(b"\r\n\r\n", 1)[1] if inbox else b""


async def test_message_is_stored_byte_for_byte(dialog_factory: DialogFactory,
                                               world: SmtpWorld) -> None:
    d = await dialog_factory()
    await d.one("EHLO a.example")
    await d.send("MAIL FROM:<a@remote.test>\r\nRCPT TO:<ann@example.org>\r\nDATA\r\n", 3)
    message = make_message(body="line one\n.leading dot\n..two dots\n")
    stuffed = message.replace(b"\r\n.", b"\r\n..")
    reply = (await d.send(stuffed + b".\r\n"))[0]
    assert reply.startswith("250 2.0.0 Message accepted for delivery as ")
    stored = (await world.inbox(world.ann))[0]
    assert stored.endswith(message)
    trace = stored[: -len(message)]
    assert trace.startswith(b"Received: from a.example ([127.0.0.1])")
    assert b"\r\nAuthentication-Results: " in trace


async def test_data_needs_a_recipient(dialog_factory: DialogFactory) -> None:
    d = await dialog_factory()
    await d.one("EHLO a.example")
    await d.one("MAIL FROM:<a@remote.test>")
    assert (await d.one("DATA")).startswith("503 5.5.1")


async def test_pipelined_transaction(dialog_factory: DialogFactory, world: SmtpWorld) -> None:
    d = await dialog_factory()
    await d.one("EHLO a.example")
    replies = await d.send(b"MAIL FROM:<a@remote.test>\r\nRCPT TO:<ann@example.org>\r\n"
                           b"RCPT TO:<bob@example.org>\r\nDATA\r\n", 4)
    assert [r[:3] for r in replies] == ["250", "250", "250", "354"]
    replies = await d.send(make_message() + b".\r\nMAIL FROM:<b@remote.test>\r\nNOOP\r\n", 3)
    assert [r[:3] for r in replies] == ["250", "250", "250"]
    assert len(await world.inbox(world.ann)) == len(await world.inbox(world.bob)) == 1


@pytest.mark.parametrize("variant", SMUGGLING, ids=repr)
async def test_smuggling_never_starts_a_second_message(
        dialog_factory: DialogFactory, world: SmtpWorld, variant: bytes) -> None:
    d = await dialog_factory()
    await d.one("EHLO a.example")
    await d.send("MAIL FROM:<a@remote.test>\r\nRCPT TO:<ann@example.org>\r\nDATA\r\n", 3)
    payload = make_message() + variant + SMUGGLED  # SMUGGLED ends with the real end
    replies = await d.send(payload, 1)  # exactly one reply for the whole thing
    assert replies[0][:3] in ("250", "550"), replies
    assert (await d.one("NOOP")).startswith("250")  # in sync: no stray replies
    assert await world.inbox(world.bob) == []
    assert len(await world.inbox(world.ann)) <= 1


async def test_bare_lf_is_rejected(dialog_factory: DialogFactory, world: SmtpWorld) -> None:
    d = await dialog_factory()
    await d.one("EHLO a.example")
    await d.send("MAIL FROM:<a@remote.test>\r\nRCPT TO:<ann@example.org>\r\nDATA\r\n", 3)
    reply = (await d.send(b"Subject: x\r\n\r\nbare\nline\r\n.\r\n"))[0]
    assert reply.startswith("550 5.6.0")
    assert await world.inbox(world.ann) == []


async def test_long_line_is_rejected(dialog_factory: DialogFactory) -> None:
    d = await dialog_factory()
    await d.one("EHLO a.example")
    await d.send("MAIL FROM:<a@remote.test>\r\nRCPT TO:<ann@example.org>\r\nDATA\r\n", 3)
    reply = (await d.send(b"Subject: x\r\n\r\n" + b"y" * 1000 + b"\r\n.\r\n"))[0]
    assert reply.startswith("550 5.6.0")


async def test_oversized_message_is_read_and_refused(world: SmtpWorld) -> None:
    t = await world.talk(max_message_size=10_000)
    await t.ehlo()
    await t.send("MAIL FROM:<a@remote.test>\r\nRCPT TO:<ann@example.org>\r\nDATA\r\n")
    for _ in range(20):
        assert await t.send(b"z" * 998 + b"\r\n") == ""
    assert (await t.send(b".\r\n")).startswith("552 5.3.4")
    assert codes(await t.line("NOOP")) == ["250"]
    assert await world.inbox(world.ann) == []


async def test_the_transaction_ends_with_the_message(dialog_factory: DialogFactory) -> None:
    d = await dialog_factory()
    await d.one("EHLO a.example")
    await d.send("MAIL FROM:<a@remote.test>\r\nRCPT TO:<ann@example.org>\r\nDATA\r\n", 3)
    await d.send(make_message() + b".\r\n")
    assert (await d.one("RCPT TO:<ann@example.org>")).startswith("503")


async def test_body_arrives_in_pieces(world: SmtpWorld) -> None:
    t = await world.talk()
    await t.ehlo()
    await t.send("MAIL FROM:<a@remote.test>\r\nRCPT TO:<ann@example.org>\r\nDATA\r\n")
    message = make_message(body="x\n" * 300)
    data = message + b".\r\n"
    out = ""
    for i in range(0, len(data), 7):
        out += await t.send(data[i:i + 7])
    assert codes(out) == ["250"]
    assert (await world.inbox(world.ann))[0].endswith(message)
