"""SELECT (RFC 9051 6.3.2, RFC 3501 6.3.1, CONDSTORE/QRESYNC RFC 7162 3.1.8, 3.2.5)."""

from __future__ import annotations

import re

from postroom.app import Services
from tests.protocol.imap.transcript import Transcript


async def test_select(logged_in: Transcript, inbox: list[bytes], services: Services,
                      ann: int) -> None:
    folder = await services.mail.get_folder(ann, "INBOX")
    reply = await logged_in.send("a SELECT INBOX")
    assert reply == (
        "* FLAGS (\\Seen \\Answered \\Flagged \\Deleted \\Draft)\r\n"
        "* OK [PERMANENTFLAGS (\\Seen \\Answered \\Flagged \\Deleted \\Draft \\*)] "
        "Flags permitted\r\n"
        "* 3 EXISTS\r\n"
        "* 0 RECENT\r\n"
        "* OK [UNSEEN 1] First unseen\r\n"
        f"* OK [UIDVALIDITY {folder.uidvalidity}] UIDs valid\r\n"
        "* OK [UIDNEXT 4] Predicted next UID\r\n"
        f"* OK [HIGHESTMODSEQ {folder.highestmodseq}] Highest\r\n"
        "a OK [READ-WRITE] SELECT completed\r\n"
    )


async def test_select_case_insensitive_inbox(logged_in: Transcript, inbox: list[bytes]) -> None:
    assert "* 3 EXISTS" in await logged_in.send("a SELECT inbox")


async def test_select_missing(logged_in: Transcript) -> None:
    reply = await logged_in.send("a SELECT Nowhere")
    assert reply == "a NO [NONEXISTENT] No such mailbox\r\n"
    assert (await logged_in.send("b FETCH 1 FLAGS")).startswith("b BAD")


async def test_failed_select_deselects(selected: Transcript) -> None:
    await selected.send("a SELECT Nowhere")
    assert (await selected.send("b FETCH 1 FLAGS")).startswith("b BAD")


async def test_keywords_in_flags(logged_in: Transcript, services: Services, ann: int) -> None:
    from tests.factories import make_message

    await services.mail.append(ann, "INBOX", make_message(), ["$Forwarded"])
    reply = await logged_in.send("a SELECT INBOX")
    assert "* FLAGS (\\Seen \\Answered \\Flagged \\Deleted \\Draft $Forwarded)" in reply


async def test_select_condstore_enables_modseq(logged_in: Transcript, inbox: list[bytes]) -> None:
    await logged_in.send("a SELECT INBOX (CONDSTORE)")
    assert re.search(r"MODSEQ \(\d+\)", await logged_in.send("b FETCH 1 FLAGS"))


async def test_reselect_with_qresync_says_closed(logged_in: Transcript, inbox: list[bytes]) -> None:
    await logged_in.send("a ENABLE QRESYNC")
    await logged_in.select()
    reply = await logged_in.send("b SELECT INBOX")
    assert reply.startswith("* OK [CLOSED] Previous mailbox closed\r\n")


async def test_qresync_needs_enable(logged_in: Transcript, inbox: list[bytes]) -> None:
    reply = await logged_in.send("a SELECT INBOX (QRESYNC (1 1))")
    assert reply == "a BAD Enable QRESYNC first\r\n"


async def test_qresync_reports_vanished_and_changed(logged_in: Transcript, inbox: list[bytes],
                                                    services: Services, ann: int) -> None:
    folder = await services.mail.get_folder(ann, "INBOX")
    await services.mail.set_flags(ann, folder.id, [2], "add", ["\\Flagged"])
    await services.mail.delete_messages(ann, folder.id, [1])
    await logged_in.send("a ENABLE QRESYNC")
    reply = await logged_in.send(
        f"b SELECT INBOX (QRESYNC ({folder.uidvalidity} {folder.highestmodseq} 1:3))")
    assert "* VANISHED (EARLIER) 1\r\n" in reply
    assert re.search(r"\* 1 FETCH \(UID 2 FLAGS \(\\Flagged \\Seen\) MODSEQ \(\d+\)\)", reply)
    assert "UID 3" not in reply


async def test_qresync_other_uidvalidity_is_ignored(logged_in: Transcript,
                                                    inbox: list[bytes]) -> None:
    await logged_in.send("a ENABLE QRESYNC")
    reply = await logged_in.send("b SELECT INBOX (QRESYNC (1 1))")
    assert "VANISHED" not in reply and "b OK [READ-WRITE]" in reply
