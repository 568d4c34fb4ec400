"""POP3 session states (RFC 1939 3), the commands allowed in each (as data), transitions.

The dispatcher checks `refusal(state, verb)` once before any handler runs.
RFC 2449 5 allows CAPA in every state; STLS only before login (RFC 2595 4); AUTH,
USER, PASS and APOP only in AUTHORIZATION (RFC 1939 7, RFC 5034 4). That PASS
needs a preceding USER is tracked by the session (`replies.NEED_USER`), not by a
state of its own.

States:

- AUTHORIZATION: greeting sent, not logged in (also during a SASL exchange: the
  reader is then in continuation mode and produces no commands).
- TRANSACTION: logged in, the maildrop is locked.
- UPDATE: QUIT in TRANSACTION was received; deletions are applied, then the
  connection closes. No command is read any more.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from postroom.protocols.pop3 import replies
from postroom.protocols.pop3.commands import Verb
from postroom.protocols.pop3.replies import Reply


class SessionState(StrEnum):
    AUTHORIZATION = "authorization"
    TRANSACTION = "transaction"
    UPDATE = "update"


class Step(StrEnum):
    AUTHENTICATED = "authenticated"  # USER/PASS or AUTH succeeded, maildrop locked
    QUIT = "quit"


ALLOWED: Mapping[SessionState, frozenset[Verb]] = {
    SessionState.AUTHORIZATION: frozenset(
        {Verb.USER, Verb.PASS, Verb.APOP, Verb.AUTH, Verb.STLS, Verb.CAPA, Verb.QUIT}
    ),
    SessionState.TRANSACTION: frozenset(
        {
            Verb.STAT,
            Verb.LIST,
            Verb.RETR,
            Verb.DELE,
            Verb.NOOP,
            Verb.RSET,
            Verb.TOP,
            Verb.UIDL,
            Verb.QUIT,
            Verb.CAPA,
        }
    ),
    SessionState.UPDATE: frozenset(),
}

_REFUSALS: Mapping[tuple[SessionState, Verb], Reply] = {
    (SessionState.TRANSACTION, Verb.USER): replies.ALREADY_AUTHENTICATED,
    (SessionState.TRANSACTION, Verb.PASS): replies.ALREADY_AUTHENTICATED,
    (SessionState.TRANSACTION, Verb.APOP): replies.ALREADY_AUTHENTICATED,
    (SessionState.TRANSACTION, Verb.AUTH): replies.ALREADY_AUTHENTICATED,
}


def is_allowed(state: SessionState, verb: Verb) -> bool:
    return verb in ALLOWED[state]


def refusal(state: SessionState, verb: Verb) -> Reply | None:
    """None if `verb` may run in `state`, else the -ERR reply to send."""
    if is_allowed(state, verb):
        return None
    return _REFUSALS.get((state, verb), replies.BAD_STATE)


TRANSITIONS: Mapping[tuple[SessionState, Step], SessionState] = {
    (SessionState.AUTHORIZATION, Step.AUTHENTICATED): SessionState.TRANSACTION,
    # RFC 1939 6: QUIT in AUTHORIZATION ends the session without an UPDATE state;
    # the session closes the connection, the state stays AUTHORIZATION.
    (SessionState.AUTHORIZATION, Step.QUIT): SessionState.AUTHORIZATION,
    (SessionState.TRANSACTION, Step.QUIT): SessionState.UPDATE,
}


def transition(state: SessionState, step: Step) -> SessionState:
    try:
        return TRANSITIONS[(state, step)]
    except KeyError:
        raise ValueError(f"step {step} is not possible in state {state}") from None
