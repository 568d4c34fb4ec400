"""QUIT (RFC 5321 4.1.1.10): 221 and the connection closes; a transaction is dropped."""

from __future__ import annotations

from tests.protocol.smtp.conftest import DialogFactory
from tests.protocol.smtp.transcript import SmtpWorld, SocketDialog


async def test_quit_says_goodbye(dialog_factory: DialogFactory) -> None:
    d = await dialog_factory()
    assert (await d.one("QUIT")).startswith("221 2.0.0")


async def test_quit_drops_an_unfinished_transaction(world: SmtpWorld) -> None:
    t = await world.talk()
    await t.ehlo()
    await t.send("MAIL FROM:<a@remote.test>\r\nRCPT TO:<ann@example.org>\r\n")
    assert (await t.line("QUIT")).startswith("221")
    assert t.session.closing and t.session.txn is None
    assert await world.inbox(world.ann) == []


async def test_nothing_after_quit_is_read(world: SmtpWorld) -> None:
    t = await world.talk()
    out = await t.send("QUIT\r\nNOOP\r\nNOOP\r\n")
    assert out.count("\r\n") == 1


async def test_server_closes_the_socket_after_quit(ports) -> None:  # type: ignore[no-untyped-def]
    d = await SocketDialog.open(ports.mx)
    assert (await d.one("QUIT")).startswith("221")
    assert await d.at_eof()
    await d.close()
