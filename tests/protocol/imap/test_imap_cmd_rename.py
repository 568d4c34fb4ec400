"""RENAME (RFC 9051 6.3.6): children move along; renaming INBOX moves its messages."""

from __future__ import annotations

from postroom.app import Services
from tests.protocol.imap.transcript import Transcript


async def test_rename_with_children(logged_in: Transcript, services: Services, ann: int) -> None:
    await logged_in.send("a CREATE Work/Old")
    assert await logged_in.send("b RENAME Work Jobs") == "b OK RENAME completed\r\n"
    names = {f.name for f in await services.mail.list_folders(ann)}
    assert {"Jobs", "Jobs/Old"} <= names and "Work" not in names


async def test_rename_inbox_moves_messages(logged_in: Transcript, inbox: list[bytes],
                                           services: Services, ann: int) -> None:
    assert (await logged_in.send("a RENAME INBOX Saved")).startswith("a OK")
    saved = await services.mail.folder_status(ann, "Saved")
    assert saved.messages == 3
    assert (await services.mail.folder_status(ann, "INBOX")).messages == 0


async def test_rename_to_existing(logged_in: Transcript) -> None:
    assert (await logged_in.send("a RENAME Sent Trash")).startswith("a NO [ALREADYEXISTS]")


async def test_rename_missing(logged_in: Transcript) -> None:
    assert (await logged_in.send("a RENAME Nope Other")).startswith("a NO [NONEXISTENT]")


async def test_rename_selected_keeps_working(logged_in: Transcript) -> None:
    await logged_in.send("a CREATE Box")
    await logged_in.select("Box")
    await logged_in.send("b RENAME Box Crate")
    assert logged_in.session.view.name == "Crate"
    assert (await logged_in.send("c NOOP")).endswith("c OK NOOP completed\r\n")
