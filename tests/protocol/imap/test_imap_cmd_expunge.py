"""EXPUNGE (RFC 9051 6.4.3): \\Deleted messages go, with EXPUNGE (or VANISHED) responses."""

from __future__ import annotations

from postroom.app import Services
from tests.protocol.imap.transcript import Transcript


async def test_expunge(selected: Transcript, services: Services, ann: int) -> None:
    await selected.send("a STORE 1,3 +FLAGS.SILENT (\\Deleted)")
    assert await selected.send("b EXPUNGE") == (
        "* 3 EXPUNGE\r\n* 1 EXPUNGE\r\nb OK EXPUNGE completed\r\n")
    assert await selected.send("c FETCH 1 UID") == "* 1 FETCH (UID 2)\r\nc OK FETCH completed\r\n"
    assert (await services.mail.folder_status(ann, "INBOX")).messages == 1


async def test_expunge_with_qresync_sends_vanished(logged_in: Transcript,
                                                   inbox: list[bytes]) -> None:
    await logged_in.send("a ENABLE QRESYNC")
    await logged_in.select()
    await logged_in.send("b STORE 1:2 +FLAGS.SILENT (\\Deleted)")
    assert await logged_in.send("c EXPUNGE") == "* VANISHED 1:2\r\nc OK EXPUNGE completed\r\n"


async def test_nothing_to_expunge(selected: Transcript) -> None:
    assert await selected.send("a EXPUNGE") == "a OK EXPUNGE completed\r\n"
