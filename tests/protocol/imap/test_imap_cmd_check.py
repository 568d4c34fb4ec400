"""CHECK (RFC 3501 6.4.1): a checkpoint; reports pending changes like NOOP."""

from __future__ import annotations

from postroom.app import Services
from tests.factories import make_message
from tests.protocol.imap.transcript import Transcript


async def test_check(selected: Transcript, services: Services, ann: int) -> None:
    await services.mail.append(ann, "INBOX", make_message())
    assert await selected.send("a CHECK") == "* 4 EXISTS\r\n* 1 RECENT\r\na OK CHECK completed\r\n"


async def test_check_needs_selection(logged_in: Transcript) -> None:
    assert (await logged_in.send("a CHECK")).startswith("a BAD")
