"""POP3 command reader and parser (RFC 1939, 2449, 5034, 2595) and session states."""

from __future__ import annotations

import pytest

from postroom.protocols.pop3 import replies, states
from postroom.protocols.pop3.commands import (
    Apop,
    Auth,
    Capa,
    CommandReader,
    Dele,
    ErrorKind,
    Event,
    LineTooLong,
    List,
    Noop,
    ParseError,
    Pass,
    Quit,
    Retr,
    Rset,
    SaslCancel,
    SaslResponse,
    Stat,
    Stls,
    Top,
    Uidl,
    User,
    Verb,
    parse_command,
)
from postroom.protocols.pop3.states import SessionState, Step


def drain(reader: CommandReader) -> list[Event]:
    events = []
    while (event := reader.next_event()) is not None:
        events.append(event)
    return events


def feed_all(data: bytes, **options: int) -> list[Event]:
    reader = CommandReader(**options)
    reader.feed(data)
    return drain(reader)


def feed_bytewise(data: bytes, **options: int) -> list[Event]:
    reader = CommandReader(**options)
    events: list[Event] = []
    for index in range(len(data)):
        reader.feed(data[index : index + 1])
        events.extend(drain(reader))
    return events


def one(line: str | bytes) -> Event:
    raw = line.encode() if isinstance(line, str) else line
    events = feed_all(raw + b"\r\n")
    assert len(events) == 1
    return events[0]


GOOD: list[tuple[str, Event]] = [
    ("USER alice@example.org", User("alice@example.org")),
    ("user alice", User("alice")),
    ("USER " + "a" * 60 + "@example.org", User("a" * 60 + "@example.org")),
    ("PASS secret", Pass("secret")),
    ("PASS my secret pass phrase ", Pass("my secret pass phrase ")),
    ("pass  leading", Pass(" leading")),
    (
        "APOP mrose c4c9334bac560ecc979e58001b3e22fb",
        Apop("mrose", "c4c9334bac560ecc979e58001b3e22fb"),
    ),
    ("AUTH", Auth()),
    ("AUTH PLAIN", Auth("PLAIN")),
    ("auth plain =", Auth("PLAIN", b"")),
    ("AUTH PLAIN AGFsaWNlAHNlY3JldA==", Auth("PLAIN", b"\0alice\0secret")),
    ("STLS", Stls()),
    ("CAPA", Capa()),
    ("STAT", Stat()),
    ("LIST", List()),
    ("LIST 1", List(1)),
    ("list 42", List(42)),
    ("RETR 1", Retr(1)),
    ("RETR 007", Retr(7)),
    ("DELE 3", Dele(3)),
    ("NOOP", Noop()),
    ("RSET", Rset()),
    ("TOP 1 0", Top(1, 0)),
    ("TOP 2 10", Top(2, 10)),
    ("UIDL", Uidl()),
    ("UIDL 5", Uidl(5)),
    ("QUIT", Quit()),
    ("QUIT ", Quit()),
]


@pytest.mark.parametrize(("line", "expected"), GOOD, ids=[line[:40] for line, _ in GOOD])
def test_good_command(line: str, expected: Event) -> None:
    assert one(line) == expected


BAD: list[tuple[str | bytes, ErrorKind, Verb | None]] = [
    ("", ErrorKind.UNKNOWN_COMMAND, None),
    ("HELO", ErrorKind.UNKNOWN_COMMAND, None),
    ("RETRIEVE 1", ErrorKind.UNKNOWN_COMMAND, None),
    ("USER", ErrorKind.BAD_SYNTAX, Verb.USER),
    ("USER a b", ErrorKind.BAD_SYNTAX, Verb.USER),
    ("PASS", ErrorKind.BAD_SYNTAX, Verb.PASS),
    ("PASS ", ErrorKind.BAD_SYNTAX, Verb.PASS),
    ("APOP mrose", ErrorKind.BAD_SYNTAX, Verb.APOP),
    ("APOP mrose C4C9334BAC560ECC979E58001B3E22FB", ErrorKind.BAD_SYNTAX, Verb.APOP),
    ("APOP mrose abc", ErrorKind.BAD_SYNTAX, Verb.APOP),
    ("AUTH PL@IN", ErrorKind.BAD_SYNTAX, Verb.AUTH),
    ("AUTH PLAIN a b", ErrorKind.BAD_SYNTAX, Verb.AUTH),
    ("AUTH PLAIN !!!!", ErrorKind.BAD_BASE64, Verb.AUTH),
    ("STLS now", ErrorKind.BAD_SYNTAX, Verb.STLS),
    ("CAPA x", ErrorKind.BAD_SYNTAX, Verb.CAPA),
    ("STAT 1", ErrorKind.BAD_SYNTAX, Verb.STAT),
    ("LIST 0", ErrorKind.BAD_SYNTAX, Verb.LIST),
    ("LIST -1", ErrorKind.BAD_SYNTAX, Verb.LIST),
    ("LIST x", ErrorKind.BAD_SYNTAX, Verb.LIST),
    ("LIST 1 2", ErrorKind.BAD_SYNTAX, Verb.LIST),
    ("LIST " + "1" * 41, ErrorKind.ARGUMENT_TOO_LONG, Verb.LIST),
    ("RETR", ErrorKind.BAD_SYNTAX, Verb.RETR),
    ("RETR 0", ErrorKind.BAD_SYNTAX, Verb.RETR),
    ("RETR +1", ErrorKind.BAD_SYNTAX, Verb.RETR),
    ("RETR 1.0", ErrorKind.BAD_SYNTAX, Verb.RETR),
    ("RETR ١", ErrorKind.BAD_SYNTAX, Verb.RETR),
    ("DELE", ErrorKind.BAD_SYNTAX, Verb.DELE),
    ("DELE 1 2", ErrorKind.BAD_SYNTAX, Verb.DELE),
    ("NOOP x", ErrorKind.BAD_SYNTAX, Verb.NOOP),
    ("RSET x", ErrorKind.BAD_SYNTAX, Verb.RSET),
    ("TOP 1", ErrorKind.BAD_SYNTAX, Verb.TOP),
    ("TOP 0 1", ErrorKind.BAD_SYNTAX, Verb.TOP),
    ("TOP 1 -1", ErrorKind.BAD_SYNTAX, Verb.TOP),
    ("TOP 1 2 3", ErrorKind.BAD_SYNTAX, Verb.TOP),
    ("TOP 1 " + "9" * 41, ErrorKind.ARGUMENT_TOO_LONG, Verb.TOP),
    ("UIDL x", ErrorKind.BAD_SYNTAX, Verb.UIDL),
    ("QUIT now", ErrorKind.BAD_SYNTAX, Verb.QUIT),
    ("NOOP\x00", ErrorKind.BAD_SYNTAX, None),
    ("USER a\tb", ErrorKind.BAD_SYNTAX, None),
    (b"USER \xff", ErrorKind.BAD_SYNTAX, None),
    (b"NOOP\rQUIT", ErrorKind.BAD_SYNTAX, None),
]


@pytest.mark.parametrize(("line", "kind", "verb"), BAD, ids=[repr(line)[:50] for line, *_ in BAD])
def test_bad_command(line: str | bytes, kind: ErrorKind, verb: Verb | None) -> None:
    event = one(line)
    assert isinstance(event, ParseError)
    assert (event.kind, event.verb) == (kind, verb)


def test_password_is_never_in_the_repr() -> None:
    assert "hunter2" not in repr(Pass("hunter2"))


def test_argument_limit_is_configurable() -> None:
    assert parse_command(b"LIST 123", argument_limit=2) == ParseError(
        ErrorKind.ARGUMENT_TOO_LONG, Verb.LIST, "argument too long"
    )
    assert parse_command(b"LIST 12", argument_limit=2) == List(12)


# --- framing ---------------------------------------------------------------------------

PIPELINE = (
    b"USER alice\r\nPASS s e c r e t\r\nSTAT\r\nLIST\r\nRETR 1\r\nTOP 1 5\r\nDELE 1\r\nQUIT\r\n"
)
PIPELINE_EVENTS = [
    User("alice"),
    Pass("s e c r e t"),
    Stat(),
    List(),
    Retr(1),
    Top(1, 5),
    Dele(1),
    Quit(),
]


def test_pipelined_commands_in_one_feed() -> None:  # RFC 2449 6.6
    assert feed_all(PIPELINE) == PIPELINE_EVENTS


def test_byte_by_byte_feeding() -> None:
    assert feed_bytewise(PIPELINE) == PIPELINE_EVENTS


def test_lf_only_lines_are_accepted() -> None:
    assert feed_all(b"STAT\nLIST 2\nQUIT\n") == [Stat(), List(2), Quit()]


def test_line_limit_is_255_with_line_end() -> None:
    fits = b"USER " + b"a" * (255 - 7) + b"\r\n"
    assert len(fits) == 255
    assert feed_all(fits) == [User("a" * 248)]
    assert feed_all(b"USER " + b"a" * 249 + b"\r\nNOOP\r\n") == [LineTooLong(255), Noop()]


def test_over_long_line_is_discarded_without_buffering() -> None:
    reader = CommandReader()
    reader.feed(b"PASS " + b"x" * 300)
    assert drain(reader) == [LineTooLong(255)]
    for _ in range(50):
        reader.feed(b"x" * 1000)
        assert drain(reader) == []
        assert reader.buffered == 0
    reader.feed(b"\r\nSTAT\r\n")
    assert drain(reader) == [Stat()]


def test_sasl_continuation() -> None:
    reader = CommandReader()
    reader.feed(b"AUTH PLAIN\r\nAGFsaWNlAHNlY3JldA==\r\nSTAT\r\n")
    assert reader.next_event() == Auth("PLAIN")
    reader.expect_sasl_response()
    assert reader.next_event() == SaslResponse(b"\0alice\0secret")
    assert reader.next_event() == Stat()


@pytest.mark.parametrize(
    ("line", "event"),
    [
        (b"*", SaslCancel()),
        (b"", SaslResponse(b"")),
        (b"QUFB" * 200, SaslResponse(b"AAA" * 200)),
        (b"abc", ParseError(ErrorKind.BAD_BASE64, Verb.AUTH, "response is not base64")),
    ],
)
def test_sasl_response_forms(line: bytes, event: Event) -> None:
    reader = CommandReader()
    reader.expect_sasl_response()
    reader.feed(line + b"\r\n")
    assert drain(reader) == [event]


def test_sasl_line_limit() -> None:
    reader = CommandReader(sasl_line_limit=100)
    reader.expect_sasl_response()
    reader.feed(b"A" * 200 + b"\r\nNOOP\r\n")
    assert drain(reader) == [LineTooLong(100), Noop()]


def test_take_unread_drops_pipelined_bytes_at_stls() -> None:
    reader = CommandReader()
    reader.feed(b"STLS\r\nUSER injected\r\n")
    assert reader.next_event() == Stls()
    assert reader.take_unread() == b"USER injected\r\n"  # RFC 2595 4 / CVE-2011-0411 class
    assert reader.next_event() is None


# --- states ----------------------------------------------------------------------------

ALLOWED = {
    SessionState.AUTHORIZATION: {"USER", "PASS", "APOP", "AUTH", "STLS", "CAPA", "QUIT"},
    SessionState.TRANSACTION: {
        "STAT", "LIST", "RETR", "DELE", "NOOP", "RSET", "TOP", "UIDL", "QUIT", "CAPA",
    },
    SessionState.UPDATE: set(),
}  # fmt: skip


@pytest.mark.parametrize("state", list(SessionState))
def test_allowed_commands_per_state(state: SessionState) -> None:
    assert {str(verb) for verb in states.ALLOWED[state]} == ALLOWED[state]
    for verb in Verb:
        allowed = verb in ALLOWED[state]
        assert states.is_allowed(state, verb) is allowed
        refusal = states.refusal(state, verb)
        assert (refusal is None) is allowed
        assert refusal is None or not refusal.ok


def test_specific_refusals() -> None:
    assert states.refusal(SessionState.TRANSACTION, Verb.USER) is replies.ALREADY_AUTHENTICATED
    assert states.refusal(SessionState.TRANSACTION, Verb.STLS) is replies.BAD_STATE
    assert states.refusal(SessionState.AUTHORIZATION, Verb.RETR) is replies.BAD_STATE


@pytest.mark.parametrize(
    ("state", "step", "after"),
    [
        (SessionState.AUTHORIZATION, Step.AUTHENTICATED, SessionState.TRANSACTION),
        (SessionState.AUTHORIZATION, Step.QUIT, SessionState.AUTHORIZATION),
        (SessionState.TRANSACTION, Step.QUIT, SessionState.UPDATE),
    ],
)
def test_transitions(state: SessionState, step: Step, after: SessionState) -> None:
    assert states.transition(state, step) is after


def test_transition_table_is_complete() -> None:
    assert len(states.TRANSITIONS) == 3


@pytest.mark.parametrize(
    ("state", "step"),
    [
        (SessionState.TRANSACTION, Step.AUTHENTICATED),
        (SessionState.UPDATE, Step.AUTHENTICATED),
        (SessionState.UPDATE, Step.QUIT),
    ],
)
def test_impossible_steps_raise(state: SessionState, step: Step) -> None:
    with pytest.raises(ValueError):
        states.transition(state, step)
