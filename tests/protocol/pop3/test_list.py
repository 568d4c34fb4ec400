"""LIST [msg] (RFC 1939 5): sizes equal the octets RETR sends."""

from __future__ import annotations

from postroom.app import Services
from postroom.protocols.pop3.dotstuff import unstuff, wire_size
from tests.protocol.pop3.conftest import Open
from tests.protocol.pop3.test_stat import TRICKY
from tests.protocol.pop3.transcript import Transcript


async def test_list_all(logged_in: Transcript, inbox: list[bytes]) -> None:
    sizes = [wire_size(raw) for raw in inbox]
    assert await logged_in.send("LIST") == (
        f"+OK 3 messages ({sum(sizes)} octets)\r\n"
        f"1 {sizes[0]}\r\n2 {sizes[1]}\r\n3 {sizes[2]}\r\n.\r\n"
    )


async def test_list_one(logged_in: Transcript, inbox: list[bytes]) -> None:
    assert await logged_in.send("LIST 2") == f"+OK 2 {wire_size(inbox[1])}\r\n"


async def test_list_no_such_message(logged_in: Transcript) -> None:
    assert await logged_in.send("LIST 4") == "-ERR No such message\r\n"
    assert await logged_in.send("LIST 0") == "-ERR Invalid arguments\r\n"
    assert await logged_in.send("LIST x") == "-ERR Invalid arguments\r\n"


async def test_list_leaves_out_deleted(logged_in: Transcript, inbox: list[bytes]) -> None:
    await logged_in.send("DELE 1")
    assert await logged_in.send("LIST 1") == "-ERR Message is deleted\r\n"
    listing = await logged_in.send("LIST")
    assert listing.startswith("+OK 2 messages")
    assert "\r\n1 " not in listing and "\r\n2 " in listing


async def test_list_size_is_what_retr_sends(services: Services, ann: int, pop3: Open) -> None:
    await services.mail.append(ann, "INBOX", TRICKY)
    t = pop3()
    await t.login()
    size = int((await t.send("LIST 1")).split()[2])
    retr = (await t.raw(b"RETR 1\r\n"))
    status, _, body = retr.partition(b"\r\n")
    assert status == f"+OK {size} octets".encode()
    assert len(unstuff(body)) == size


async def test_sizes_are_cached_by_blob(services: Services, ann: int, pop3: Open,
                                        inbox: list[bytes]) -> None:
    first = pop3()
    await first.login()
    await first.send("LIST")
    await first.send("QUIT")
    cache = first.session.env.sizes
    misses = cache.misses
    second = pop3()
    await second.login()
    await second.send("LIST")
    assert cache.misses == misses
