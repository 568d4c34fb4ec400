"""GETQUOTA (RFC 9208 4.2): one root, "", with STORAGE in KiB."""

from __future__ import annotations

from tests.protocol.imap.transcript import Transcript


async def test_getquota(logged_in: Transcript, inbox: list[bytes]) -> None:
    used = (sum(len(raw) for raw in inbox) + 1023) // 1024
    reply = await logged_in.send('a GETQUOTA ""')
    assert reply == f'* QUOTA "" (STORAGE {used} 102400)\r\na OK GETQUOTA completed\r\n'


async def test_unknown_root(logged_in: Transcript) -> None:
    assert (await logged_in.send("a GETQUOTA other")).startswith("a NO [NONEXISTENT]")
