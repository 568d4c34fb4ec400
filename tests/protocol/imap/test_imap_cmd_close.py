"""CLOSE (RFC 9051 6.4.2): silent expunge (unless read-only), then the authenticated state."""

from __future__ import annotations

from postroom.app import Services
from tests.protocol.imap.transcript import Transcript


async def test_close_expunges_silently(selected: Transcript, services: Services, ann: int) -> None:
    await selected.send("a STORE 1 +FLAGS.SILENT (\\Deleted)")
    assert await selected.send("b CLOSE") == "b OK CLOSE completed\r\n"
    assert (await services.mail.folder_status(ann, "INBOX")).messages == 2
    assert (await selected.send("c FETCH 1 FLAGS")).startswith("c BAD")


async def test_close_read_only_keeps_messages(logged_in: Transcript, inbox: list[bytes],
                                              services: Services, ann: int) -> None:
    folder = await services.mail.get_folder(ann, "INBOX")
    await services.mail.set_flags(ann, folder.id, [1], "add", ["\\Deleted"])
    await logged_in.select(command="EXAMINE")
    await logged_in.send("b CLOSE")
    assert (await services.mail.folder_status(ann, "INBOX")).messages == 3
