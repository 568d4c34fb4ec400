"""RSET (RFC 1939 5): unmark every message marked by DELE."""

from __future__ import annotations

from postroom.app import Services
from tests.protocol.pop3.transcript import Transcript


async def test_rset_restores(services: Services, ann: int, logged_in: Transcript) -> None:
    await logged_in.send("DELE 1")
    await logged_in.send("DELE 3")
    assert await logged_in.send("RSET") == "+OK Deleted messages restored\r\n"
    assert (await logged_in.send("STAT")).startswith("+OK 3 ")
    assert (await logged_in.send("RETR 1")).startswith("+OK")
    await logged_in.send("QUIT")
    folder = await services.mail.get_folder(ann, "INBOX")
    assert len(await services.mail.messages(ann, folder.id)) == 3


async def test_rset_takes_no_arguments(logged_in: Transcript) -> None:
    assert await logged_in.send("RSET 1") == "-ERR Invalid arguments\r\n"
