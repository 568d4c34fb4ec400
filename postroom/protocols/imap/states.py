"""IMAP session states and the commands allowed in each, as data (RFC 3501 3, RFC 9051 3).

The dispatcher calls ``is_allowed(state, command.name)`` once per command; handlers never
check the state themselves (STYLE habit 2). Command names are the ``name`` class
attribute of the command dataclasses in ``command_types`` (``"FETCH"`` also covers
``UID FETCH``; ``UID EXPUNGE`` has its own name because plain EXPUNGE is a different
command).

Invariants:
- Every name in ``ALLOWED`` is a command the parser can produce, and vice versa
  (tested). LOGOUT state allows nothing: the server closes the connection.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["ALLOWED", "State", "allowed_commands", "is_allowed"]


class State(StrEnum):
    NOT_AUTHENTICATED = "not authenticated"
    AUTHENTICATED = "authenticated"
    SELECTED = "selected"
    LOGOUT = "logout"


# RFC 9051 6.1: valid in any state. ID (RFC 2971 3.1) is valid in any state as well.
_ANY = frozenset({"CAPABILITY", "NOOP", "LOGOUT", "ID"})

# RFC 9051 6.2 (+ RFC 4959 SASL-IR through AUTHENTICATE).
_NOT_AUTHENTICATED = _ANY | {"STARTTLS", "AUTHENTICATE", "LOGIN"}

# RFC 9051 6.3; IDLE RFC 2177; NAMESPACE RFC 2342; QUOTA RFC 9208 4.
_AUTHENTICATED = _ANY | {
    "ENABLE",  # RFC 5161 3.1: authenticated state only
    "SELECT",
    "EXAMINE",
    "CREATE",
    "DELETE",
    "RENAME",
    "SUBSCRIBE",
    "UNSUBSCRIBE",
    "LIST",
    "LSUB",
    "NAMESPACE",
    "STATUS",
    "APPEND",
    "IDLE",
    "GETQUOTA",
    "GETQUOTAROOT",
}

# RFC 9051 6.4; ENABLE is not valid here (RFC 5161 3.1).
_SELECTED = (_AUTHENTICATED - {"ENABLE"}) | {
    "CHECK",  # RFC 3501 6.4.1 (removed in RFC 9051, still accepted)
    "CLOSE",
    "UNSELECT",  # RFC 3691
    "EXPUNGE",
    "UID EXPUNGE",  # RFC 4315 2.1
    "SEARCH",
    "FETCH",
    "STORE",
    "COPY",
    "MOVE",  # RFC 6851
    "SORT",  # RFC 5256
    "THREAD",  # RFC 5256
}

ALLOWED: dict[State, frozenset[str]] = {
    State.NOT_AUTHENTICATED: frozenset(_NOT_AUTHENTICATED),
    State.AUTHENTICATED: frozenset(_AUTHENTICATED),
    State.SELECTED: frozenset(_SELECTED),
    State.LOGOUT: frozenset(),
}


def allowed_commands(state: State) -> frozenset[str]:
    """The command names valid in ``state``."""
    return ALLOWED[state]


def is_allowed(state: State, name: str) -> bool:
    """Whether command ``name`` (upper case, e.g. ``"UID EXPUNGE"``) may run in ``state``."""
    return name in ALLOWED[state]
