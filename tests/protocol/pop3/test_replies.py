"""POP3 replies (status lines, response codes, multi-line) and the RETR/TOP encoder."""

from __future__ import annotations

import pytest

from postroom import errors
from postroom.protocols.pop3 import replies
from postroom.protocols.pop3.commands import ErrorKind, ParseError
from postroom.protocols.pop3.dotstuff import (
    MessageEncoder,
    TopEncoder,
    WireSize,
    encode_message,
    encode_top,
    unstuff,
    wire_size,
)
from postroom.protocols.pop3.replies import Reply, ResponseCode

NAMED = {name: value for name, value in vars(replies).items() if isinstance(value, Reply)}


def test_status_lines() -> None:
    assert replies.OK.to_bytes() == b"+OK\r\n"
    assert replies.DELETED.to_bytes() == b"+OK Message deleted\r\n"
    assert replies.NO_SUCH_MESSAGE.to_bytes() == b"-ERR No such message\r\n"
    assert (
        replies.IN_USE.to_bytes() == b"-ERR [IN-USE] Mailbox is in use by another POP3 session\r\n"
    )
    assert str(replies.AUTH_FAILED) == "-ERR [AUTH] Authentication failed"


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("IN_USE", ResponseCode.IN_USE),
        ("LOGIN_DELAY", ResponseCode.LOGIN_DELAY),
        ("TEMP_FAILURE", ResponseCode.SYS_TEMP),
        ("ACCOUNT_DISABLED", ResponseCode.SYS_PERM),
        ("AUTH_FAILED", ResponseCode.AUTH),
        ("AUTH_THROTTLED", ResponseCode.SYS_TEMP),
        ("ENCRYPTION_REQUIRED", ResponseCode.AUTH),
    ],
)
def test_response_codes(name: str, code: ResponseCode) -> None:
    assert NAMED[name].code is code and not NAMED[name].ok


@pytest.mark.parametrize("name", sorted(NAMED))
def test_named_reply_is_well_formed(name: str) -> None:
    wire = NAMED[name].to_bytes()
    assert wire.startswith((b"+OK", b"-ERR")) and wire.endswith(b"\r\n") and len(wire) <= 512
    assert wire.count(b"\r\n") == 1


@pytest.mark.parametrize(
    ("ok", "text", "code"),
    [
        (True, "x", ResponseCode.AUTH),
        (False, "a\r\n+OK", None),
        (False, "ü", None),
        (True, "x" * 510, None),
    ],
)
def test_invalid_replies_are_refused(ok: bool, text: str, code: ResponseCode | None) -> None:
    with pytest.raises(ValueError):
        Reply(ok, text, code)


def test_multiline_is_dot_stuffed_and_terminated() -> None:
    assert replies.multiline(replies.OK, ["a", ".b", "..", ""]) == (
        b"+OK\r\na\r\n..b\r\n...\r\n\r\n.\r\n"
    )
    with pytest.raises(ValueError):
        replies.multiline(replies.OK, ["a\r\n.\r\n"])


def test_capabilities() -> None:
    before_tls = replies.capabilities(stls=True, user=False, sasl=())
    assert before_tls == (
        b"+OK Capability list follows\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nAUTH-RESP-CODE\r\n"
        b"PIPELINING\r\nSTLS\r\n.\r\n"
    )
    after_tls = replies.capabilities(
        stls=False, user=True, sasl=("PLAIN",), implementation="Postroom"
    )
    assert b"USER\r\nSASL PLAIN\r\nIMPLEMENTATION Postroom\r\n.\r\n" in after_tls
    assert b"STLS" not in after_tls


def test_listings() -> None:
    assert replies.stat_ok(2, 320).to_bytes() == b"+OK 2 320\r\n"
    assert replies.list_ok(1, 120).to_bytes() == b"+OK 1 120\r\n"
    assert replies.list_all([(1, 120), (3, 200)], 2, 320) == (
        b"+OK 2 messages (320 octets)\r\n1 120\r\n3 200\r\n.\r\n"
    )
    assert replies.list_all([], 0, 0) == b"+OK 0 messages (0 octets)\r\n.\r\n"
    assert replies.uidl_ok(1, "whqtswO00WBw418f9t5JxYwZ").to_bytes() == (
        b"+OK 1 whqtswO00WBw418f9t5JxYwZ\r\n"
    )
    assert replies.uidl_all([(1, "a1"), (2, "b2")]) == b"+OK\r\n1 a1\r\n2 b2\r\n.\r\n"
    assert replies.retr_ok(120).to_bytes() == b"+OK 120 octets\r\n"


@pytest.mark.parametrize("uid", ["", "a b", "x" * 71, "ü"])
def test_bad_unique_ids_are_refused(uid: str) -> None:
    with pytest.raises(ValueError):
        replies.uidl_ok(1, uid)


def test_negative_counts_are_refused() -> None:
    with pytest.raises(ValueError):
        replies.stat_ok(-1, 0)


def test_sasl_replies() -> None:
    assert replies.sasl_challenge(b"") == b"+ \r\n"
    assert replies.sasl_challenge(b"hi") == b"+ aGk=\r\n"
    assert replies.sasl_mechanisms(["PLAIN"]) == b"+OK Mechanisms follow\r\nPLAIN\r\n.\r\n"


@pytest.mark.parametrize("kind", list(ErrorKind))
def test_every_parse_error_has_a_reply(kind: ErrorKind) -> None:
    reply = replies.for_parse_error(kind)
    assert not reply.ok and replies.for_parse_error(ParseError(kind)) is reply


def test_neutral_error_mapping() -> None:
    assert replies.for_error(errors.AuthenticationFailed()) is replies.AUTH_FAILED
    assert replies.for_error(errors.Throttled()) is replies.AUTH_THROTTLED
    assert replies.for_error(errors.TemporaryFailure()) is replies.TEMP_FAILURE
    assert replies.for_error(errors.OverQuota()) is replies.TEMP_FAILURE
    assert not replies.for_error(errors.PostroomError()).ok


# --- RETR / TOP wire form --------------------------------------------------------------

ENCODING = [
    (b"", b".\r\n", 0),
    (b"a\r\n", b"a\r\n.\r\n", 3),
    (b"a\n", b"a\r\n.\r\n", 3),
    (b"a", b"a\r\n.\r\n", 3),
    (b"a\r", b"a\r\r\n.\r\n", 4),
    (b"a\rb\r\n", b"a\rb\r\n.\r\n", 5),
    (b".\r\n", b"..\r\n.\r\n", 3),
    (b".", b"..\r\n.\r\n", 3),
    (b"a\n.\nb", b"a\r\n..\r\nb\r\n.\r\n", 9),
    (b"x\r\n..y\r\n", b"x\r\n...y\r\n.\r\n", 8),
    (b"\n\n", b"\r\n\r\n.\r\n", 4),
    (b"S: x\r\n\r\n.\r\n.\r\n", b"S: x\r\n\r\n..\r\n..\r\n.\r\n", 14),
]


@pytest.mark.parametrize(("stored", "wire", "size"), ENCODING)
def test_retr_encoding(stored: bytes, wire: bytes, size: int) -> None:
    assert b"".join(encode_message([stored])) == wire
    assert b"".join(encode_message([stored[i : i + 1] for i in range(len(stored))])) == wire
    assert wire_size(stored) == size == len(unstuff(wire))


def test_encoder_counts_octets_before_stuffing() -> None:
    encoder = MessageEncoder()
    wire = encoder.encode(b".a\n.b") + encoder.finish()
    assert wire == b"..a\r\n..b\r\n.\r\n"
    assert encoder.octets == wire_size(b".a\n.b") == 8


def test_wire_size_counter_is_incremental() -> None:
    counter = WireSize()
    assert counter.total == 0
    counter.update(b"a\r")
    assert counter.total == 4  # "a\r" + final CRLF, as if the message ended here
    counter.update(b"\nb\n")
    assert counter.total == wire_size(b"a\r\nb\n") == 6


TOP_MESSAGE = b"From: a\r\nSubject: s\r\n\r\nline 1\r\n.line 2\r\nline 3\r\n"


@pytest.mark.parametrize(
    ("lines", "wire"),
    [
        (0, b"From: a\r\nSubject: s\r\n\r\n.\r\n"),
        (1, b"From: a\r\nSubject: s\r\n\r\nline 1\r\n.\r\n"),
        (2, b"From: a\r\nSubject: s\r\n\r\nline 1\r\n..line 2\r\n.\r\n"),
        (3, b"From: a\r\nSubject: s\r\n\r\nline 1\r\n..line 2\r\nline 3\r\n.\r\n"),
        (99, b"From: a\r\nSubject: s\r\n\r\nline 1\r\n..line 2\r\nline 3\r\n.\r\n"),
    ],
)
def test_top(lines: int, wire: bytes) -> None:
    assert b"".join(encode_top([TOP_MESSAGE], lines)) == wire
    bytewise = [TOP_MESSAGE[i : i + 1] for i in range(len(TOP_MESSAGE))]
    assert b"".join(encode_top(bytewise, lines)) == wire


def test_top_with_lf_only_and_no_final_newline() -> None:
    assert b"".join(encode_top([b"A: b\n\nbody"], 5)) == b"A: b\r\n\r\nbody\r\n.\r\n"


def test_top_of_a_message_without_body_separator_sends_it_whole() -> None:
    assert b"".join(encode_top([b"A: b\r\nC: d"], 0)) == b"A: b\r\nC: d\r\n.\r\n"


def test_top_blank_line_split_across_chunks() -> None:
    chunks = [b"A: b\r", b"\n", b"\r", b"\nbody 1\r\nbody 2\r\n"]
    assert b"".join(encode_top(chunks, 1)) == b"A: b\r\n\r\nbody 1\r\n.\r\n"


def test_top_stops_pulling_chunks_when_done() -> None:
    pulled = []

    def chunks() -> object:
        for chunk in [b"A: b\r\n\r\n", b"one\r\n", b"two\r\n", b"three\r\n"]:
            pulled.append(chunk)
            yield chunk

    assert b"".join(encode_top(chunks(), 1)) == b"A: b\r\n\r\none\r\n.\r\n"  # type: ignore[arg-type]
    assert len(pulled) == 2


def test_top_encoder_done_flag() -> None:
    encoder = TopEncoder(0)
    assert encoder.encode(b"A: b\r\n") == b"A: b\r\n" and not encoder.done
    assert encoder.encode(b"\r\nbody\r\n") == b"\r\n" and encoder.done
    assert encoder.encode(b"more") == b""
    assert encoder.finish() == b".\r\n"


def test_unstuff() -> None:
    assert unstuff(b".\r\n") == b""
    assert unstuff(b"..a\r\nb\r\n...\r\n.\r\n") == b".a\r\nb\r\n..\r\n"
    with pytest.raises(ValueError):
        unstuff(b"a\r\n")
