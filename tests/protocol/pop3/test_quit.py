"""QUIT (RFC 1939 6): in AUTHORIZATION it only ends; in TRANSACTION it removes DELE'd mail."""

from __future__ import annotations

import pytest

from postroom.app import Services
from postroom.errors import TemporaryFailure
from tests.protocol.pop3.conftest import Open
from tests.protocol.pop3.transcript import Transcript


async def remaining(services: Services, account_id: int) -> list[int]:
    folder = await services.mail.get_folder(account_id, "INBOX")
    return [r.uid for r in await services.mail.messages(account_id, folder.id)]


async def test_quit_before_login(pop3: Open) -> None:
    t = pop3()
    assert await t.send("QUIT") == "+OK Bye\r\n"
    assert t.closing


async def test_quit_removes_marked_messages(services: Services, ann: int,
                                            logged_in: Transcript) -> None:
    await logged_in.send("DELE 1")
    await logged_in.send("DELE 3")
    assert await logged_in.send("QUIT") == "+OK Bye\r\n"
    assert await remaining(services, ann) == [2]


async def test_failed_update_is_sys_temp_and_removes_nothing(
    services: Services, ann: int, logged_in: Transcript, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*args: object) -> list[int]:
        raise TemporaryFailure()

    await logged_in.send("DELE 1")
    monkeypatch.setattr(services.mail, "delete_messages", broken)
    assert await logged_in.send("QUIT") == (
        "-ERR [SYS/TEMP] Some deleted messages were not removed\r\n"
    )
    assert logged_in.closing
    assert await remaining(services, ann) == [1, 2, 3]


async def test_quit_takes_no_arguments(logged_in: Transcript) -> None:
    assert await logged_in.send("QUIT please") == "-ERR Invalid arguments\r\n"
    assert not logged_in.closing
