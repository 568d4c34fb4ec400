"""RSET (RFC 5321 4.1.1.5): drops the transaction, keeps the greeting and the login."""

from __future__ import annotations

from postroom.protocols.smtp.context import Mode
from tests.protocol.smtp.conftest import DialogFactory
from tests.protocol.smtp.transcript import SmtpWorld, codes


async def test_rset_drops_the_transaction(dialog_factory: DialogFactory) -> None:
    d = await dialog_factory()
    await d.one("EHLO a.example")
    await d.one("MAIL FROM:<a@remote.test>")
    await d.one("RCPT TO:<ann@example.org>")
    assert (await d.one("RSET")).startswith("250 2.0.0")
    assert (await d.one("RCPT TO:<ann@example.org>")).startswith("503")
    assert (await d.one("MAIL FROM:<a@remote.test>")).startswith("250")


async def test_rset_before_ehlo_is_fine(dialog_factory: DialogFactory) -> None:
    d = await dialog_factory()
    assert (await d.one("RSET")).startswith("250")
    assert (await d.one("MAIL FROM:<a@remote.test>")).startswith("503")


async def test_rset_keeps_the_login(world: SmtpWorld) -> None:
    t = await world.talk(Mode.SUBMISSION, peer_ip="127.0.0.1")
    await t.ehlo()
    await t.login()
    assert codes(await t.line("RSET")) == ["250"]
    assert codes(await t.line("MAIL FROM:<ann@example.org>")) == ["250"]


async def test_rset_ends_a_bdat_transaction(world: SmtpWorld) -> None:
    t = await world.talk()
    await t.ehlo()
    out = await t.send("MAIL FROM:<a@remote.test>\r\nRCPT TO:<ann@example.org>\r\n"
                       "BDAT 5\r\nHello")
    assert codes(out) == ["250", "250", "250"]
    assert codes(await t.line("RSET")) == ["250"]
    assert codes(await t.line("BDAT 3 LAST")) == []  # waiting for the chunk...
    assert codes(await t.send("abc")) == ["503"]  # ...then refused: no transaction
    assert await world.inbox(world.ann) == []
