"""SMTP session states, the commands allowed in each (as data) and the transitions.

The dispatcher checks `refusal(state, verb)` once before any handler runs; a
handler never re-checks the sequence. Policy gates that are not about sequence
(TLS required, AUTH required for submission, recipients limit) stay in the
session. Transitions are a table: `transition(state, step)` returns the next state
or raises `ValueError` for a step the table does not allow (a programming error).

States:

- CONNECTED: greeting sent, no HELO/EHLO yet (also after STARTTLS, RFC 3207 4.2).
- GREETED: HELO/EHLO accepted, no transaction.
- MAIL: a sender was accepted, no recipient yet.
- RCPT: at least one recipient was accepted.
- DATA: reading the DATA body (the DataReader owns the input).
- BDAT: inside a BDAT transaction, between or during chunks (RFC 3030 2).
- AUTH_IN_PROGRESS: waiting for a SASL continuation line (RFC 4954 4).
- QUIT: the session is over.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from postroom.protocols.smtp import replies
from postroom.protocols.smtp.commands import Verb
from postroom.protocols.smtp.replies import Reply


class SessionState(StrEnum):
    CONNECTED = "connected"
    GREETED = "greeted"
    MAIL = "mail"
    RCPT = "rcpt"
    DATA = "data"
    BDAT = "bdat"
    AUTH_IN_PROGRESS = "auth-in-progress"
    QUIT = "quit"


class Step(StrEnum):
    """What just succeeded; the input of `transition`."""

    HELLO = "hello"  # HELO/EHLO accepted (RFC 5321 4.1.4: also resets a transaction)
    RESET = "reset"  # RSET (RFC 5321 4.1.1.5)
    SENDER_ACCEPTED = "sender-accepted"
    RECIPIENT_ACCEPTED = "recipient-accepted"
    DATA_STARTED = "data-started"  # 354 sent
    CHUNK_STARTED = "chunk-started"  # a BDAT command was accepted for reading
    CHUNK_DONE = "chunk-done"  # a non-LAST chunk was read and answered
    MESSAGE_DONE = "message-done"  # final dot or BDAT LAST answered, accepted or not
    AUTH_STARTED = "auth-started"  # 334 sent
    AUTH_DONE = "auth-done"  # 235, or the exchange failed or was cancelled
    TLS_STARTED = "tls-started"  # RFC 3207 4.2: forget everything, expect EHLO
    QUIT = "quit"


_ANYTIME = frozenset({Verb.NOOP, Verb.QUIT, Verb.RSET, Verb.HELP})
_OUTSIDE_TRANSACTION = _ANYTIME | {Verb.EHLO, Verb.HELO, Verb.VRFY, Verb.EXPN}

ALLOWED: Mapping[SessionState, frozenset[Verb]] = {
    SessionState.CONNECTED: _ANYTIME | {Verb.EHLO, Verb.HELO},
    SessionState.GREETED: _OUTSIDE_TRANSACTION | {Verb.MAIL, Verb.STARTTLS, Verb.AUTH},
    SessionState.MAIL: _OUTSIDE_TRANSACTION | {Verb.RCPT},
    SessionState.RCPT: _OUTSIDE_TRANSACTION | {Verb.RCPT, Verb.DATA, Verb.BDAT},
    SessionState.DATA: frozenset(),
    SessionState.BDAT: _ANYTIME | {Verb.BDAT},  # RFC 3030 2
    SessionState.AUTH_IN_PROGRESS: frozenset(),
    SessionState.QUIT: frozenset(),
}

# The reply for a command that is not allowed, when it is more specific than 503.
_REFUSALS: Mapping[tuple[SessionState, Verb], Reply] = {
    **{(SessionState.CONNECTED, verb): replies.NEED_HELO for verb in Verb},
    **{
        (SessionState.GREETED, verb): replies.NEED_MAIL
        for verb in (Verb.RCPT, Verb.DATA, Verb.BDAT)
    },
    (SessionState.MAIL, Verb.MAIL): replies.NESTED_MAIL,
    (SessionState.MAIL, Verb.DATA): replies.NEED_RCPT,  # RFC 5321 3.3
    (SessionState.MAIL, Verb.BDAT): replies.NEED_RCPT,
    (SessionState.MAIL, Verb.AUTH): replies.AUTH_IN_TRANSACTION,  # RFC 4954 4
    (SessionState.RCPT, Verb.MAIL): replies.NESTED_MAIL,
    (SessionState.RCPT, Verb.AUTH): replies.AUTH_IN_TRANSACTION,
    (SessionState.BDAT, Verb.DATA): replies.DATA_AFTER_BDAT,  # RFC 3030 2
}


def is_allowed(state: SessionState, verb: Verb) -> bool:
    return verb in ALLOWED[state]


def refusal(state: SessionState, verb: Verb) -> Reply | None:
    """None if `verb` may run in `state`, else the 503 reply to send."""
    if is_allowed(state, verb):
        return None
    return _REFUSALS.get((state, verb), replies.BAD_SEQUENCE)


_IN_SESSION = (SessionState.GREETED, SessionState.MAIL, SessionState.RCPT, SessionState.BDAT)

TRANSITIONS: Mapping[tuple[SessionState, Step], SessionState] = {
    (SessionState.CONNECTED, Step.HELLO): SessionState.GREETED,
    (SessionState.CONNECTED, Step.RESET): SessionState.CONNECTED,
    **{(state, Step.HELLO): SessionState.GREETED for state in _IN_SESSION},
    **{(state, Step.RESET): SessionState.GREETED for state in _IN_SESSION},
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
    (SessionState.GREETED, Step.AUTH_DONE): SessionState.GREETED,  # AUTH with initial response
    (SessionState.GREETED, Step.TLS_STARTED): SessionState.CONNECTED,
    **{(state, Step.QUIT): SessionState.QUIT for state in SessionState},
}


def transition(state: SessionState, step: Step) -> SessionState:
    """The state after `step` succeeded in `state`."""
    try:
        return TRANSITIONS[(state, step)]
    except KeyError:
        raise ValueError(f"step {step} is not possible in state {state}") from None
