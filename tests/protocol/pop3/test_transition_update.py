"""TRANSACTION -> UPDATE (RFC 1939 6): QUIT applies deletions, then nothing is read."""

from __future__ import annotations

from postroom.app import Services
from postroom.protocols.pop3.states import SessionState
from tests.protocol.pop3.transcript import Transcript


async def test_quit_enters_update_and_reads_nothing_more(services: Services, ann: int,
                                                         logged_in: Transcript) -> None:
    await logged_in.send("DELE 1")
    out = await logged_in.raw(b"QUIT\r\nRSET\r\nSTAT\r\n")
    assert out == b"+OK Bye\r\n"
    assert logged_in.session.state is SessionState.UPDATE
    assert logged_in.closing
    folder = await services.mail.get_folder(ann, "INBOX")
    assert [r.uid for r in await services.mail.messages(ann, folder.id)] == [2, 3]


async def test_imap_side_sees_the_expunge(services: Services, ann: int,
                                          logged_in: Transcript) -> None:
    folder = await services.mail.get_folder(ann, "INBOX")
    await logged_in.send("DELE 2")
    await logged_in.send("QUIT")
    changes = await services.mail.changes_since(ann, folder.id, folder.highestmodseq)
    assert changes.vanished == (2,)
