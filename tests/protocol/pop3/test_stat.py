"""STAT (RFC 1939 5): count and octets of the messages not marked deleted."""

from __future__ import annotations

from postroom.app import Services
from postroom.protocols.pop3.dotstuff import wire_size
from tests.protocol.pop3.conftest import Open
from tests.protocol.pop3.transcript import Transcript

TRICKY = b"Subject: dots\n\n.leading dot\nbare LF\r\nCRLF\n..two\nno final line end"


async def test_stat(logged_in: Transcript, inbox: list[bytes]) -> None:
    total = sum(wire_size(raw) for raw in inbox)
    assert await logged_in.send("STAT") == f"+OK 3 {total}\r\n"


async def test_stat_counts_wire_octets_not_stored_octets(services: Services, ann: int,
                                                         pop3: Open) -> None:
    await services.mail.append(ann, "INBOX", TRICKY)
    t = pop3()
    await t.login()
    assert wire_size(TRICKY) != len(TRICKY)
    assert await t.send("STAT") == f"+OK 1 {wire_size(TRICKY)}\r\n"


async def test_stat_leaves_out_deleted_messages(logged_in: Transcript,
                                                inbox: list[bytes]) -> None:
    await logged_in.send("DELE 2")
    total = wire_size(inbox[0]) + wire_size(inbox[2])
    assert await logged_in.send("STAT") == f"+OK 2 {total}\r\n"


async def test_empty_maildrop(pop3: Open, ann: int) -> None:
    t = pop3()
    await t.login()
    assert await t.send("STAT") == "+OK 0 0\r\n"


async def test_stat_before_login_is_refused(pop3: Open) -> None:
    assert await pop3().send("STAT") == "-ERR Command not valid in this state\r\n"
