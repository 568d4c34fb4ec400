"""BDAT (RFC 3030 CHUNKING): counted chunks, never scanned, and refused chunks consumed."""

from __future__ import annotations

from tests.factories import make_message
from tests.protocol.smtp.conftest import DialogFactory
from tests.protocol.smtp.transcript import SmtpWorld, codes


async def _ready(dialog_factory: DialogFactory):  # type: ignore[no-untyped-def]
    d = await dialog_factory()
    await d.one("EHLO a.example")
    await d.send("MAIL FROM:<a@remote.test>\r\nRCPT TO:<ann@example.org>\r\n", 2)
    return d


async def test_chunks_make_one_message(dialog_factory: DialogFactory, world: SmtpWorld) -> None:
    d = await _ready(dialog_factory)
    message = make_message()
    first, rest = message[:50], message[50:]
    assert (await d.send(b"BDAT %d\r\n" % len(first) + first))[0].startswith("250 2.0.0")
    reply = (await d.send(b"BDAT %d LAST\r\n" % len(rest) + rest))[0]
    assert reply.startswith("250 2.0.0 Message accepted")
    assert (await world.inbox(world.ann))[0].endswith(message)


async def test_pipelined_chunks_and_commands(dialog_factory: DialogFactory,
                                            world: SmtpWorld) -> None:
    d = await _ready(dialog_factory)
    message = make_message()
    replies = await d.send(b"BDAT %d LAST\r\n" % len(message) + message + b"NOOP\r\n", 2)
    assert [r[:3] for r in replies] == ["250", "250"]
    assert len(await world.inbox(world.ann)) == 1


async def test_empty_last_chunk(dialog_factory: DialogFactory, world: SmtpWorld) -> None:
    d = await _ready(dialog_factory)
    message = make_message()
    await d.send(b"BDAT %d\r\n" % len(message) + message)
    assert (await d.one("BDAT 0 LAST")).startswith("250 2.0.0 Message accepted")
    assert (await world.inbox(world.ann))[0].endswith(message)


async def test_chunk_content_is_not_scanned(dialog_factory: DialogFactory,
                                            world: SmtpWorld) -> None:
    d = await _ready(dialog_factory)
    message = b"Subject: dots\r\n\r\n.\r\nQUIT\r\n.\r\n"
    reply = (await d.send(b"BDAT %d LAST\r\n" % len(message) + message))[0]
    assert reply.startswith("250")
    assert (await world.inbox(world.ann))[0].endswith(message)


async def test_refused_bdat_chunk_is_consumed(dialog_factory: DialogFactory,
                                              world: SmtpWorld) -> None:
    d = await dialog_factory()
    await d.one("EHLO a.example")
    await d.one("MAIL FROM:<a@remote.test>")
    # No recipient yet: refused, but its 12 octets are read as data, not as commands.
    reply = (await d.send(b"BDAT 12 LAST\r\nQUIT\r\nRSET\r\n"))[0]
    assert reply.startswith("503")
    assert (await d.one("NOOP")).startswith("250")


async def test_data_after_bdat_is_refused(dialog_factory: DialogFactory) -> None:
    d = await _ready(dialog_factory)
    await d.send(b"BDAT 4\r\nabcd")
    assert (await d.one("DATA")).startswith("503 5.5.1")


async def test_chunks_over_the_size_limit(world: SmtpWorld) -> None:
    t = await world.talk(max_message_size=1000)
    await t.ehlo()
    await t.send("MAIL FROM:<a@remote.test>\r\nRCPT TO:<ann@example.org>\r\n")
    assert codes(await t.send(b"BDAT 600\r\n" + b"a" * 600)) == ["250"]
    assert codes(await t.send(b"BDAT 600\r\n" + b"b" * 600)) == ["552"]
    assert codes(await t.send(b"BDAT 3 LAST\r\nccc")) == ["552"]
    assert codes(await t.line("NOOP")) == ["250"]
    assert await world.inbox(world.ann) == []


async def test_unreadable_bdat_line_ends_the_session(world: SmtpWorld) -> None:
    t = await world.talk()
    await t.ehlo()
    await t.send("MAIL FROM:<a@remote.test>\r\nRCPT TO:<ann@example.org>\r\n")
    out = await t.send(b"BDAT many\r\nMAIL FROM:<x@y.test>\r\n")
    assert codes(out) == ["501", "421"]
    assert t.session.closing
