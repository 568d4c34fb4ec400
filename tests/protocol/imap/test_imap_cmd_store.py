"""STORE (RFC 9051 6.4.6), .SILENT, UID STORE, UNCHANGEDSINCE (RFC 7162 3.1.3)."""

from __future__ import annotations

import re

from postroom.app import Services
from tests.protocol.imap.transcript import Transcript


async def test_add_remove_replace(selected: Transcript) -> None:
    assert await selected.send("a STORE 1 +FLAGS (\\Flagged $Work)") == (
        "* 1 FETCH (FLAGS (\\Flagged $Work))\r\n"
        "* FLAGS (\\Seen \\Answered \\Flagged \\Deleted \\Draft $Work)\r\n"
        "* OK [PERMANENTFLAGS (\\Seen \\Answered \\Flagged \\Deleted \\Draft $Work \\*)] "
        "Flags permitted\r\na OK STORE completed\r\n")
    assert await selected.send("b STORE 1 -FLAGS (\\Flagged)") == (
        "* 1 FETCH (FLAGS ($Work))\r\nb OK STORE completed\r\n")
    assert await selected.send("c STORE 1:2 FLAGS (\\Answered)") == (
        "* 1 FETCH (FLAGS (\\Answered))\r\n* 2 FETCH (FLAGS (\\Answered))\r\n"
        "c OK STORE completed\r\n")


async def test_silent(selected: Transcript, services: Services, ann: int) -> None:
    assert await selected.send("a STORE 1:* +FLAGS.SILENT (\\Seen)") == "a OK STORE completed\r\n"
    assert (await services.mail.folder_status(ann, "INBOX")).unseen == 0


async def test_uid_store(selected: Transcript) -> None:
    assert await selected.send("a UID STORE 3 +FLAGS (\\Seen)") == (
        "* 3 FETCH (FLAGS (\\Seen) UID 3)\r\na OK STORE completed\r\n")


async def test_bad_sequence_number(selected: Transcript) -> None:
    assert (await selected.send("a STORE 9 +FLAGS (\\Seen)")).startswith("a BAD")


async def test_unchangedsince(selected: Transcript, services: Services, ann: int) -> None:
    folder = await services.mail.get_folder(ann, "INBOX")
    await services.mail.set_flags(ann, folder.id, [2], "add", ["\\Flagged"])
    reply = await selected.send(
        f"a STORE 1:2 (UNCHANGEDSINCE {folder.highestmodseq}) +FLAGS (\\Answered)")
    assert re.search(r"\* 1 FETCH \(FLAGS \(\\Answered\) MODSEQ \(\d+\)\)", reply)
    assert reply.endswith("a OK [MODIFIED 2] Conditional STORE failed for some messages\r\n")


async def test_other_sessions_see_flag_change(selected: Transcript, imap: object) -> None:
    other = imap()  # type: ignore[operator]
    await other.login()
    await other.select()
    await selected.send("a STORE 2 -FLAGS (\\Seen)")
    assert await other.send("b NOOP") == "* 2 FETCH (FLAGS ())\r\nb OK NOOP completed\r\n"
