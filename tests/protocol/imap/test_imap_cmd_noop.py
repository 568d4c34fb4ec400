"""NOOP (RFC 9051 6.1.2): completes in any state; in the selected state it reports changes."""

from __future__ import annotations

from postroom.app import Services
from tests.factories import make_message
from tests.protocol.imap.conftest import Open
from tests.protocol.imap.transcript import Transcript


async def test_noop_not_authenticated(imap: Open) -> None:
    assert await imap().send("a NOOP") == "a OK NOOP completed\r\n"


async def test_noop_reports_new_message(selected: Transcript, services: Services,
                                        ann: int) -> None:
    await services.mail.append(ann, "INBOX", make_message("New"))
    reply = await selected.send("a NOOP")
    assert reply == "* 4 EXISTS\r\n* 1 RECENT\r\na OK NOOP completed\r\n"
    assert await selected.send("b NOOP") == "b OK NOOP completed\r\n"
