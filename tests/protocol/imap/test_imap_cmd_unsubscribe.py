"""UNSUBSCRIBE (RFC 9051 6.3.8)."""

from __future__ import annotations

from postroom.app import Services
from tests.protocol.imap.transcript import Transcript


async def test_unsubscribe(logged_in: Transcript, services: Services, ann: int) -> None:
    assert await logged_in.send("a UNSUBSCRIBE Junk") == "a OK UNSUBSCRIBE completed\r\n"
    assert not (await services.mail.get_folder(ann, "Junk")).subscribed
    assert "Junk" not in await logged_in.send('b LSUB "" *')
