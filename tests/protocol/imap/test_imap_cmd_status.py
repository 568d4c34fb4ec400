"""STATUS (RFC 9051 6.3.11; SIZE RFC 8438; HIGHESTMODSEQ RFC 7162; APPENDLIMIT RFC 7889)."""

from __future__ import annotations

from postroom.app import Services
from tests.protocol.imap.transcript import Transcript


async def test_status(logged_in: Transcript, inbox: list[bytes], services: Services,
                      ann: int) -> None:
    folder = await services.mail.get_folder(ann, "INBOX")
    size = sum(len(raw) for raw in inbox)
    reply = await logged_in.send(
        "a STATUS INBOX (MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN DELETED SIZE "
        "HIGHESTMODSEQ APPENDLIMIT)")
    assert reply == (
        f'* STATUS "INBOX" (MESSAGES 3 RECENT 0 UIDNEXT 4 UIDVALIDITY {folder.uidvalidity} '
        f"UNSEEN 2 DELETED 0 SIZE {size} HIGHESTMODSEQ {folder.highestmodseq} "
        "APPENDLIMIT 52428800)\r\na OK STATUS completed\r\n")


async def test_status_missing(logged_in: Transcript) -> None:
    assert (await logged_in.send("a STATUS Nope (MESSAGES)")).startswith("a NO [NONEXISTENT]")


async def test_status_bad_item(logged_in: Transcript) -> None:
    assert (await logged_in.send("a STATUS INBOX (FOO)")).startswith("a BAD")
