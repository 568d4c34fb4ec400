"""RETR (RFC 1939 5): the stored message, CRLF and dot-stuffed; sets \\Seen; failures."""

from __future__ import annotations

import pytest

from postroom.app import Services
from postroom.errors import TemporaryFailure
from postroom.protocols.pop3.dotstuff import encode_message, unstuff, wire_size
from postroom.store.records import MessageRow
from tests.protocol.pop3.conftest import Open
from tests.protocol.pop3.test_stat import TRICKY
from tests.protocol.pop3.transcript import Transcript


async def inbox_rows(services: Services, account_id: int) -> list[MessageRow]:
    folder = await services.mail.get_folder(account_id, "INBOX")
    return await services.mail.messages(account_id, folder.id)


async def test_retr(logged_in: Transcript, inbox: list[bytes]) -> None:
    out = await logged_in.raw(b"RETR 2\r\n")
    expected = b"".join(encode_message([inbox[1]]))
    assert out == f"+OK {wire_size(inbox[1])} octets\r\n".encode() + expected
    assert unstuff(expected) == inbox[1]  # factory messages are CRLF already


async def test_retr_dot_stuffs_and_normalises_line_ends(services: Services, ann: int,
                                                       pop3: Open) -> None:
    await services.mail.append(ann, "INBOX", TRICKY)
    t = pop3()
    await t.login()
    out = await t.raw(b"RETR 1\r\n")
    assert out.endswith(
        b"\r\n\r\n..leading dot\r\nbare LF\r\nCRLF\r\n...two\r\nno final line end\r\n.\r\n"
    )


async def test_retr_sets_seen(services: Services, ann: int, logged_in: Transcript) -> None:
    await logged_in.send("RETR 1")
    rows = await inbox_rows(services, ann)
    assert ["\\Seen" in r.flags for r in rows] == [True, False, False]


async def test_retr_in_chunks_with_drains(services: Services, ann: int, pop3: Open) -> None:
    big = b"Subject: big\r\n\r\n" + b"x" * 70 + b"\r\n" + (b"y" * 78 + b"\r\n") * 3000
    await services.mail.append(ann, "INBOX", big)
    t = pop3()
    await t.login()
    before = t.out.drains
    out = await t.raw(b"RETR 1\r\n")
    assert t.out.drains - before >= 3
    assert unstuff(out.partition(b"\r\n")[2]) == big


async def test_retr_no_such_message(logged_in: Transcript) -> None:
    assert await logged_in.send("RETR 9") == "-ERR No such message\r\n"
    assert await logged_in.send("RETR") == "-ERR Invalid arguments\r\n"


async def test_retr_deleted_message(logged_in: Transcript) -> None:
    await logged_in.send("DELE 1")
    assert await logged_in.send("RETR 1") == "-ERR Message is deleted\r\n"


async def test_storage_trouble_is_sys_temp(services: Services, logged_in: Transcript,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    async def broken(row: MessageRow) -> bytes:
        raise TemporaryFailure()

    monkeypatch.setattr(services.mail, "read_message", broken)
    assert await logged_in.send("RETR 1") == (
        "-ERR [SYS/TEMP] Temporary failure, try again later\r\n"
    )
    assert (await logged_in.send("NOOP")) == "+OK\r\n"  # the session goes on


async def test_missing_blob_file_is_sys_temp(services: Services, ann: int,
                                             logged_in: Transcript) -> None:
    row = (await inbox_rows(services, ann))[0]
    services.blobs.path(row.blob_hash).unlink()
    assert await logged_in.send("RETR 1") == (
        "-ERR [SYS/TEMP] Temporary failure, try again later\r\n"
    )


async def test_message_expunged_elsewhere(services: Services, ann: int,
                                          logged_in: Transcript) -> None:
    rows = await inbox_rows(services, ann)
    await services.mail.delete_messages(ann, rows[0].folder_id, [rows[0].uid])  # e.g. IMAP
    assert await logged_in.send("RETR 1") == "-ERR No such message\r\n"
    assert (await logged_in.send("RETR 2")).startswith("+OK")


async def test_failure_to_set_seen_does_not_desynchronise(services: Services,
                                                          logged_in: Transcript,
                                                          inbox: list[bytes],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    async def broken(*args: object) -> None:
        raise TemporaryFailure()

    monkeypatch.setattr(services.mail, "set_flags", broken)
    out = await logged_in.raw(b"RETR 1\r\nNOOP\r\n")
    assert out.endswith(b"".join(encode_message([inbox[0]])) + b"+OK\r\n")
