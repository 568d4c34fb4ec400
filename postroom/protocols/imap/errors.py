"""The one place where errors become IMAP status responses (DESIGN 3, STYLE habit 5).

Handlers raise the protocol-neutral errors of ``postroom.errors`` (or the two IMAP-only
ones below); the dispatcher calls ``reply_for`` once and writes the result. Texts are
fixed and user-safe: the error's own message is shown only for errors whose message is
written for the user (``Invalid``, ``NotPermitted`` ...), never for storage trouble.

Response codes: RFC 5530 (ALREADYEXISTS, NONEXISTENT, OVERQUOTA, UNAVAILABLE, LIMIT,
CANNOT, AUTHENTICATIONFAILED, PRIVACYREQUIRED, ...), RFC 7889 (TOOBIG), RFC 9051 7.1.
"""

from __future__ import annotations

from postroom.errors import (
    AlreadyExists,
    AuthenticationFailed,
    Invalid,
    LimitExceeded,
    NotFound,
    NotPermitted,
    OverAllocation,
    OverQuota,
    PostroomError,
    TemporaryFailure,
    Throttled,
)

from . import responses as r

__all__ = ["BadArguments", "CommandFailed", "reply_for"]


class BadArguments(Exception):
    """The command is syntactically valid but its arguments are wrong: tagged BAD
    (RFC 9051 7.1.3), e.g. a message sequence number above the message count."""

    def __init__(self, message: str, code: r.Code | None = None) -> None:
        super().__init__(message)
        self.message, self.code = message, code


class CommandFailed(Exception):
    """A tagged NO with a given code and text (TRYCREATE, READ-ONLY ...)."""

    def __init__(self, message: str, code: r.Code | r.ResponseCode | None = None) -> None:
        super().__init__(message)
        self.message, self.code = message, code


# (error class, code, fixed text or None to show the error's own message)
_TABLE: tuple[tuple[type[PostroomError], r.Code | None, str | None], ...] = (
    (OverQuota, r.Code.OVERQUOTA, "Mailbox is over quota"),
    (OverAllocation, r.Code.OVERQUOTA, "The organisation's allocation is used up"),
    (NotFound, r.Code.NONEXISTENT, "No such mailbox"),
    (AlreadyExists, r.Code.ALREADYEXISTS, "Mailbox already exists"),
    (TemporaryFailure, r.Code.UNAVAILABLE, "Temporary failure, try again later"),
    (Throttled, r.Code.UNAVAILABLE, "Too many failed attempts, try again later"),
    (AuthenticationFailed, r.Code.AUTHENTICATIONFAILED, "Authentication failed"),
    (LimitExceeded, r.Code.LIMIT, None),
    (NotPermitted, r.Code.CANNOT, None),
    (Invalid, r.Code.CANNOT, None),
)


def reply_for(tag: str, error: BaseException) -> bytes:
    """The tagged response for an error raised by a handler."""
    if isinstance(error, BadArguments):
        return r.bad(tag, error.message, error.code)
    if isinstance(error, CommandFailed):
        return r.no(tag, error.message, error.code)
    if isinstance(error, LimitExceeded) and "too large" in error.message:
        return r.no(tag, "Message too large", r.Code.TOOBIG)  # RFC 7889 4
    for cls, code, text in _TABLE:
        if isinstance(error, cls):
            return r.no(tag, text or error.message, code)
    if isinstance(error, PostroomError):
        return r.no(tag, "Operation failed", r.Code.SERVERBUG)
    raise error
