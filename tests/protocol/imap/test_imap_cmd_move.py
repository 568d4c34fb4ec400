"""MOVE (RFC 6851): COPYUID untagged, then EXPUNGE responses, then OK."""

from __future__ import annotations

from postroom.app import Services
from tests.protocol.imap.transcript import Transcript


async def test_move(selected: Transcript, services: Services, ann: int) -> None:
    trash = await services.mail.get_folder(ann, "Trash")
    reply = await selected.send("a MOVE 1:2 Trash")
    assert reply == (f"* OK [COPYUID {trash.uidvalidity} 1:2 1:2] Moved\r\n"
                     "* 2 EXPUNGE\r\n* 1 EXPUNGE\r\na OK MOVE completed\r\n")
    assert (await services.mail.folder_status(ann, "Trash")).messages == 2
    assert (await services.mail.folder_status(ann, "INBOX")).messages == 1


async def test_uid_move(selected: Transcript) -> None:
    reply = await selected.send("a UID MOVE 3 Archive")
    assert "* 3 EXPUNGE\r\n" in reply and reply.endswith("a OK MOVE completed\r\n")


async def test_move_to_missing(selected: Transcript) -> None:
    assert await selected.send("a MOVE 1 Nope") == "a NO [TRYCREATE] No such mailbox\r\n"


async def test_other_session_sees_expunge(selected: Transcript, imap: object) -> None:
    other = imap()  # type: ignore[operator]
    await other.login()
    await other.select()
    await selected.send("a MOVE 2 Trash")
    assert await other.send("b FETCH 1 FLAGS") == "* 1 FETCH (FLAGS ())\r\nb OK FETCH completed\r\n"
    assert await other.send("c NOOP") == "* 2 EXPUNGE\r\nc OK NOOP completed\r\n"
