"""UID EXPUNGE (RFC 4315 2.1): only the named \\Deleted messages go."""

from __future__ import annotations

from tests.protocol.imap.transcript import Transcript


async def test_uid_expunge(selected: Transcript) -> None:
    await selected.send("a STORE 1:3 +FLAGS.SILENT (\\Deleted)")
    assert await selected.send("b UID EXPUNGE 2:3") == (
        "* 3 EXPUNGE\r\n* 2 EXPUNGE\r\nb OK EXPUNGE completed\r\n")
    assert "UID 1" in await selected.send("c FETCH 1 UID")


async def test_uid_expunge_of_nothing(selected: Transcript) -> None:
    assert await selected.send("a UID EXPUNGE 99") == "a OK EXPUNGE completed\r\n"
