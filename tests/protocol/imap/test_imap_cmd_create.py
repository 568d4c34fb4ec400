"""CREATE (RFC 9051 6.3.4; CREATE-SPECIAL-USE RFC 6154 3; modified UTF-7 names)."""

from __future__ import annotations

from postroom.app import Services
from tests.protocol.imap.transcript import Transcript


async def test_create_with_parents(logged_in: Transcript, services: Services, ann: int) -> None:
    assert await logged_in.send("a CREATE Projects/2026/Q4") == "a OK CREATE completed\r\n"
    names = {f.name for f in await services.mail.list_folders(ann)}
    assert {"Projects", "Projects/2026", "Projects/2026/Q4"} <= names


async def test_trailing_delimiter(logged_in: Transcript, services: Services, ann: int) -> None:
    await logged_in.send("a CREATE Lists/")
    assert "Lists" in {f.name for f in await services.mail.list_folders(ann)}


async def test_existing(logged_in: Transcript) -> None:
    reply = await logged_in.send("a CREATE Sent")
    assert reply == "a NO [ALREADYEXISTS] Mailbox already exists\r\n"
    assert (await logged_in.send("b CREATE inbox")).startswith("b NO [ALREADYEXISTS]")


async def test_modified_utf7_name(logged_in: Transcript, services: Services, ann: int) -> None:
    await logged_in.send("a CREATE &BB8EPgRIBEIEMA-")
    assert "Пошта" in {f.name for f in await services.mail.list_folders(ann)}
    assert '"&BB8EPgRIBEIEMA-"' in await logged_in.send('b LIST "" *')


async def test_special_use(logged_in: Transcript, services: Services, ann: int) -> None:
    await logged_in.send("a DELETE Archive")
    assert (await logged_in.send("b CREATE Old (USE (\\Archive))")).startswith("b OK")
    assert "\\Archive" in await logged_in.send('c LIST "" Old')
    assert (await logged_in.send("d CREATE Imp (USE (\\Important))")).startswith("d NO [CANNOT]")


async def test_invalid_name(logged_in: Transcript) -> None:
    assert (await logged_in.send('a CREATE "a//b"')).startswith("a NO [CANNOT]")
