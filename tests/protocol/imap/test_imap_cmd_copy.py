"""COPY (RFC 9051 6.4.7) with COPYUID (RFC 4315) and TRYCREATE."""

from __future__ import annotations

from postroom.app import Services
from tests.protocol.imap.transcript import Transcript


async def test_copy(selected: Transcript, services: Services, ann: int) -> None:
    trash = await services.mail.get_folder(ann, "Trash")
    reply = await selected.send("a COPY 2:3 Trash")
    assert reply == f"a OK [COPYUID {trash.uidvalidity} 2:3 1:2] COPY completed\r\n"
    rows = await services.mail.messages(ann, trash.id)
    assert [r.flags for r in rows] == [frozenset({"\\Seen"}), frozenset()]


async def test_uid_copy(selected: Transcript, services: Services, ann: int) -> None:
    trash = await services.mail.get_folder(ann, "Trash")
    reply = await selected.send("a UID COPY 3,1 Trash")
    assert reply == f"a OK [COPYUID {trash.uidvalidity} 1,3 1:2] COPY completed\r\n"


async def test_copy_to_missing(selected: Transcript) -> None:
    assert await selected.send("a COPY 1 Nope") == "a NO [TRYCREATE] No such mailbox\r\n"


async def test_copy_into_selected_reports_exists(selected: Transcript) -> None:
    reply = await selected.send("a COPY 1 INBOX")
    assert reply.startswith("* 4 EXISTS\r\n")
