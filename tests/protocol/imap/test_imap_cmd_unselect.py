"""UNSELECT (RFC 3691): leave the selected state without expunging."""

from __future__ import annotations

from postroom.app import Services
from tests.protocol.imap.transcript import Transcript


async def test_unselect(selected: Transcript, services: Services, ann: int) -> None:
    await selected.send("a STORE 1 +FLAGS.SILENT (\\Deleted)")
    assert await selected.send("b UNSELECT") == "b OK UNSELECT completed\r\n"
    assert (await services.mail.folder_status(ann, "INBOX")).messages == 3
    assert (await selected.send("c UNSELECT")).startswith("c BAD")
