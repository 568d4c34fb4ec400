"""Errors: unknown commands and bad syntax get BAD; repeated BADs end the session;
commands outside their state are refused by the dispatcher; limits hold."""

from __future__ import annotations

from tests.protocol.imap.conftest import Open
from tests.protocol.imap.transcript import Transcript


async def test_unknown_command(imap: Open) -> None:
    assert (await imap().send("a FROB")).startswith("a BAD")


async def test_untagged_garbage(imap: Open) -> None:
    assert (await imap().send("+++")).startswith("* BAD")


async def test_repeated_errors_disconnect(imap: Open) -> None:
    t = imap()
    for i in range(9):
        assert (await t.send(f"t{i} FROB")).startswith(f"t{i} BAD")
    assert (await t.send("x FROB")).endswith("* BYE Too many invalid commands\r\n")
    assert t.closing


async def test_good_command_resets_count(imap: Open) -> None:
    t = imap()
    for _ in range(5):
        for i in range(9):
            await t.send(f"t{i} FROB")
        await t.send("n NOOP")
    assert not t.closing


async def test_state_checked_by_dispatcher(imap: Open) -> None:
    t = imap()
    assert await t.send("a SELECT INBOX") == "a BAD SELECT not allowed now\r\n"
    assert await t.send("b FETCH 1 FLAGS") == "b BAD FETCH not allowed now\r\n"


async def test_line_too_long(imap: Open) -> None:
    reply = await imap().raw(b"a NOOP " + b"x" * 70_000 + b"\r\n")
    assert reply.startswith(b"a BAD [LIMIT]")


async def test_literal_too_large(logged_in: Transcript) -> None:
    reply = await logged_in.raw(b"a SELECT {70000}\r\n")
    assert reply.startswith(b"a BAD [LIMIT]")
