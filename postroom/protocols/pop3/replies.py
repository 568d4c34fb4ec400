"""Every POP3 response, named: `+OK` / `-ERR` lines, response codes, multi-line bodies.

A `Reply` is one status line (RFC 1939 3). `-ERR` replies may carry a response
code in brackets (RFC 2449 8: [IN-USE], [LOGIN-DELAY]; RFC 3206: [SYS/TEMP],
[SYS/PERM], [AUTH]). Texts are fixed and user-safe; the few builders that take a
parameter accept numbers or checked tokens only, and `Reply` refuses CR, LF and
control characters so nothing can forge a second line.

Multi-line responses (`multiline`, `capabilities`, `list_all`, `uidl_all`) end
with `.<CRLF>` and dot-stuff their lines (RFC 1939 3). Message bodies for RETR and
TOP are streamed by `postroom.protocols.pop3.dotstuff`, never built here.

Mappings live here, once: parse errors (`for_parse_error`) and the protocol-neutral
errors of `postroom.errors` (`for_error`).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from postroom import errors
from postroom.protocols.pop3.commands import ErrorKind, ParseError

MAX_REPLY_LINE = 512  # RFC 2449 4, including CRLF
_UNSAFE = re.compile(r"[\x00-\x1f\x7f]")
_UID = re.compile(r"[\x21-\x7e]{1,70}")  # RFC 1939 7 (UIDL)


class ResponseCode(StrEnum):
    IN_USE = "IN-USE"  # RFC 2449 8.1.2
    LOGIN_DELAY = "LOGIN-DELAY"  # RFC 2449 8.1.1
    SYS_TEMP = "SYS/TEMP"  # RFC 3206 4
    SYS_PERM = "SYS/PERM"  # RFC 3206 4
    AUTH = "AUTH"  # RFC 3206 5


@dataclass(frozen=True, slots=True)
class Reply:
    ok: bool
    text: str = ""
    code: ResponseCode | None = None

    def __post_init__(self) -> None:
        if self.ok and self.code is not None:
            raise ValueError("response codes go on -ERR replies only (RFC 2449 8)")
        if not self.text.isascii() or _UNSAFE.search(self.text):
            raise ValueError("reply text must be printable ASCII")
        if len(self.to_bytes()) > MAX_REPLY_LINE:
            raise ValueError("reply too long")

    def to_bytes(self) -> bytes:
        parts = ["+OK" if self.ok else "-ERR"]
        if self.code is not None:
            parts.append(f"[{self.code}]")
        if self.text:
            parts.append(self.text)
        return (" ".join(parts) + "\r\n").encode("ascii")

    def __str__(self) -> str:
        return self.to_bytes().decode("ascii").rstrip("\r\n")


def _ok(text: str = "") -> Reply:
    return Reply(True, text)


def _err(text: str, code: ResponseCode | None = None) -> Reply:
    return Reply(False, text, code)


TERMINATOR = b".\r\n"


def multiline(first: Reply, lines: Iterable[str]) -> bytes:
    """A status line, the lines dot-stuffed, and the `.` line (RFC 1939 3)."""
    out = [first.to_bytes()]
    for line in lines:
        if "\r" in line or "\n" in line:
            raise ValueError("a line of a multi-line response must not contain CR or LF")
        encoded = line.encode("utf-8")
        out.append((b"." if encoded.startswith(b".") else b"") + encoded + b"\r\n")
    out.append(TERMINATOR)
    return b"".join(out)


# --- greeting, capabilities, session end ----------------------------------------------

GREETING = _ok("POP3 server ready")  # RFC 1939 4 (no APOP timestamp: APOP is refused)
BYE = _ok("Bye")  # RFC 1939 6
BYE_UPDATE_FAILED = _err("Some deleted messages were not removed", ResponseCode.SYS_TEMP)
TOO_MANY_CONNECTIONS = _err("Too many connections, try again later", ResponseCode.SYS_TEMP)
SHUTTING_DOWN = _err("Server shutting down, try again later", ResponseCode.SYS_TEMP)
TIMEOUT = _err("Timeout, closing connection")

CAPA_OK = _ok("Capability list follows")


def capabilities(
    *,
    stls: bool,
    user: bool,
    sasl: Sequence[str] = (),
    pipelining: bool = True,
    expire: str | None = None,
    implementation: str | None = None,
) -> bytes:
    """The CAPA response (RFC 2449 5, 6). Offer STLS only before TLS (RFC 2595 4);
    offer USER and SASL PLAIN only where plaintext login is allowed. `expire` is
    `NEVER` or a number of days (RFC 2449 6.7)."""
    offered = [
        ("TOP", True),  # RFC 2449 6.1
        ("UIDL", True),  # RFC 2449 6.6
        ("RESP-CODES", True),  # RFC 2449 6.4
        ("AUTH-RESP-CODE", True),  # RFC 3206 6
        ("PIPELINING", pipelining),  # RFC 2449 6.6
        ("USER", user),  # RFC 2449 6.3
        ("STLS", stls),  # RFC 2595 4
        ("SASL " + " ".join(sasl), bool(sasl)),  # RFC 5034 5
        (f"EXPIRE {expire}", expire is not None),  # RFC 2449 6.7
        (f"IMPLEMENTATION {implementation}", implementation is not None),
    ]
    return multiline(CAPA_OK, [name for name, on in offered if on])


# --- authorization state ---------------------------------------------------------------

USER_OK = _ok("Send PASS")
NEED_USER = _err("Send USER first")
AUTH_OK = _ok("Logged in")
# RFC 3206 5: [AUTH] says the credentials are wrong; one reply for unknown user and
# wrong password (DESIGN 5).
AUTH_FAILED = _err("Authentication failed", ResponseCode.AUTH)
AUTH_THROTTLED = _err("Too many failed attempts, try again later", ResponseCode.SYS_TEMP)
LOGIN_DELAY = _err("Logging in too soon after the last login", ResponseCode.LOGIN_DELAY)
IN_USE = _err("Mailbox is in use by another POP3 session", ResponseCode.IN_USE)
ACCOUNT_DISABLED = _err("Account is not active", ResponseCode.SYS_PERM)
ENCRYPTION_REQUIRED = _err("Plaintext authentication requires TLS, use STLS", ResponseCode.AUTH)
APOP_NOT_SUPPORTED = _err("APOP is not supported")
AUTH_CANCELLED = _err("Authentication cancelled")  # RFC 5034 4
AUTH_UNKNOWN_MECHANISM = _err("Unsupported authentication mechanism")
AUTH_BAD_BASE64 = _err("Invalid base64 data")
ALREADY_AUTHENTICATED = _err("Already authenticated")
TLS_READY = _ok("Begin TLS negotiation")  # RFC 2595 4
TLS_NOT_AVAILABLE = _err("TLS not available", ResponseCode.SYS_TEMP)
TLS_ALREADY_ACTIVE = _err("TLS already active")


def sasl_challenge(challenge: bytes) -> bytes:
    """`+ base64` continuation (RFC 5034 4); b"" gives `+ `."""
    return b"+ " + base64.b64encode(challenge) + b"\r\n"


def sasl_mechanisms(mechanisms: Sequence[str]) -> bytes:
    """Answer to AUTH without arguments: the mechanism list (RFC 1734 practice)."""
    return multiline(_ok("Mechanisms follow"), mechanisms)


# --- transaction state -----------------------------------------------------------------

OK = _ok()
NOOP_OK = _ok()
DELETED = _ok("Message deleted")
RESET_OK = _ok("Deleted messages restored")
NO_SUCH_MESSAGE = _err("No such message")
MESSAGE_DELETED = _err("Message is deleted")
MESSAGE_UNAVAILABLE = _err("Message is temporarily unavailable", ResponseCode.SYS_TEMP)
TEMP_FAILURE = _err("Temporary failure, try again later", ResponseCode.SYS_TEMP)


def stat_ok(count: int, octets: int) -> Reply:
    """RFC 1939 5 STAT: `+OK count octets` (sizes as `dotstuff.wire_size`)."""
    return _ok(f"{_count(count)} {_count(octets)}")


def list_ok(message: int, octets: int) -> Reply:
    """RFC 1939 5 LIST msg: `+OK msg octets`."""
    return _ok(f"{_count(message)} {_count(octets)}")


def list_all(entries: Iterable[tuple[int, int]], count: int, octets: int) -> bytes:
    """RFC 1939 5 LIST: one `msg octets` line per undeleted message."""
    first = _ok(f"{_count(count)} messages ({_count(octets)} octets)")
    return multiline(first, (f"{_count(n)} {_count(size)}" for n, size in entries))


def uidl_ok(message: int, uid: str) -> Reply:
    """RFC 1939 7 UIDL msg: `+OK msg uid`."""
    return _ok(f"{_count(message)} {_uid(uid)}")


def uidl_all(entries: Iterable[tuple[int, str]]) -> bytes:
    return multiline(_ok(), (f"{_count(n)} {_uid(uid)}" for n, uid in entries))


def retr_ok(octets: int) -> Reply:
    """Status line before a RETR body (RFC 1939 7)."""
    return _ok(f"{_count(octets)} octets")


TOP_OK = _ok("Top of message follows")


def _count(value: int) -> int:
    if value < 0:
        raise ValueError("counts are not negative")
    return value


def _uid(uid: str) -> str:
    if not _UID.fullmatch(uid):
        raise ValueError("a UIDL unique id is 1 to 70 printable ASCII characters")
    return uid


# --- errors ----------------------------------------------------------------------------

UNKNOWN_COMMAND = _err("Unknown command")
BAD_SYNTAX = _err("Invalid arguments")
ARGUMENT_TOO_LONG = _err("Argument too long")
LINE_TOO_LONG = _err("Line too long")
BAD_STATE = _err("Command not valid in this state")

_PARSE_ERRORS: dict[ErrorKind, Reply] = {
    ErrorKind.UNKNOWN_COMMAND: UNKNOWN_COMMAND,
    ErrorKind.BAD_SYNTAX: BAD_SYNTAX,
    ErrorKind.ARGUMENT_TOO_LONG: ARGUMENT_TOO_LONG,
    ErrorKind.BAD_BASE64: AUTH_BAD_BASE64,
}


def for_parse_error(error: ParseError | ErrorKind) -> Reply:
    kind = error.kind if isinstance(error, ParseError) else error
    return _PARSE_ERRORS[kind]


_ERRORS: dict[type[errors.PostroomError], Reply] = {
    errors.AuthenticationFailed: AUTH_FAILED,
    errors.Throttled: AUTH_THROTTLED,
    errors.NotFound: NO_SUCH_MESSAGE,
    errors.NotPermitted: ACCOUNT_DISABLED,
    errors.TemporaryFailure: TEMP_FAILURE,
    errors.Invalid: BAD_SYNTAX,
}


def for_error(error: errors.PostroomError) -> Reply:
    """The one mapping of protocol-neutral errors to POP3 (DESIGN 3); anything
    unmapped is a temporary failure."""
    for kind in type(error).__mro__:
        reply = _ERRORS.get(kind)
        if reply is not None:
            return reply
    return TEMP_FAILURE
