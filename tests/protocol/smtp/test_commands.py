"""SMTP command reader and parser: framing, limits, every verb, paths and parameters."""

from __future__ import annotations

import pytest

from postroom.protocols.smtp.commands import (
    NULL_PATH,
    Auth,
    AuthCancel,
    AuthResponse,
    Bdat,
    BodyType,
    CommandReader,
    Data,
    Ehlo,
    ErrorKind,
    Event,
    Expn,
    Helo,
    Help,
    LineTooLong,
    Mail,
    MailParams,
    Noop,
    Notify,
    ParseError,
    Path,
    PathFeature,
    Quit,
    Rcpt,
    RcptParams,
    Ret,
    Rset,
    StartTls,
    Verb,
    Vrfy,
    decode_xtext,
    parse_command,
)


def drain(reader: CommandReader) -> list[Event]:
    events = []
    while (event := reader.next_event()) is not None:
        events.append(event)
    return events


def feed_all(data: bytes, **options: object) -> list[Event]:
    reader = CommandReader(**options)  # type: ignore[arg-type]
    reader.feed(data)
    return drain(reader)


def feed_bytewise(data: bytes, **options: object) -> list[Event]:
    reader = CommandReader(**options)  # type: ignore[arg-type]
    events: list[Event] = []
    for index in range(len(data)):
        reader.feed(data[index : index + 1])
        events.extend(drain(reader))
    return events


def one(line: str | bytes, **options: object) -> Event:
    raw = line.encode() if isinstance(line, str) else line
    events = feed_all(raw + b"\r\n", **options)
    assert len(events) == 1
    return events[0]


A = Path("a", "example.org")
B = Path("b", "example.org")

GOOD: list[tuple[str, Event]] = [
    ("EHLO mail.example.org", Ehlo("mail.example.org")),
    ("ehlo mail.example.org", Ehlo("mail.example.org")),
    ("EHLO example.org.", Ehlo("example.org.")),
    ("EHLO [192.0.2.1]", Ehlo("[192.0.2.1]", True)),
    ("EHLO [IPv6:2001:db8::1]", Ehlo("[IPv6:2001:db8::1]", True)),
    ("HELO host_name.local", Helo("host_name.local")),
    ("HeLo localhost", Helo("localhost")),
    ("MAIL FROM:<a@example.org>", Mail(A)),
    ("mail from:<a@example.org>", Mail(A)),
    ("MAIL FROM: <a@example.org>", Mail(A)),
    ("MAIL FROM:<>", Mail(NULL_PATH)),
    (
        "MAIL FROM:<a@example.org> SIZE=1000 BODY=8BITMIME",
        Mail(A, MailParams(size=1000, body=BodyType.EIGHT_BIT_MIME)),
    ),
    ("MAIL FROM:<a@example.org> body=binarymime", Mail(A, MailParams(body=BodyType.BINARY_MIME))),
    ("MAIL FROM:<a@example.org> BODY=7BIT", Mail(A, MailParams(body=BodyType.SEVEN_BIT))),
    ("MAIL FROM:<a@example.org> AUTH=<>", Mail(A, MailParams(auth="<>"))),
    (
        "MAIL FROM:<a@example.org> AUTH=a+2Bb@example.org",
        Mail(A, MailParams(auth="a+b@example.org")),
    ),
    (
        "MAIL FROM:<a@example.org> RET=HDRS ENVID=QQ314159",
        Mail(A, MailParams(ret=Ret.HDRS, envid="QQ314159")),
    ),
    ("MAIL FROM:<a@example.org> SMTPUTF8", Mail(A, MailParams(smtputf8=True))),
    (
        "MAIL FROM:<ü@bücher.de> SMTPUTF8",
        Mail(Path("ü", "bücher.de"), MailParams(smtputf8=True)),
    ),
    ("MAIL FROM:<a@example.org>  SIZE=5", Mail(A, MailParams(size=5))),
    ("RCPT TO:<b@example.org>", Rcpt(B)),
    ("rcpt to: <b@example.org>", Rcpt(B)),
    ("RCPT TO:<Postmaster>", Rcpt(Path("Postmaster"))),
    ("RCPT TO:<postmaster@example.org>", Rcpt(Path("postmaster", "example.org"))),
    ("RCPT TO:<b@example.org> NOTIFY=NEVER", Rcpt(B, RcptParams(frozenset({Notify.NEVER})))),
    (
        "RCPT TO:<b@example.org> NOTIFY=success,delay ORCPT=rfc822;b+40x@example.org",
        Rcpt(
            B, RcptParams(frozenset({Notify.SUCCESS, Notify.DELAY}), ("rfc822", "b@x@example.org"))
        ),
    ),
    (
        "RCPT TO:<@relay.example,@other.example:b@example.org>",
        Rcpt(Path("b", "example.org", ("relay.example", "other.example"))),
    ),
    ('RCPT TO:<"john doe"@example.org>', Rcpt(Path('"john doe"', "example.org", is_quoted=True))),
    ('RCPT TO:<"a>b"@example.org>', Rcpt(Path('"a>b"', "example.org", is_quoted=True))),
    ('RCPT TO:<"a\\"b"@example.org>', Rcpt(Path('"a\\"b"', "example.org", is_quoted=True))),
    ("RCPT TO:<b@[192.0.2.1]>", Rcpt(Path("b", "[192.0.2.1]", is_address_literal=True))),
    ("RCPT TO:<b@example.org.>", Rcpt(Path("b", "example.org", has_trailing_dot=True))),
    ("RCPT TO:<a%b@example.org>", Rcpt(Path("a%b", "example.org"))),
    ("RCPT TO:<host!b@example.org>", Rcpt(Path("host!b", "example.org"))),
    ("RCPT TO:<ü@bücher.de>", Rcpt(Path("ü", "bücher.de"))),
    ("RCPT TO:<o'neil+tag@example.org>", Rcpt(Path("o'neil+tag", "example.org"))),
    ("DATA", Data()),
    ("BDAT 0 LAST", Bdat(0, True)),
    ("BDAT 1000", Bdat(1000)),
    ("bdat 5 last", Bdat(5, True)),
    ("RSET", Rset()),
    ("NOOP", Noop()),
    ("NOOP anything at all", Noop()),
    ("QUIT", Quit()),
    ("QUIT   ", Quit()),
    ("VRFY alice", Vrfy("alice")),
    ("EXPN staff", Expn("staff")),
    ("HELP", Help()),
    ("HELP MAIL", Help("MAIL")),
    ("STARTTLS", StartTls()),
    ("AUTH PLAIN", Auth("PLAIN")),
    ("auth login", Auth("LOGIN")),
    ("AUTH PLAIN =", Auth("PLAIN", b"")),
    ("AUTH PLAIN AGFsaWNlAHNlY3JldA==", Auth("PLAIN", b"\0alice\0secret")),
]


@pytest.mark.parametrize(("line", "expected"), GOOD, ids=[line for line, _ in GOOD])
def test_good_command(line: str, expected: Event) -> None:
    assert one(line) == expected


BAD: list[tuple[str | bytes, ErrorKind, Verb | None]] = [
    ("", ErrorKind.UNKNOWN_COMMAND, None),
    ("FOO", ErrorKind.UNKNOWN_COMMAND, None),
    ("GET / HTTP/1.1", ErrorKind.UNKNOWN_COMMAND, None),
    (" NOOP", ErrorKind.UNKNOWN_COMMAND, None),
    ("TURN", ErrorKind.NOT_IMPLEMENTED, None),
    ("ETRN example.org", ErrorKind.NOT_IMPLEMENTED, None),
    ("EHLO", ErrorKind.BAD_ARGUMENTS, Verb.EHLO),
    ("EHLO a.example b.example", ErrorKind.BAD_ARGUMENTS, Verb.EHLO),
    ("EHLO -bad-.example", ErrorKind.BAD_ARGUMENTS, Verb.EHLO),
    ("EHLO [300.1.1.1]", ErrorKind.BAD_ARGUMENTS, Verb.EHLO),
    ("EHLO [IPv6:zz::1]", ErrorKind.BAD_ARGUMENTS, Verb.EHLO),
    ("HELO", ErrorKind.BAD_ARGUMENTS, Verb.HELO),
    ("MAIL", ErrorKind.BAD_SENDER, Verb.MAIL),
    ("MAIL TO:<a@example.org>", ErrorKind.BAD_SENDER, Verb.MAIL),
    ("MAIL FROM:a@example.org", ErrorKind.BAD_SENDER, Verb.MAIL),
    ("MAIL FROM:<a@example.org", ErrorKind.BAD_SENDER, Verb.MAIL),
    ("MAIL FROM:<a@example.org>SIZE=1", ErrorKind.BAD_SENDER, Verb.MAIL),
    ("MAIL FROM:<a..b@example.org>", ErrorKind.BAD_SENDER, Verb.MAIL),
    ("MAIL FROM:<.a@example.org>", ErrorKind.BAD_SENDER, Verb.MAIL),
    ("MAIL FROM:<a.@example.org>", ErrorKind.BAD_SENDER, Verb.MAIL),
    ("MAIL FROM:<a@>", ErrorKind.BAD_SENDER, Verb.MAIL),
    ("MAIL FROM:<@example.org>", ErrorKind.BAD_SENDER, Verb.MAIL),
    ("MAIL FROM:<a>", ErrorKind.BAD_SENDER, Verb.MAIL),
    ("MAIL FROM:<a b@example.org>", ErrorKind.BAD_SENDER, Verb.MAIL),
    ("MAIL FROM:<a@exa mple.org>", ErrorKind.BAD_SENDER, Verb.MAIL),
    ("MAIL FROM:<a@-x.example>", ErrorKind.BAD_SENDER, Verb.MAIL),
    ("MAIL FROM:<a@x..example>", ErrorKind.BAD_SENDER, Verb.MAIL),
    ("MAIL FROM:<a@x_y.example>", ErrorKind.BAD_SENDER, Verb.MAIL),
    ("MAIL FROM:<a(b)@example.org>", ErrorKind.BAD_SENDER, Verb.MAIL),
    ('MAIL FROM:<"unterminated@example.org>', ErrorKind.BAD_SENDER, Verb.MAIL),
    ('MAIL FROM:<"a"b@example.org>', ErrorKind.BAD_SENDER, Verb.MAIL),
    ("MAIL FROM:<postmaster>", ErrorKind.BAD_SENDER, Verb.MAIL),
    ("MAIL FROM:<a@[192.0.2.1>", ErrorKind.BAD_SENDER, Verb.MAIL),
    ("MAIL FROM:<a@[1.2.3]>", ErrorKind.BAD_SENDER, Verb.MAIL),
    ("MAIL FROM:<" + "a" * 65 + "@example.org>", ErrorKind.BAD_SENDER, Verb.MAIL),
    ("MAIL FROM:<a@" + "b" * 64 + ".example>", ErrorKind.BAD_SENDER, Verb.MAIL),
    ("MAIL FROM:<a@" + "b." * 127 + "example>", ErrorKind.BAD_SENDER, Verb.MAIL),
    ("MAIL FROM:<@:a@example.org>", ErrorKind.BAD_SENDER, Verb.MAIL),
    ("MAIL FROM:<a@example.org> SIZE=abc", ErrorKind.BAD_ARGUMENTS, Verb.MAIL),
    ("MAIL FROM:<a@example.org> SIZE", ErrorKind.BAD_ARGUMENTS, Verb.MAIL),
    ("MAIL FROM:<a@example.org> SIZE=", ErrorKind.BAD_ARGUMENTS, Verb.MAIL),
    ("MAIL FROM:<a@example.org> BODY=9BIT", ErrorKind.BAD_ARGUMENTS, Verb.MAIL),
    ("MAIL FROM:<a@example.org> SMTPUTF8=yes", ErrorKind.BAD_ARGUMENTS, Verb.MAIL),
    ("MAIL FROM:<a@example.org> SIZE=1 size=2", ErrorKind.BAD_ARGUMENTS, Verb.MAIL),
    ("MAIL FROM:<a@example.org> RET=ALL", ErrorKind.BAD_ARGUMENTS, Verb.MAIL),
    ("MAIL FROM:<a@example.org> AUTH=a+zz", ErrorKind.BAD_ARGUMENTS, Verb.MAIL),
    ("MAIL FROM:<a@example.org> ENVID=" + "x" * 101, ErrorKind.BAD_ARGUMENTS, Verb.MAIL),
    ("MAIL FROM:<a@example.org> -X=1", ErrorKind.BAD_ARGUMENTS, Verb.MAIL),
    ("MAIL FROM:<a@example.org> FOO=bar", ErrorKind.UNKNOWN_PARAMETER, Verb.MAIL),
    ("MAIL FROM:<a@example.org> XYZ", ErrorKind.UNKNOWN_PARAMETER, Verb.MAIL),
    ("MAIL FROM:<a@example.org> NOTIFY=NEVER", ErrorKind.UNKNOWN_PARAMETER, Verb.MAIL),
    ("MAIL FROM:<ü@example.org>", ErrorKind.NON_ASCII_ADDRESS, Verb.MAIL),
    ("RCPT", ErrorKind.BAD_RECIPIENT, Verb.RCPT),
    ("RCPT TO:<>", ErrorKind.BAD_RECIPIENT, Verb.RCPT),
    ("RCPT FROM:<b@example.org>", ErrorKind.BAD_RECIPIENT, Verb.RCPT),
    ("RCPT TO:<@relay.example b@example.org>", ErrorKind.BAD_RECIPIENT, Verb.RCPT),
    ("RCPT TO:<@relay.example,other:b@example.org>", ErrorKind.BAD_RECIPIENT, Verb.RCPT),
    ("RCPT TO:<b@example.org> NOTIFY=NEVER,SUCCESS", ErrorKind.BAD_ARGUMENTS, Verb.RCPT),
    ("RCPT TO:<b@example.org> NOTIFY=SOMETIMES", ErrorKind.BAD_ARGUMENTS, Verb.RCPT),
    ("RCPT TO:<b@example.org> NOTIFY=SUCCESS,SUCCESS", ErrorKind.BAD_ARGUMENTS, Verb.RCPT),
    ("RCPT TO:<b@example.org> NOTIFY", ErrorKind.BAD_ARGUMENTS, Verb.RCPT),
    ("RCPT TO:<b@example.org> ORCPT=b@example.org", ErrorKind.BAD_ARGUMENTS, Verb.RCPT),
    ("RCPT TO:<b@example.org> ORCPT=rfc822;", ErrorKind.BAD_ARGUMENTS, Verb.RCPT),
    ("RCPT TO:<b@example.org> SIZE=10", ErrorKind.UNKNOWN_PARAMETER, Verb.RCPT),
    ("DATA now", ErrorKind.BAD_ARGUMENTS, Verb.DATA),
    ("RSET x", ErrorKind.BAD_ARGUMENTS, Verb.RSET),
    ("QUIT now", ErrorKind.BAD_ARGUMENTS, Verb.QUIT),
    ("STARTTLS x", ErrorKind.BAD_ARGUMENTS, Verb.STARTTLS),
    ("BDAT", ErrorKind.BAD_ARGUMENTS, Verb.BDAT),
    ("BDAT x", ErrorKind.BAD_ARGUMENTS, Verb.BDAT),
    ("BDAT -1", ErrorKind.BAD_ARGUMENTS, Verb.BDAT),
    ("BDAT 10 FIRST", ErrorKind.BAD_ARGUMENTS, Verb.BDAT),
    ("BDAT 10 LAST more", ErrorKind.BAD_ARGUMENTS, Verb.BDAT),
    ("BDAT " + "9" * 21, ErrorKind.BAD_ARGUMENTS, Verb.BDAT),
    ("VRFY", ErrorKind.BAD_ARGUMENTS, Verb.VRFY),
    ("EXPN", ErrorKind.BAD_ARGUMENTS, Verb.EXPN),
    ("AUTH", ErrorKind.BAD_ARGUMENTS, Verb.AUTH),
    ("AUTH PL@IN", ErrorKind.BAD_ARGUMENTS, Verb.AUTH),
    ("AUTH " + "X" * 21, ErrorKind.BAD_ARGUMENTS, Verb.AUTH),
    ("AUTH PLAIN a b", ErrorKind.BAD_ARGUMENTS, Verb.AUTH),
    ("AUTH PLAIN !!!!", ErrorKind.AUTH_BAD_BASE64, Verb.AUTH),
    ("AUTH PLAIN AGFsaWNl=", ErrorKind.AUTH_BAD_BASE64, Verb.AUTH),
    ("NOOP\x00", ErrorKind.BAD_ENCODING, None),
    ("MAIL FROM:<a\tb@example.org>", ErrorKind.BAD_ENCODING, None),
    (b"MAIL FROM:<\xff@example.org>", ErrorKind.BAD_ENCODING, None),
]


@pytest.mark.parametrize(("line", "kind", "verb"), BAD, ids=[repr(line)[:60] for line, *_ in BAD])
def test_bad_command(line: str | bytes, kind: ErrorKind, verb: Verb | None) -> None:
    event = one(line)
    assert isinstance(event, ParseError)
    assert (event.kind, event.verb) == (kind, verb)


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        ("MAIL FROM:<ü@bücher.de> SMTPUTF8", ErrorKind.UNKNOWN_PARAMETER),
        ("MAIL FROM:<ü@bücher.de>", ErrorKind.NON_ASCII_ADDRESS),
        ("MAIL FROM:<a@example.org> SMTPUTF8", ErrorKind.UNKNOWN_PARAMETER),
        ("RCPT TO:<ü@example.org>", ErrorKind.NON_ASCII_ADDRESS),
        ("EHLO bücher.de", ErrorKind.BAD_ARGUMENTS),
        ("MAIL FROM:<a@example.org> ENVID=ü", ErrorKind.BAD_ENCODING),
    ],
)
def test_utf8_refused_when_smtputf8_is_not_offered(line: str, kind: ErrorKind) -> None:
    event = one(line, allow_utf8=False)
    assert isinstance(event, ParseError) and event.kind is kind


def test_parse_command_is_the_reader_parser() -> None:
    assert parse_command(b"NOOP") == Noop()
    assert parse_command(b"RCPT TO:<b@example.org>") == Rcpt(B)


# --- paths ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "features"),
    [
        ("RCPT TO:<b@example.org>", set()),
        ("RCPT TO:<@relay.example:b@example.org>", {PathFeature.SOURCE_ROUTE}),
        ("RCPT TO:<b%c@example.org>", {PathFeature.PERCENT_HACK}),
        ("RCPT TO:<host!b@example.org>", {PathFeature.BANG_PATH}),
        ('RCPT TO:<"b"@example.org>', {PathFeature.QUOTED_LOCAL_PART}),
        ("RCPT TO:<b@[192.0.2.1]>", {PathFeature.ADDRESS_LITERAL}),
        ("RCPT TO:<b@[IPv6:::1]>", {PathFeature.ADDRESS_LITERAL}),
        ("RCPT TO:<b@example.org.>", {PathFeature.TRAILING_DOT}),
        (
            'RCPT TO:<@r.example:"a%b"@[192.0.2.1]>',
            {
                PathFeature.SOURCE_ROUTE,
                PathFeature.PERCENT_HACK,
                PathFeature.QUOTED_LOCAL_PART,
                PathFeature.ADDRESS_LITERAL,
            },
        ),
    ],
)
def test_path_features_expose_relay_tricks(line: str, features: set[PathFeature]) -> None:
    event = one(line)
    assert isinstance(event, Rcpt)
    assert event.path.features() == features


def test_path_properties() -> None:
    quoted = one('RCPT TO:<"john \\"j\\" doe"@example.org>')
    assert isinstance(quoted, Rcpt)
    assert quoted.path.unquoted_local_part == 'john "j" doe'
    assert quoted.path.address == '"john \\"j\\" doe"@example.org'
    assert A.unquoted_local_part == "a" and A.address == "a@example.org"
    assert NULL_PATH.is_null and NULL_PATH.address == "" and not A.is_null
    assert Path("PostMaster").is_postmaster and not Path("postmaster", "example.org").is_postmaster
    assert Path("ü", "example.org").is_utf8 and Path("a", "bücher.de").is_utf8 and not A.is_utf8
    assert Path("a", "b.example", ("r.example",)).has_source_route


def test_general_address_literal_is_parsed() -> None:
    event = one("RCPT TO:<b@[x-tag:some.thing]>")
    assert isinstance(event, Rcpt) and event.path.is_address_literal


def test_path_length_limit() -> None:
    local = "a" * 64
    domain = ".".join(["b" * 63] * 3) + ".example"  # 200 octets
    assert isinstance(one(f"RCPT TO:<{local}@{domain[:180]}>"), Rcpt)
    event = one(f"RCPT TO:<{local}@{domain}>")
    assert isinstance(event, ParseError) and event.kind is ErrorKind.BAD_RECIPIENT


@pytest.mark.parametrize(
    ("text", "decoded"),
    [
        ("abc", "abc"),
        ("a+2Bb", "a+b"),
        ("a+3db", "a=b"),
        ("a+", None),
        ("a+zz", None),
        ("a=b", None),
    ],
)
def test_decode_xtext(text: str, decoded: str | None) -> None:
    assert decode_xtext(text) == decoded


# --- framing ---------------------------------------------------------------------------

PIPELINE = (
    b"EHLO client.example\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\n"
    b"RCPT TO:<Postmaster>\r\nNOOP\r\nRSET\r\nQUIT\r\n"
)
PIPELINE_EVENTS = [
    Ehlo("client.example"),
    Mail(A),
    Rcpt(B),
    Rcpt(Path("Postmaster")),
    Noop(),
    Rset(),
    Quit(),
]


def test_pipelined_commands_in_one_feed() -> None:
    assert feed_all(PIPELINE) == PIPELINE_EVENTS


def test_byte_by_byte_feeding_gives_the_same_events() -> None:
    assert feed_bytewise(PIPELINE) == PIPELINE_EVENTS


def test_incomplete_line_waits_for_more() -> None:
    reader = CommandReader()
    reader.feed(b"NOOP\r")
    assert reader.next_event() is None
    reader.feed(b"\n")
    assert reader.next_event() == Noop()
    assert reader.next_event() is None


@pytest.mark.parametrize(
    "data",
    [
        b"NOOP\nQUIT\r\n",
        b"NOOP\rQUIT\r\n",
        b"NOOP\r\r\n",
        b"\nNOOP\r\n",
        b"MAIL FROM:<a@example.org>\nRCPT TO:<b@example.org>\r\n",
    ],
)
def test_bare_cr_or_lf_is_never_a_line_end(data: bytes) -> None:
    for events in (feed_all(data), feed_bytewise(data)):
        assert events == [ParseError(ErrorKind.BARE_LINE_ENDING, None, "bare CR or LF in line")]


def test_line_limit_counts_the_crlf() -> None:
    fits = b"NOOP " + b"x" * (512 - 7) + b"\r\n"
    assert len(fits) == 512
    assert feed_all(fits) == [Noop()]
    assert feed_all(b"NOOP " + b"x" * (512 - 6) + b"\r\n") == [LineTooLong(512)]


def test_over_long_line_is_discarded_without_buffering() -> None:
    reader = CommandReader()
    reader.feed(b"MAIL FROM:<" + b"a" * 600)
    assert drain(reader) == [LineTooLong(512)]
    assert reader.buffered == 0
    for _ in range(100):
        reader.feed(b"b" * 1000)
        assert drain(reader) == []
        assert reader.buffered == 0
    reader.feed(b"@example.org>\r")
    assert drain(reader) == []
    reader.feed(b"\nNOOP\r\n")
    assert drain(reader) == [Noop()]


def test_discarding_ends_only_at_crlf() -> None:
    events = feed_all(b"x" * 600 + b"\nNOOP\r\rQUIT\r\nRSET\r\n")
    assert events == [LineTooLong(512), Rset()]


def test_line_limit_is_configurable() -> None:
    assert feed_all(b"NOOP 123456\r\nNOOP\r\n", line_limit=10) == [LineTooLong(10), Noop()]


def test_auth_lines_get_the_rfc_4954_limit() -> None:
    response = b"A" * 8000
    assert feed_all(b"AUTH PLAIN " + response + b"\r\n") == [Auth("PLAIN", b"\x00" * 6000)]
    assert feed_all(b"AUTH PLAIN " + b"A" * 12280 + b"\r\n") == [LineTooLong(12288)]
    assert feed_all(b"NOOP " + response + b"\r\n") == [LineTooLong(512)]


def test_auth_continuation_lines() -> None:
    reader = CommandReader()
    reader.feed(b"AUTH LOGIN\r\nYWxpY2U=\r\nNOOP\r\n")
    assert reader.next_event() == Auth("LOGIN")
    reader.expect_auth_response()
    assert reader.next_event() == AuthResponse(b"alice")
    assert reader.next_event() == Noop()  # one line only


@pytest.mark.parametrize(
    ("line", "event"),
    [
        (b"*", AuthCancel()),
        (b"", AuthResponse(b"")),
        (b"AGFsaWNlAHNlY3JldA==", AuthResponse(b"\0alice\0secret")),
        (
            b"not base64!",
            ParseError(ErrorKind.AUTH_BAD_BASE64, Verb.AUTH, "response is not base64"),
        ),
        (b"abc", ParseError(ErrorKind.AUTH_BAD_BASE64, Verb.AUTH, "response is not base64")),
    ],
)
def test_auth_response_forms(line: bytes, event: Event) -> None:
    reader = CommandReader()
    reader.expect_auth_response()
    reader.feed(line + b"\r\n")
    assert drain(reader) == [event]


def test_long_auth_response_is_allowed_and_too_long_cancels_expectation() -> None:
    reader = CommandReader()
    reader.expect_auth_response()
    reader.feed(b"QUFB" * 2000 + b"\r\n")
    assert drain(reader) == [AuthResponse(b"AAA" * 2000)]
    reader.expect_auth_response()
    reader.feed(b"A" * 13000 + b"\r\nNOOP\r\n")
    assert drain(reader) == [LineTooLong(12288), Noop()]


def test_take_unread_hands_pipelined_bytes_to_the_data_reader() -> None:
    reader = CommandReader()
    reader.feed(b"DATA\r\nSubject: hi\r\n\r\nbody")
    assert reader.next_event() == Data()
    assert reader.take_unread() == b"Subject: hi\r\n\r\nbody"
    assert reader.buffered == 0
    assert reader.next_event() is None
