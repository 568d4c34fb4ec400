"""DELE msg (RFC 1939 5): marks only; the store changes at QUIT."""

from __future__ import annotations

from postroom.app import Services
from tests.protocol.pop3.transcript import Transcript


async def count(services: Services, account_id: int) -> int:
    folder = await services.mail.get_folder(account_id, "INBOX")
    return len(await services.mail.messages(account_id, folder.id))


async def test_dele_marks(services: Services, ann: int, logged_in: Transcript) -> None:
    assert await logged_in.send("DELE 1") == "+OK Message deleted\r\n"
    assert await count(services, ann) == 3  # nothing removed yet
    assert (await logged_in.send("STAT")).startswith("+OK 2 ")


async def test_dele_twice(logged_in: Transcript) -> None:
    await logged_in.send("DELE 1")
    assert await logged_in.send("DELE 1") == "-ERR Message is deleted\r\n"


async def test_dele_no_such_message(logged_in: Transcript) -> None:
    assert await logged_in.send("DELE 4") == "-ERR No such message\r\n"
    assert await logged_in.send("DELE") == "-ERR Invalid arguments\r\n"


async def test_numbers_do_not_shift_after_dele(logged_in: Transcript) -> None:
    await logged_in.send("DELE 1")
    assert (await logged_in.send("LIST 2")).startswith("+OK 2 ")
