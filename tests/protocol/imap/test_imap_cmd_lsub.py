"""LSUB (RFC 3501 6.3.9): the subscribed mailboxes matching a pattern."""

from __future__ import annotations

from tests.protocol.imap.transcript import Transcript


async def test_lsub(logged_in: Transcript) -> None:
    await logged_in.send("a UNSUBSCRIBE Trash")
    reply = await logged_in.send('b LSUB "" *')
    assert '* LSUB () "/" "INBOX"\r\n' in reply and "Trash" not in reply
    assert reply.endswith("b OK LSUB completed\r\n")
