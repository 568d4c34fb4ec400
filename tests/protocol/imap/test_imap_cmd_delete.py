"""DELETE (RFC 9051 6.3.5): not INBOX, not a folder with children; deselects if selected."""

from __future__ import annotations

from postroom.app import Services
from tests.protocol.imap.transcript import Transcript


async def test_delete(logged_in: Transcript, services: Services, ann: int) -> None:
    await logged_in.send("a CREATE Old")
    assert await logged_in.send("b DELETE Old") == "b OK DELETE completed\r\n"
    assert "Old" not in {f.name for f in await services.mail.list_folders(ann)}


async def test_delete_missing(logged_in: Transcript) -> None:
    assert await logged_in.send("a DELETE Nope") == "a NO [NONEXISTENT] No such mailbox\r\n"


async def test_delete_inbox_refused(logged_in: Transcript) -> None:
    assert await logged_in.send("a DELETE INBOX") == "a NO [CANNOT] INBOX cannot be deleted\r\n"


async def test_delete_with_children_refused(logged_in: Transcript) -> None:
    await logged_in.send("a CREATE P/Q")
    assert (await logged_in.send("b DELETE P")).startswith("b NO [CANNOT]")


async def test_delete_selected_deselects(logged_in: Transcript) -> None:
    await logged_in.send("a CREATE Old")
    await logged_in.select("Old")
    await logged_in.send("b DELETE Old")
    assert (await logged_in.send("c NOOP")) == "c OK NOOP completed\r\n"
    assert (await logged_in.send("d FETCH 1 FLAGS")).startswith("d BAD")


async def test_other_session_sees_bye(imap: object, logged_in: Transcript) -> None:
    from tests.protocol.imap.conftest import Open

    assert callable(imap)
    other = imap()  # type: ignore[operator]
    await other.login()
    await logged_in.send("a CREATE Old")
    await other.select("Old")
    await logged_in.send("b DELETE Old")
    reply = await other.send("c NOOP")
    assert reply.startswith("* BYE") and other.closing
    _ = Open
