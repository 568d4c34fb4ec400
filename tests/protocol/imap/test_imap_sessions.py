"""Several sessions on one mailbox (DESIGN 6): each sees the others' changes at its next
command, with sequence numbers consistent per session (RFC 9051 5.2, 7.4.1)."""

from __future__ import annotations

from postroom.app import Services
from tests.factories import make_message
from tests.protocol.imap.conftest import Open
from tests.protocol.imap.transcript import Transcript


async def test_three_sessions(imap: Open, inbox: list[bytes], services: Services,
                              ann: int) -> None:
    a, b, c = imap(), imap(), imap()
    for t in (a, b, c):
        await t.login()
        await t.select()
    await a.send("a1 STORE 1 +FLAGS (\\Deleted)")
    await a.send("a2 EXPUNGE")
    await services.mail.append(ann, "INBOX", make_message("Fourth"))
    await b.send("b1 STORE 3 +FLAGS.SILENT (\\Flagged)")
    # c keeps its numbers during FETCH: it hears of the new message and the flag there,
    # but the EXPUNGE waits for a command that may renumber (RFC 9051 7.4.1).
    assert await c.send("c1 FETCH 3 UID") == (
        "* 3 FETCH (UID 3)\r\n* 4 EXISTS\r\n* 1 RECENT\r\n* 3 FETCH (FLAGS (\\Flagged))\r\n"
        "c1 OK FETCH completed\r\n")
    assert await c.send("c2 NOOP") == "* 1 EXPUNGE\r\nc2 OK NOOP completed\r\n"
    assert await c.send("c3 FETCH 3 UID") == "* 3 FETCH (UID 4)\r\nc3 OK FETCH completed\r\n"
    # a sees b's flag and the new message; its own expunge is not repeated.
    assert await a.send("a3 NOOP") == (
        "* 3 EXISTS\r\n* 1 RECENT\r\n* 2 FETCH (FLAGS (\\Flagged))\r\na3 OK NOOP completed\r\n")


async def test_uid_command_may_receive_expunge(imap: Open, inbox: list[bytes]) -> None:
    a, b = imap(), imap()
    for t in (a, b):
        await t.login()
        await t.select()
    await a.send("a STORE 2 +FLAGS.SILENT (\\Deleted)")
    await a.send("b EXPUNGE")
    assert await b.send("c UID FETCH 3 UID") == (
        "* 3 FETCH (UID 3)\r\n* 2 EXPUNGE\r\nc OK FETCH completed\r\n")


async def test_session_in_other_folder_is_not_disturbed(selected: Transcript, imap: Open,
                                                        services: Services, ann: int) -> None:
    other = imap()
    await other.login()
    await other.select("Sent")
    await services.mail.append(ann, "INBOX", make_message("x"))
    assert await other.send("a NOOP") == "a OK NOOP completed\r\n"
