"""UIDL [msg] (RFC 1939 7): from UIDVALIDITY and UID, stable, never reused."""

from __future__ import annotations

from postroom.app import Services
from postroom.protocols.pop3.maildrop import unique_id
from tests.factories import make_message
from tests.protocol.pop3.conftest import Open
from tests.protocol.pop3.transcript import Transcript


def uidls(listing: str) -> dict[str, str]:
    lines = listing.split("\r\n")
    assert lines[0] == "+OK" and lines[-2:] == [".", ""]
    return dict(line.split(" ") for line in lines[1:-2])  # type: ignore[misc]


async def test_uidl_all_and_one(services: Services, ann: int, logged_in: Transcript) -> None:
    validity = (await services.mail.get_folder(ann, "INBOX")).uidvalidity
    assert uidls(await logged_in.send("UIDL")) == {
        str(n): unique_id(validity, n) for n in (1, 2, 3)
    }
    assert await logged_in.send("UIDL 2") == f"+OK 2 {unique_id(validity, 2)}\r\n"
    assert len(unique_id(validity, 2)) == 16


async def test_uidl_leaves_out_deleted(logged_in: Transcript) -> None:
    await logged_in.send("DELE 2")
    assert set(uidls(await logged_in.send("UIDL"))) == {"1", "3"}
    assert await logged_in.send("UIDL 2") == "-ERR Message is deleted\r\n"
    assert await logged_in.send("UIDL 7") == "-ERR No such message\r\n"


async def test_uidls_survive_sessions_and_expunges(services: Services, ann: int, pop3: Open,
                                                   inbox: list[bytes]) -> None:
    first = pop3()
    await first.login()
    before = uidls(await first.send("UIDL"))
    await first.send("QUIT")
    folder = await services.mail.get_folder(ann, "INBOX")
    await services.mail.delete_messages(ann, folder.id, [1])  # expunged elsewhere (IMAP)
    await services.mail.append(ann, "INBOX", make_message("new"))
    second = pop3()
    await second.login()
    after = uidls(await second.send("UIDL"))
    assert list(after.values())[:2] == [before["2"], before["3"]]
    assert after["3"] not in before.values()  # the new message got a new id
