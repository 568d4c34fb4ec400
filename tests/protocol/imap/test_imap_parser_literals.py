"""Literal handling, APPEND streaming, limits, IDLE, SASL and STARTTLS of the IMAP parser.

These read as transcripts: feed these bytes, expect these events, make this decision.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from postroom.protocols.imap import command_types as c
from postroom.protocols.imap.commands import (
    AppendLiteral,
    BadCommand,
    CommandParser,
    Event,
    IdleDone,
    Limits,
    LiteralChunk,
    NeedContinuation,
    SaslResponse,
    TooBig,
)

SMALL = Limits(max_line=100, max_literal=20, max_append=1000, max_messages=3, chunk_size=8)


def events(parser: CommandParser, data: bytes = b"") -> list[Event]:
    parser.feed(data)
    return list(parser.events())


def append_message(flags: tuple[str, ...] = (), size: int = 0, **kw: object) -> c.AppendMessage:
    return c.AppendMessage(flags, kw.pop("date", None), size, **kw)  # type: ignore[arg-type]


# -- synchronising literals (RFC 9051 4.3) -------------------------------------------


def test_synchronising_literal_waits_for_the_server() -> None:
    parser = CommandParser()
    assert events(parser, b"a LOGIN {3}\r\n") == [NeedContinuation("a", "LOGIN", 3)]
    assert parser.paused
    assert events(parser) == []  # nothing more until the server decides
    assert parser.accept_literal() is True  # so the server sends "+ Ready"
    assert events(parser, b"joe {2}\r\n") == [NeedContinuation("a", "LOGIN", 2)]
    parser.accept_literal()
    assert events(parser, b"pw\r\n") == [c.Login("a", "joe", "pw")]


def test_literal_may_contain_crlf_and_anything() -> None:
    parser = CommandParser()
    events(parser, b"a LOGIN joe {6}\r\n")
    parser.accept_literal()
    assert events(parser, b'a\r\n"\\)\r\n') == [c.Login("a", "joe", 'a\r\n"\\)')]


def test_nothing_is_buffered_for_an_announced_literal() -> None:
    parser = CommandParser()
    events(parser, b"a LOGIN {60000}\r\n")
    assert parser.buffered_bytes == len(b"a LOGIN ")


def test_rejected_literal_is_not_expected_from_the_client() -> None:
    parser = CommandParser()
    assert events(parser, b"a LOGIN {3}\r\n") == [NeedContinuation("a", "LOGIN", 3)]
    parser.reject_literal()
    assert events(parser, b"b NOOP\r\n") == [c.Noop("b")]


def test_unknown_command_with_literal_gets_no_continuation() -> None:
    parser = CommandParser()
    out = events(parser, b"a FROB {3}\r\nb NOOP\r\n")
    assert out == [BadCommand("a", "unknown command"), c.Noop("b")]


def test_literal_without_tag_gets_no_continuation() -> None:
    assert events(CommandParser(), b"{3}\r\nb NOOP\r\n")[1:] == [c.Noop("b")]


def test_synchronising_literal_over_the_limit_is_refused_before_the_data() -> None:
    parser = CommandParser(SMALL)
    out = events(parser, b"a LOGIN {21}\r\nb NOOP\r\n")
    assert out == [BadCommand("a", "literal too large", "LIMIT"), c.Noop("b")]


def test_literal_limit_counts_all_literals_of_a_command() -> None:
    parser = CommandParser(SMALL)
    assert events(parser, b"a LOGIN {15+}\r\n" + b"u" * 15 + b" {6}\r\nb NOOP\r\n") == [
        BadCommand("a", "literal too large", "LIMIT"),
        c.Noop("b"),
    ]


def test_literal8_is_only_for_append() -> None:
    out = events(CommandParser(), b"a LOGIN ~{3}\r\nb NOOP\r\n")
    assert out == [BadCommand("a", "literal8 not allowed here"), c.Noop("b")]


def test_literal_in_search_string() -> None:
    parser = CommandParser()
    events(parser, b"a SEARCH CHARSET UTF-8 SUBJECT {5}\r\n")
    parser.accept_literal()
    (search,) = events(parser, "café\r\n".encode())
    assert isinstance(search, c.Search)
    assert search.key.value == "café"  # type: ignore[union-attr]


# -- non-synchronising literals (RFC 7888) -------------------------------------------


def test_literal_plus_needs_no_decision() -> None:
    parser = CommandParser()
    assert events(parser, b"a LOGIN {3+}\r\njoe {2+}\r\npw\r\n") == [c.Login("a", "joe", "pw")]


def test_literal_plus_over_the_limit_is_skipped_without_buffering() -> None:
    parser = CommandParser(SMALL)
    out = events(parser, b"a LOGIN {500+}\r\n")
    assert out == [BadCommand("a", "literal too large", "LIMIT")]
    assert parser.discarding == 500
    for _ in range(5):
        assert events(parser, b"x" * 100) == []
        assert parser.buffered_bytes == 0
    # the rest of the refused command, including another literal, is skipped as well
    assert events(parser, b" {4+}\r\nb {}\r\nc NOOP\r\n") == [c.Noop("c")]


def test_literal_plus_after_an_overlong_line_is_skipped() -> None:
    parser = CommandParser(SMALL)
    out = events(parser, b"a SEARCH " + b"A" * 200 + b" {5+}\r\n(((((\r\nd NOOP\r\n")
    assert out == [BadCommand("a", "command line too long", "LIMIT"), c.Noop("d")]


# -- APPEND streaming ------------------------------------------------------------------


def test_append_streams_the_message_in_chunks() -> None:
    parser = CommandParser(SMALL)
    head = b'a APPEND saved-messages (\\Seen) " 7-Feb-1994 21:52:25 -0800" {20}\r\n'
    date = datetime(1994, 2, 7, 21, 52, 25, tzinfo=timezone(timedelta(hours=-8)))
    message = c.AppendMessage(("\\Seen",), date, 20)
    assert events(parser, head) == [AppendLiteral("a", "saved-messages", message, True, 0)]
    assert parser.accept_literal() is True
    assert parser.buffered_bytes == 0
    out = events(parser, b"0123456789abcdefghij\r\n")
    assert out == [
        LiteralChunk("a", b"01234567", False),
        LiteralChunk("a", b"89abcdef", False),
        LiteralChunk("a", b"ghij", True),
        c.Append("a", "saved-messages", (message,)),
    ]


def test_append_chunks_follow_the_arrival_of_data() -> None:
    parser = CommandParser()
    events(parser, b"a APPEND INBOX {10}\r\n")
    parser.accept_literal()
    assert events(parser, b"abc") == [LiteralChunk("a", b"abc", False)]
    assert events(parser, b"defghij") == [LiteralChunk("a", b"defghij", True)]
    assert events(parser, b"\r\n") == [c.Append("a", "INBOX", (append_message(size=10),))]


def test_append_non_synchronising_also_pauses_for_the_server() -> None:
    parser = CommandParser()
    out = events(parser, b"a APPEND INBOX {3+}\r\nabc\r\n")
    assert out == [AppendLiteral("a", "INBOX", append_message(size=3), False, 0)]
    assert parser.accept_literal() is False  # no "+" to send
    assert events(parser) == [
        LiteralChunk("a", b"abc", True),
        c.Append("a", "INBOX", (append_message(size=3),)),
    ]


def test_multiappend() -> None:
    parser = CommandParser()
    out = events(parser, b"a APPEND INBOX {3+}\r\none (\\Flagged) {3+}\r\ntwo\r\n")
    assert out[0] == AppendLiteral("a", "INBOX", append_message(size=3), False, 0)
    parser.accept_literal()
    out = events(parser)
    second = append_message(("\\Flagged",), 3)
    assert out == [LiteralChunk("a", b"one", True), AppendLiteral("a", "INBOX", second, False, 1)]
    parser.accept_literal()
    assert events(parser) == [
        LiteralChunk("a", b"two", True),
        c.Append("a", "INBOX", (append_message(size=3), second)),
    ]


def test_append_utf8_literal8() -> None:
    parser = CommandParser()
    events(parser, b"a APPEND INBOX (\\Seen) UTF8 (~{4+}\r\n")
    parser.accept_literal()
    message = append_message(("\\Seen",), 4, binary=True, utf8=True)
    assert events(parser, b"\xc3\xa4\r\n)\r\n") == [
        LiteralChunk("a", b"\xc3\xa4\r\n", True),
        c.Append("a", "INBOX", (message,)),
    ]


def test_append_utf8_needs_closing_parenthesis() -> None:
    parser = CommandParser()
    events(parser, b"a APPEND INBOX UTF8 (~{1+}\r\n")
    parser.accept_literal()
    assert events(parser, b"x\r\nb NOOP\r\n")[1:] == [BadCommand("a", "expected ')'"), c.Noop("b")]


def test_append_utf8_needs_literal8() -> None:
    out = events(CommandParser(), b"a APPEND INBOX UTF8 ({1}\r\nb NOOP\r\n")
    assert out == [BadCommand("a", "UTF8 needs a literal8"), c.Noop("b")]


def test_append_binary_literal8() -> None:
    parser = CommandParser()
    (event,) = events(parser, b"a APPEND INBOX ~{2}\r\n")
    assert isinstance(event, AppendLiteral) and event.message.binary


def test_append_mailbox_as_literal_is_a_small_literal() -> None:
    parser = CommandParser()
    assert events(parser, b"a APPEND {5}\r\n") == [NeedContinuation("a", "APPEND", 5)]
    parser.accept_literal()
    out = events(parser, b"Draft {2}\r\n")
    assert out == [AppendLiteral("a", "Draft", append_message(size=2), True, 0)]


def test_append_empty_message_gives_one_final_empty_chunk() -> None:
    parser = CommandParser()
    events(parser, b"a APPEND INBOX {0}\r\n")
    parser.accept_literal()
    assert events(parser, b"\r\n") == [
        LiteralChunk("a", b"", True),
        c.Append("a", "INBOX", (append_message(),)),
    ]


def test_append_too_big_synchronising() -> None:
    parser = CommandParser(SMALL)
    out = events(parser, b"a APPEND INBOX {1001}\r\nb NOOP\r\n")
    assert out == [TooBig("a", 1001, 1000), c.Noop("b")]


def test_append_too_big_non_synchronising_is_discarded() -> None:
    parser = CommandParser(SMALL)
    out = events(parser, b"a APPEND INBOX {1001+}\r\n" + b"m" * 1001 + b"\r\nb NOOP\r\n")
    assert out == [TooBig("a", 1001, 1000), c.Noop("b")]


def test_append_rejected_by_the_server() -> None:
    parser = CommandParser()
    events(parser, b"a APPEND INBOX {3}\r\n")
    parser.reject_literal()  # e.g. NO [OVERQUOTA]
    assert events(parser, b"b NOOP\r\n") == [c.Noop("b")]
    events(parser, b"c APPEND INBOX {3+}\r\nabc\r\n")
    parser.reject_literal()
    assert events(parser, b"d NOOP\r\n") == [c.Noop("d")]


def test_append_garbage_after_message_is_bad_with_the_tag() -> None:
    parser = CommandParser()
    events(parser, b"a APPEND INBOX {1+}\r\n")
    parser.accept_literal()
    out = events(parser, b"x junk\r\nb NOOP\r\n")
    assert out[0] == LiteralChunk("a", b"x", True)
    assert isinstance(out[1], BadCommand) and out[1].tag == "a"
    assert out[2] == c.Noop("b")


def test_append_too_many_messages() -> None:
    parser = CommandParser(SMALL)
    data = b"a APPEND INBOX {1+}\r\n1 {1+}\r\n2 {1+}\r\n3 {1+}\r\n4\r\nb NOOP\r\n"
    parser.feed(data)
    seen: list[Event] = []
    while (event := parser.next_event()) is not None:
        seen.append(event)
        if isinstance(event, AppendLiteral):
            parser.accept_literal()
    assert seen[-2:] == [BadCommand("a", "too many messages", "LIMIT"), c.Noop("b")]


def test_append_bad_flags_before_literal() -> None:
    out = events(CommandParser(), b"a APPEND INBOX (\\Seen {3}\r\nb NOOP\r\n")
    assert [type(e) for e in out] == [BadCommand, c.Noop]


def test_append_bad_date() -> None:
    out = events(CommandParser(), b'a APPEND INBOX "31-Feb-2020 00:00:00 +0000" {3}\r\n')
    assert out == [BadCommand("a", "invalid date-time")]


# -- line limits and resynchronisation --------------------------------------------------


def test_overlong_line_is_refused_once_and_not_buffered() -> None:
    parser = CommandParser(SMALL)
    out = events(parser, b"a NOOP " + b"x" * 150)
    assert out == [BadCommand("a", "command line too long", "LIMIT")]
    for _ in range(10):
        assert events(parser, b"y" * 1000) == []
        assert parser.buffered_bytes <= 32
    assert events(parser, b"\r\nb NOOP\r\n") == [c.Noop("b")]


def test_line_limit_applies_to_the_whole_command_across_literals() -> None:
    parser = CommandParser(SMALL)
    out = events(parser, b"a LOGIN {1+}\r\nx " + b"y" * 95 + b"\r\nb NOOP\r\n")
    assert out == [BadCommand("a", "command line too long", "LIMIT"), c.Noop("b")]


def test_search_nesting_limit() -> None:
    parser = CommandParser(Limits(max_depth=10))
    assert events(parser, b"a SEARCH " + b"(" * 9 + b"ALL" + b")" * 9 + b"\r\n")[0].tag == "a"
    out = events(parser, b"a SEARCH " + b"NOT " * 10 + b"ALL\r\n")
    assert out == [BadCommand("a", "search key nesting too deep", "LIMIT")]


def test_deep_nesting_at_default_limits_does_not_recurse_too_far() -> None:
    out = events(CommandParser(), b"a SEARCH " + b"(" * 20000 + b"\r\n")
    assert out == [BadCommand("a", "search key nesting too deep", "LIMIT")]


# -- IDLE (RFC 2177) ------------------------------------------------------------------


@pytest.mark.parametrize(("line", "valid"), [(b"DONE", True), (b"done", True), (b"NOOP", False)])
def test_idle_done(line: bytes, valid: bool) -> None:
    parser = CommandParser()
    assert events(parser, b"a IDLE\r\n") == [c.Idle("a")]
    parser.expect_done("a")
    assert events(parser, line + b"\r\nb NOOP\r\n") == [IdleDone("a", valid), c.Noop("b")]


def test_idle_done_split_across_feeds() -> None:
    parser = CommandParser()
    events(parser, b"a IDLE\r\n")
    parser.expect_done("a")
    assert events(parser, b"DO") == []
    assert events(parser, b"NE\r\n") == [IdleDone("a", True)]


def test_idle_overlong_line() -> None:
    parser = CommandParser(SMALL)
    events(parser, b"a IDLE\r\n")
    parser.expect_done("a")
    assert events(parser, b"x" * 500 + b"\r\nb NOOP\r\n") == [IdleDone("a", False), c.Noop("b")]


# -- AUTHENTICATE exchange (RFC 9051 6.2.2) ---------------------------------------------


def test_sasl_response_lines() -> None:
    parser = CommandParser()
    assert events(parser, b"a AUTHENTICATE PLAIN\r\n") == [c.Authenticate("a", "PLAIN")]
    parser.expect_sasl_response("a")
    assert events(parser, b"AGpvZQBwdw==\r\n") == [SaslResponse("a", b"\0joe\0pw")]
    parser.expect_sasl_response("a")
    assert events(parser, b"\r\n") == [SaslResponse("a", b"")]


@pytest.mark.parametrize("line", [b"*", b"not base64!", b"YQ"])
def test_sasl_cancel_or_garbage_is_bad(line: bytes) -> None:
    parser = CommandParser()
    events(parser, b"a AUTHENTICATE PLAIN\r\n")
    parser.expect_sasl_response("a")
    out = events(parser, line + b"\r\nb NOOP\r\n")
    assert isinstance(out[0], BadCommand) and out[0].tag == "a"
    assert out[1:] == [c.Noop("b")]


# -- STARTTLS and API misuse ------------------------------------------------------------


def test_input_pipelined_after_starttls_is_dropped() -> None:
    parser = CommandParser()
    parser.feed(b"a STARTTLS\r\nb LOGIN joe pw\r\n")
    assert parser.next_event() == c.Starttls("a")
    assert parser.discard_buffered() == len(b"b LOGIN joe pw\r\n")  # CVE-2011-0411
    assert events(parser, b"c NOOP\r\n") == [c.Noop("c")]


def test_decisions_without_a_pause_are_programming_errors() -> None:
    parser = CommandParser()
    with pytest.raises(RuntimeError):
        parser.accept_literal()
    with pytest.raises(RuntimeError):
        parser.reject_literal()
    events(parser, b"a LOGIN {3}\r\n")
    with pytest.raises(RuntimeError):
        parser.expect_done("a")


@pytest.mark.parametrize(
    "kwargs", [{"max_line": 0}, {"chunk_size": 0}, {"max_depth": 0}, {"max_depth": 10_000}]
)
def test_limits_are_validated(kwargs: dict[str, int]) -> None:
    with pytest.raises(ValueError):
        Limits(**kwargs)
