"""Greeting, unknown and malformed lines, line limits, the error limit (RFC 1939 4)."""

from __future__ import annotations

from postroom.protocols.pop3.session import MAX_ERRORS
from tests.protocol.pop3.conftest import Open


async def test_greeting_is_one_ok_line(pop3: Open) -> None:
    t = pop3()
    assert t.greeting == "+OK POP3 server ready\r\n"


async def test_unknown_command_and_bad_arguments(pop3: Open) -> None:
    t = pop3()
    assert await t.send("HELO example") == "-ERR Unknown command\r\n"
    assert await t.send("QUIT now") == "-ERR Invalid arguments\r\n"
    assert not t.closing


async def test_lf_only_lines_are_served(pop3: Open) -> None:
    t = pop3()
    assert (await t.raw(b"CAPA\n")).startswith(b"+OK Capability list follows\r\n")


async def test_line_over_255_octets_is_refused_and_dropped(pop3: Open) -> None:
    t = pop3()
    # RFC 2449 4: 255 octets with CRLF; the rest of the long line is not read as a command
    out = await t.raw(b"USER " + b"a" * 400 + b"\r\nNOOP\r\n")
    assert out == b"-ERR Line too long\r\n-ERR Command not valid in this state\r\n"


async def test_session_ends_after_too_many_rejected_lines(pop3: Open) -> None:
    t = pop3()
    out = await t.raw(b"BOGUS\r\n" * (MAX_ERRORS + 5))
    assert out.count(b"-ERR") == MAX_ERRORS
    assert t.closing


async def test_a_good_command_resets_the_error_count(pop3: Open) -> None:
    t = pop3()
    for _ in range(3):
        await t.raw(b"BOGUS\r\n" * (MAX_ERRORS - 1))
        assert (await t.send("CAPA")).startswith("+OK")
    assert not t.closing
