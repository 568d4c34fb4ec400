"""SMTP replies (rendering, named codes, mappings) and session states (allowed verbs,
refusals, every transition)."""

from __future__ import annotations

import pytest

from postroom import errors
from postroom.protocols.smtp import replies, states
from postroom.protocols.smtp.commands import ErrorKind, ParseError, PathFeature, Verb
from postroom.protocols.smtp.data import Rejection
from postroom.protocols.smtp.replies import Reply
from postroom.protocols.smtp.states import SessionState, Step

NAMED = {name: value for name, value in vars(replies).items() if isinstance(value, Reply)}


def test_single_line_rendering() -> None:
    assert replies.OK.to_bytes() == b"250 2.0.0 OK\r\n"
    assert replies.START_DATA.to_bytes() == b"354 End data with <CR><LF>.<CR><LF>\r\n"
    assert str(replies.BYE) == "221 2.0.0 Bye"


def test_multi_line_rendering() -> None:
    reply = Reply(250, "2.0.0", ("first", "second", "third"))
    assert reply.to_bytes() == b"250-2.0.0 first\r\n250-2.0.0 second\r\n250 2.0.0 third\r\n"


def test_ehlo_reply() -> None:
    extensions = replies.extensions(max_size=52428800, starttls=True, auth_mechanisms=())
    assert replies.ehlo_ok("post.example.org", extensions).to_bytes() == (
        b"250-post.example.org\r\n250-PIPELINING\r\n250-SIZE 52428800\r\n250-8BITMIME\r\n"
        b"250-CHUNKING\r\n250-SMTPUTF8\r\n250-ENHANCEDSTATUSCODES\r\n250 STARTTLS\r\n"
    )


def test_extension_options() -> None:
    after_tls = replies.extensions(
        max_size=None, starttls=False, auth_mechanisms=("PLAIN", "LOGIN"), binary_mime=True
    )
    assert "STARTTLS" not in after_tls
    assert "AUTH PLAIN LOGIN" in after_tls and "SIZE" in after_tls and "BINARYMIME" in after_tls
    no_chunking = replies.extensions(
        max_size=10, starttls=False, chunking=False, binary_mime=True, smtputf8=False
    )
    assert "BINARYMIME" not in no_chunking  # RFC 3030 3
    assert "CHUNKING" not in no_chunking and "SMTPUTF8" not in no_chunking


def test_greeting_and_helo_have_no_enhanced_code() -> None:
    assert replies.ready("post.example.org").to_bytes() == b"220 post.example.org ESMTP ready\r\n"
    assert replies.helo_ok("post.example.org").to_bytes() == b"250 post.example.org\r\n"
    assert replies.bye("post.example.org").to_bytes() == (
        b"221 2.0.0 post.example.org closing connection\r\n"
    )


@pytest.mark.parametrize("hostname", ["evil\r\n250 OK", "a b", "", "x" * 300])
def test_host_name_parameter_cannot_inject(hostname: str) -> None:
    with pytest.raises(ValueError):
        replies.ready(hostname)


def test_auth_challenges() -> None:
    assert replies.auth_challenge(b"").to_bytes() == b"334 \r\n"
    assert replies.AUTH_CHALLENGE_EMPTY.to_bytes() == b"334 \r\n"
    assert replies.LOGIN_USERNAME.to_bytes() == b"334 VXNlcm5hbWU6\r\n"
    assert replies.LOGIN_PASSWORD.to_bytes() == b"334 UGFzc3dvcmQ6\r\n"


def test_parameterised_transaction_replies() -> None:
    assert replies.queued_as("Q1A2b-3").to_bytes() == (
        b"250 2.0.0 Message accepted for delivery as Q1A2b-3\r\n"
    )
    assert replies.chunk_ok(1000).to_bytes() == b"250 2.0.0 1000 octets received\r\n"
    with pytest.raises(ValueError):
        replies.queued_as("x\r\n")


@pytest.mark.parametrize(
    ("code", "enhanced", "lines"),
    [
        (199, None, ("x",)),
        (600, None, ("x",)),
        (250, "5.0.0", ("x",)),
        (250, "2.0", ("x",)),
        (250, None, ()),
        (250, None, ("a\r\nb",)),
        (250, None, ("tab\there",)),
        (250, None, ("ü",)),
        (250, "2.0.0", ("x" * 501,)),
    ],
)
def test_invalid_replies_are_refused(
    code: int, enhanced: str | None, lines: tuple[str, ...]
) -> None:
    with pytest.raises(ValueError):
        Reply(code, enhanced, lines)


def test_reply_line_limit_is_512_octets_with_crlf() -> None:
    assert len(Reply(250, "2.0.0", ("x" * 500,)).to_bytes()) == 512


@pytest.mark.parametrize("name", sorted(NAMED))
def test_named_reply_is_well_formed(name: str) -> None:
    reply = NAMED[name]
    wire = reply.to_bytes()
    assert wire.endswith(b"\r\n") and len(wire) <= 512
    if 300 <= reply.code < 400:
        assert reply.enhanced is None  # RFC 2034 3: no enhanced code on 3xx
    else:
        assert reply.enhanced is not None and reply.enhanced[0] == str(reply.code)[0]


BRIEF = [
    ("OK", 250, "2.0.0"),
    ("SENDER_OK", 250, "2.1.0"),
    ("RECIPIENT_OK", 250, "2.1.5"),
    ("START_DATA", 354, None),
    ("QUEUED", 250, "2.0.0"),
    ("BYE", 221, "2.0.0"),
    ("AUTH_OK", 235, "2.7.0"),
    ("AUTH_FAILED", 535, "5.7.8"),
    ("AUTH_REQUIRED", 530, "5.7.0"),
    ("ENCRYPTION_REQUIRED", 530, "5.7.0"),
    ("ENCRYPTION_REQUIRED_FOR_MECHANISM", 538, "5.7.11"),
    ("AUTH_THROTTLED", 454, "4.7.0"),
    ("TOO_MANY_CONNECTIONS", 421, "4.7.0"),
    ("NO_SUCH_USER", 550, "5.1.1"),
    ("RELAY_DENIED", 550, "5.7.1"),
    ("SENDER_NOT_OWNED", 553, "5.7.1"),
    ("MAILBOX_FULL", 452, "4.2.2"),
    ("MESSAGE_TOO_BIG", 552, "5.3.4"),
    ("LINE_TOO_LONG", 500, "5.5.6"),
    ("SYNTAX_ERROR", 500, "5.5.2"),
    ("PARAM_ERROR", 501, "5.5.4"),
    ("BAD_SEQUENCE", 503, "5.5.1"),
    ("NOT_IMPLEMENTED", 502, "5.5.1"),
    ("VRFY_NO_INFO", 252, "2.5.0"),
    ("TEMP_FAILURE", 451, "4.3.0"),
    ("TOO_MANY_RECIPIENTS", 452, "4.5.3"),
    ("SERVICE_UNAVAILABLE", 421, "4.3.2"),
    ("TLS_READY", 220, "2.0.0"),
    ("BARE_LINEFEED", 500, "5.5.2"),
    ("UNKNOWN_PARAMETER", 555, "5.5.4"),
    ("NON_ASCII_ADDRESS", 553, "5.6.7"),
    ("AUTH_CANCELLED", 501, "5.7.0"),
    ("AUTH_UNKNOWN_MECHANISM", 504, "5.5.4"),
]


@pytest.mark.parametrize(("name", "code", "enhanced"), BRIEF)
def test_reply_codes(name: str, code: int, enhanced: str | None) -> None:
    assert (NAMED[name].code, NAMED[name].enhanced) == (code, enhanced)


def test_reply_classes() -> None:
    assert replies.OK.is_positive and replies.START_DATA.is_positive
    assert replies.MAILBOX_FULL.is_transient and not replies.MAILBOX_FULL.is_permanent
    assert replies.NO_SUCH_USER.is_permanent
    assert replies.BYE.closes_connection and replies.SERVICE_UNAVAILABLE.closes_connection
    assert not replies.OK.closes_connection


@pytest.mark.parametrize("kind", list(ErrorKind))
def test_every_parse_error_has_a_reply(kind: ErrorKind) -> None:
    reply = replies.for_parse_error(kind)
    assert reply.code >= 500
    assert replies.for_parse_error(ParseError(kind)) is reply


def test_parse_error_replies() -> None:
    assert replies.for_parse_error(ErrorKind.BAD_SENDER).enhanced == "5.1.7"
    assert replies.for_parse_error(ErrorKind.BAD_RECIPIENT).enhanced == "5.1.3"
    assert replies.for_parse_error(ErrorKind.BARE_LINE_ENDING) is replies.BARE_LINEFEED


@pytest.mark.parametrize(
    ("rejection", "code", "enhanced"),
    [
        (Rejection.BARE_LINE_ENDING, 550, "5.6.0"),
        (Rejection.LINE_TOO_LONG, 550, "5.6.0"),
        (Rejection.TOO_BIG, 552, "5.3.4"),
    ],
)
def test_data_rejection_replies(rejection: Rejection, code: int, enhanced: str) -> None:
    reply = replies.for_data_rejection(rejection)
    assert (reply.code, reply.enhanced) == (code, enhanced)


@pytest.mark.parametrize("feature", list(PathFeature))
def test_every_path_feature_has_a_clear_refusal(feature: PathFeature) -> None:
    assert replies.for_path_feature(feature).code == 553


def _subclasses(kind: type[errors.PostroomError]) -> list[type[errors.PostroomError]]:
    found = [kind]
    for sub in kind.__subclasses__():
        found.extend(_subclasses(sub))
    return found


@pytest.mark.parametrize("error", _subclasses(errors.PostroomError))
def test_every_neutral_error_maps_to_a_failure_reply(error: type[errors.PostroomError]) -> None:
    assert replies.for_error(error()).code >= 400


def test_neutral_error_mapping() -> None:
    assert replies.for_error(errors.OverQuota()) is replies.MAILBOX_FULL
    assert replies.for_error(errors.TemporaryFailure()) is replies.TEMP_FAILURE
    assert replies.for_error(errors.NotFound()) is replies.NO_SUCH_USER
    assert (
        replies.for_error(errors.PostroomError()) is replies.TEMP_FAILURE
    )  # never a 5xx by accident

    class Subclass(errors.OverQuota):
        pass

    assert replies.for_error(Subclass()) is replies.MAILBOX_FULL


# --- states ----------------------------------------------------------------------------

ALLOWED = {
    SessionState.CONNECTED: {"EHLO", "HELO", "NOOP", "QUIT", "RSET", "HELP"},
    SessionState.GREETED: {
        "EHLO", "HELO", "NOOP", "QUIT", "RSET", "HELP", "VRFY", "EXPN", "MAIL", "STARTTLS", "AUTH",
    },
    SessionState.MAIL: {"EHLO", "HELO", "NOOP", "QUIT", "RSET", "HELP", "VRFY", "EXPN", "RCPT"},
    SessionState.RCPT: {
        "EHLO", "HELO", "NOOP", "QUIT", "RSET", "HELP", "VRFY", "EXPN", "RCPT", "DATA", "BDAT",
    },
    SessionState.DATA: set(),
    SessionState.BDAT: {"BDAT", "NOOP", "QUIT", "RSET", "HELP"},
    SessionState.AUTH_IN_PROGRESS: set(),
    SessionState.QUIT: set(),
}  # fmt: skip


@pytest.mark.parametrize("state", list(SessionState))
def test_allowed_commands_per_state(state: SessionState) -> None:
    assert {str(verb) for verb in states.ALLOWED[state]} == ALLOWED[state]
    for verb in Verb:
        allowed = verb in ALLOWED[state]
        assert states.is_allowed(state, verb) is allowed
        refusal = states.refusal(state, verb)
        assert (refusal is None) is allowed
        if refusal is not None:
            assert (refusal.code, refusal.enhanced) == (503, "5.5.1") or refusal.code == 554


@pytest.mark.parametrize(
    ("state", "verb", "reply"),
    [
        (SessionState.CONNECTED, Verb.MAIL, replies.NEED_HELO),
        (SessionState.CONNECTED, Verb.AUTH, replies.NEED_HELO),
        (SessionState.GREETED, Verb.RCPT, replies.NEED_MAIL),
        (SessionState.GREETED, Verb.DATA, replies.NEED_MAIL),
        (SessionState.MAIL, Verb.MAIL, replies.NESTED_MAIL),
        (SessionState.MAIL, Verb.DATA, replies.NEED_RCPT),
        (SessionState.MAIL, Verb.AUTH, replies.AUTH_IN_TRANSACTION),
        (SessionState.RCPT, Verb.MAIL, replies.NESTED_MAIL),
        (SessionState.BDAT, Verb.DATA, replies.DATA_AFTER_BDAT),
        (SessionState.BDAT, Verb.MAIL, replies.BAD_SEQUENCE),
        (SessionState.MAIL, Verb.STARTTLS, replies.BAD_SEQUENCE),
    ],
)
def test_specific_refusals(state: SessionState, verb: Verb, reply: Reply) -> None:
    assert states.refusal(state, verb) is reply


@pytest.mark.parametrize(("state", "step"), list(states.TRANSITIONS))
def test_every_transition(state: SessionState, step: Step) -> None:
    assert states.transition(state, step) is states.TRANSITIONS[(state, step)]


EXPECTED_TRANSITIONS = {
    (SessionState.CONNECTED, Step.HELLO): SessionState.GREETED,
    (SessionState.CONNECTED, Step.RESET): SessionState.CONNECTED,
    (SessionState.GREETED, Step.HELLO): SessionState.GREETED,
    (SessionState.MAIL, Step.HELLO): SessionState.GREETED,
    (SessionState.RCPT, Step.HELLO): SessionState.GREETED,
    (SessionState.BDAT, Step.HELLO): SessionState.GREETED,
    (SessionState.GREETED, Step.RESET): SessionState.GREETED,
    (SessionState.MAIL, Step.RESET): SessionState.GREETED,
    (SessionState.RCPT, Step.RESET): SessionState.GREETED,
    (SessionState.BDAT, Step.RESET): SessionState.GREETED,
    (SessionState.GREETED, Step.SENDER_ACCEPTED): SessionState.MAIL,
    (SessionState.MAIL, Step.RECIPIENT_ACCEPTED): SessionState.RCPT,
    (SessionState.RCPT, Step.RECIPIENT_ACCEPTED): SessionState.RCPT,
    (SessionState.RCPT, Step.DATA_STARTED): SessionState.DATA,
    (SessionState.DATA, Step.MESSAGE_DONE): SessionState.GREETED,
    (SessionState.RCPT, Step.CHUNK_STARTED): SessionState.BDAT,
    (SessionState.BDAT, Step.CHUNK_STARTED): SessionState.BDAT,
    (SessionState.BDAT, Step.CHUNK_DONE): SessionState.BDAT,
    (SessionState.BDAT, Step.MESSAGE_DONE): SessionState.GREETED,
    (SessionState.GREETED, Step.AUTH_STARTED): SessionState.AUTH_IN_PROGRESS,
    (SessionState.AUTH_IN_PROGRESS, Step.AUTH_DONE): SessionState.GREETED,
    (SessionState.GREETED, Step.AUTH_DONE): SessionState.GREETED,
    (SessionState.GREETED, Step.TLS_STARTED): SessionState.CONNECTED,
    **{(state, Step.QUIT): SessionState.QUIT for state in SessionState},
}


def test_transition_table_is_exactly_the_expected_one() -> None:
    assert dict(states.TRANSITIONS) == EXPECTED_TRANSITIONS


@pytest.mark.parametrize(
    ("state", "step"),
    [
        (state, step)
        for state in SessionState
        for step in Step
        if (state, step) not in EXPECTED_TRANSITIONS
    ],
)
def test_impossible_steps_raise(state: SessionState, step: Step) -> None:
    with pytest.raises(ValueError):
        states.transition(state, step)


def test_a_whole_session_walks_the_table() -> None:
    state = SessionState.CONNECTED
    for step in [
        Step.HELLO, Step.TLS_STARTED, Step.HELLO, Step.AUTH_STARTED, Step.AUTH_DONE,
        Step.SENDER_ACCEPTED, Step.RECIPIENT_ACCEPTED, Step.RECIPIENT_ACCEPTED,
        Step.DATA_STARTED, Step.MESSAGE_DONE, Step.SENDER_ACCEPTED, Step.RECIPIENT_ACCEPTED,
        Step.CHUNK_STARTED, Step.CHUNK_DONE, Step.CHUNK_STARTED, Step.MESSAGE_DONE, Step.QUIT,
    ]:  # fmt: skip
        state = states.transition(state, step)
    assert state is SessionState.QUIT
