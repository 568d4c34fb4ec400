"""TOP msg n (RFC 1939 7): the header, the blank line and n body lines."""

from __future__ import annotations

from postroom.app import Services
from postroom.protocols.pop3.dotstuff import unstuff
from tests.protocol.pop3.conftest import Open
from tests.protocol.pop3.transcript import Transcript

MESSAGE = b"Subject: top\r\nFrom: a@example.net\r\n\r\nline 1\r\n.line 2\r\nline 3\r\n"


async def session_with(services: Services, ann: int, pop3: Open) -> Transcript:
    await services.mail.append(ann, "INBOX", MESSAGE)
    t = pop3()
    await t.login()
    return t


async def test_top_zero_lines(services: Services, ann: int, pop3: Open) -> None:
    t = await session_with(services, ann, pop3)
    assert await t.raw(b"TOP 1 0\r\n") == (
        b"+OK Top of message follows\r\nSubject: top\r\nFrom: a@example.net\r\n\r\n.\r\n"
    )


async def test_top_two_lines_dot_stuffed(services: Services, ann: int, pop3: Open) -> None:
    t = await session_with(services, ann, pop3)
    out = await t.raw(b"TOP 1 2\r\n")
    assert out.endswith(b"\r\n\r\nline 1\r\n..line 2\r\n.\r\n")
    assert unstuff(out.partition(b"\r\n")[2]) == MESSAGE[: MESSAGE.index(b"line 3")]


async def test_top_more_lines_than_the_body_has(services: Services, ann: int,
                                                pop3: Open) -> None:
    t = await session_with(services, ann, pop3)
    out = await t.raw(b"TOP 1 100\r\n")
    assert unstuff(out.partition(b"\r\n")[2]) == MESSAGE


async def test_top_does_not_set_seen(services: Services, ann: int, pop3: Open) -> None:
    t = await session_with(services, ann, pop3)
    await t.send("TOP 1 1")
    folder = await services.mail.get_folder(ann, "INBOX")
    assert "\\Seen" not in (await services.mail.messages(ann, folder.id))[0].flags


async def test_top_errors(logged_in: Transcript) -> None:
    assert await logged_in.send("TOP 1") == "-ERR Invalid arguments\r\n"
    assert await logged_in.send("TOP 9 1") == "-ERR No such message\r\n"
    await logged_in.send("DELE 1")
    assert await logged_in.send("TOP 1 1") == "-ERR Message is deleted\r\n"
