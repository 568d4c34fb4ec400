"""IDLE (RFC 2177): changes are pushed while idling, within a second, via the change feed."""

from __future__ import annotations

from postroom.app import Services
from tests.factories import make_message
from tests.protocol.imap.transcript import Transcript


async def test_idle_pushes_delivery(selected: Transcript, services: Services, ann: int) -> None:
    assert await selected.send("a IDLE") == "+ idling\r\n"
    from postroom.store.records import Target

    await services.mail.deliver(make_message("Pushed"), [Target(ann)])
    seen = await selected.wait_output(r"\* 4 EXISTS", within=1.0)
    assert "* 1 RECENT" in seen
    assert await selected.send("DONE") == "a OK IDLE terminated\r\n"


async def test_idle_pushes_flag_change_and_expunge(selected: Transcript, services: Services,
                                                   ann: int) -> None:
    folder = await services.mail.get_folder(ann, "INBOX")
    await selected.send("a IDLE")
    await services.mail.set_flags(ann, folder.id, [3], "add", ["\\Flagged"])
    await selected.wait_output(r"\* 3 FETCH \(FLAGS \(\\Flagged\)\)")
    await services.mail.delete_messages(ann, folder.id, [1])
    await selected.wait_output(r"\* 1 EXPUNGE")
    assert await selected.send("DONE") == "a OK IDLE terminated\r\n"
    assert "* 2 FETCH (UID 3)" in await selected.send("b FETCH 2 UID")


async def test_idle_expects_done(selected: Transcript) -> None:
    await selected.send("a IDLE")
    assert await selected.send("b NOOP") == "a BAD Expected DONE\r\n"


async def test_idle_authenticated_state(logged_in: Transcript) -> None:
    assert await logged_in.send("a IDLE") == "+ idling\r\n"
    assert await logged_in.send("done") == "a OK IDLE terminated\r\n"
