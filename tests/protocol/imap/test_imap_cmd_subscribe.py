"""SUBSCRIBE (RFC 9051 6.3.7)."""

from __future__ import annotations

from postroom.app import Services
from tests.protocol.imap.transcript import Transcript


async def test_subscribe(logged_in: Transcript, services: Services, ann: int) -> None:
    await logged_in.send("a UNSUBSCRIBE Junk")
    assert await logged_in.send("b SUBSCRIBE Junk") == "b OK SUBSCRIBE completed\r\n"
    assert (await services.mail.get_folder(ann, "Junk")).subscribed


async def test_subscribe_missing(logged_in: Transcript) -> None:
    assert (await logged_in.send("a SUBSCRIBE Nope")).startswith("a NO [NONEXISTENT]")
