"""GETQUOTAROOT (RFC 9208 4.3)."""

from __future__ import annotations

from tests.protocol.imap.transcript import Transcript


async def test_getquotaroot(logged_in: Transcript) -> None:
    reply = await logged_in.send("a GETQUOTAROOT INBOX")
    assert reply == ('* QUOTAROOT "INBOX" ""\r\n* QUOTA "" (STORAGE 0 102400)\r\n'
                     "a OK GETQUOTAROOT completed\r\n")


async def test_missing_mailbox(logged_in: Transcript) -> None:
    assert (await logged_in.send("a GETQUOTAROOT Nope")).startswith("a NO [NONEXISTENT]")
