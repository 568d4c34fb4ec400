"""EXAMINE (RFC 9051 6.3.3): read-only, no \\Seen from FETCH, no changes allowed."""

from __future__ import annotations

from tests.protocol.imap.transcript import Transcript


async def test_examine(logged_in: Transcript, inbox: list[bytes]) -> None:
    reply = await logged_in.send("a EXAMINE INBOX")
    assert "* OK [PERMANENTFLAGS ()] Read-only mailbox\r\n" in reply
    assert reply.endswith("a OK [READ-ONLY] EXAMINE completed\r\n")


async def test_examine_fetch_does_not_set_seen(logged_in: Transcript, inbox: list[bytes]) -> None:
    await logged_in.select(command="EXAMINE")
    reply = await logged_in.send("a FETCH 1 (BODY[TEXT] FLAGS)")
    assert "FLAGS ()" in reply
    assert "\\Seen" not in await logged_in.send("b FETCH 1 FLAGS")


async def test_examine_refuses_changes(logged_in: Transcript, inbox: list[bytes]) -> None:
    await logged_in.select(command="EXAMINE")
    for command in ("STORE 1 +FLAGS (\\Deleted)", "EXPUNGE", "MOVE 1 Trash", "UID EXPUNGE 1"):
        assert (await logged_in.send(f"a {command}")).startswith("a NO [CANNOT]"), command
    assert (await logged_in.send("b COPY 1 Trash")).startswith("b OK [COPYUID")
