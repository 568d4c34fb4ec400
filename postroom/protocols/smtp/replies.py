"""Every reply the SMTP server sends, named, with enhanced status codes.

A `Reply` is a value: a three-digit code (RFC 5321 4.2), an enhanced status code
(RFC 3463, sent as RFC 2034 3 asks), and one or more text lines. Texts are fixed
and user-safe: they never echo client data, file paths or configuration. Only
the builders below take a parameter (host name, queue id, extension list, SASL
challenge), and `Reply` refuses any text with CR, LF or control characters, so
a parameter can never inject a second reply line.

Mappings live here, once: parse errors (`for_parse_error`), DATA/BDAT rejections
(`for_data_rejection`), refused address forms (`for_path_feature`) and the
protocol-neutral errors of `postroom.errors` (`for_error`).

Choices worth knowing:

- RFC 2034 3: no enhanced code on the greeting, on HELO/EHLO replies or on 3xx
  intermediate replies (354, 334).
- Bare CR/LF in message data and text lines over 1,000 octets are rejected after
  the final dot with `550 5.6.0` (media error; "5.6.11" is not in the IANA
  registry). A bare CR/LF in a command line is `500 5.5.2`.
- An over-long command line is `500 5.5.6` (RFC 5321 4.5.3.1.4 gives 500 "Line too
  long"; X.5.6 is RFC 4954's "line is too long" code).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence
from dataclasses import dataclass

from postroom import errors
from postroom.protocols.smtp.commands import ErrorKind, ParseError, PathFeature
from postroom.protocols.smtp.data import Rejection

MAX_REPLY_LINE = 512  # RFC 5321 4.5.3.1.5, including CRLF
_ENHANCED = re.compile(r"[245]\.[0-9]{1,3}\.[0-9]{1,3}")
_UNSAFE = re.compile(r"[\x00-\x1f\x7f]")
_HOSTNAME = re.compile(r"[A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f.:IPv]{2,60}\]")


@dataclass(frozen=True, slots=True)
class Reply:
    code: int
    enhanced: str | None
    lines: tuple[str, ...]

    def __post_init__(self) -> None:
        if not 200 <= self.code <= 599 or not self.lines:
            raise ValueError("invalid SMTP reply")
        if self.enhanced is not None and (
            not _ENHANCED.fullmatch(self.enhanced) or self.enhanced[0] != str(self.code)[0]
        ):
            raise ValueError("enhanced status code does not match the reply code")
        for line in self.lines:
            if not line.isascii() or _UNSAFE.search(line):
                raise ValueError("reply text must be printable ASCII")
            if len(line) + len(self.enhanced or "") + 7 > MAX_REPLY_LINE:
                raise ValueError("reply line too long")

    @property
    def is_positive(self) -> bool:
        return self.code < 400

    @property
    def is_transient(self) -> bool:
        return 400 <= self.code < 500

    @property
    def is_permanent(self) -> bool:
        return self.code >= 500

    @property
    def closes_connection(self) -> bool:
        """221 and 421 end the session (RFC 5321 3.8)."""
        return self.code in (221, 421)

    def to_bytes(self) -> bytes:
        """Wire form: `250-...` on every line but the last, `250 ...` on the last."""
        prefix = f"{self.enhanced} " if self.enhanced else ""
        last = len(self.lines) - 1
        rendered = (
            f"{self.code}{' ' if index == last else '-'}{prefix}{line}\r\n"
            for index, line in enumerate(self.lines)
        )
        return "".join(rendered).encode("ascii")

    def __str__(self) -> str:
        return self.to_bytes().decode("ascii").rstrip("\r\n")


def _r(code: int, enhanced: str | None, *lines: str) -> Reply:
    return Reply(code, enhanced, lines)


def _host(hostname: str) -> str:
    if not _HOSTNAME.fullmatch(hostname):
        raise ValueError("invalid host name for a reply")
    return hostname


# --- connection and greeting -------------------------------------------------------------


def ready(hostname: str) -> Reply:
    """The greeting (RFC 5321 4.3.1): 220, no enhanced code (RFC 2034 3)."""
    return _r(220, None, f"{_host(hostname)} ESMTP ready")


def helo_ok(hostname: str) -> Reply:
    return _r(250, None, _host(hostname))


def ehlo_ok(hostname: str, extensions: Sequence[str]) -> Reply:
    """RFC 5321 4.1.1.1: host name, then one extension keyword per line."""
    return Reply(250, None, (_host(hostname), *extensions))


def extensions(
    *,
    max_size: int | None,
    starttls: bool,
    auth_mechanisms: Sequence[str] = (),
    pipelining: bool = True,
    eight_bit_mime: bool = True,
    chunking: bool = True,
    binary_mime: bool = False,
    smtputf8: bool = True,
    enhanced_status_codes: bool = True,
) -> tuple[str, ...]:
    """The EHLO keywords, in a stable order. Offer STARTTLS only before TLS (RFC
    3207 4.2) and AUTH only where it may be used (RFC 4954 4)."""
    offered = [
        ("PIPELINING", pipelining),  # RFC 2920
        ("SIZE" if max_size is None else f"SIZE {max_size}", True),  # RFC 1870 4
        ("8BITMIME", eight_bit_mime),  # RFC 6152
        ("BINARYMIME", binary_mime and chunking),  # RFC 3030 3: needs CHUNKING
        ("CHUNKING", chunking),  # RFC 3030
        ("SMTPUTF8", smtputf8),  # RFC 6531
        ("ENHANCEDSTATUSCODES", enhanced_status_codes),  # RFC 2034
        ("STARTTLS", starttls),  # RFC 3207
        ("AUTH " + " ".join(auth_mechanisms), bool(auth_mechanisms)),  # RFC 4954
    ]
    return tuple(keyword for keyword, on in offered if on)


def bye(hostname: str | None = None) -> Reply:
    """221 to QUIT (RFC 5321 4.1.1.10)."""
    text = f"{_host(hostname)} closing connection" if hostname else "Bye"
    return _r(221, "2.0.0", text)


BYE = _r(221, "2.0.0", "Bye")
SERVICE_UNAVAILABLE = _r(421, "4.3.2", "Service not available, closing transmission channel")
SHUTTING_DOWN = _r(421, "4.3.2", "Server shutting down, try again later")
TOO_MANY_CONNECTIONS = _r(421, "4.7.0", "Too many connections, try again later")
TIMEOUT = _r(421, "4.4.2", "Timeout exceeded, closing connection")
TOO_MANY_ERRORS = _r(421, "4.7.0", "Too many errors, closing connection")

# --- general ---------------------------------------------------------------------------

OK = _r(250, "2.0.0", "OK")
HELP = _r(214, "2.0.0", "See the Postroom online help for client settings")
VRFY_NO_INFO = _r(252, "2.5.0", "Cannot VRFY user, but will accept message and attempt delivery")
EXPN_DISABLED = _r(502, "5.5.1", "EXPN is not available")
TEMP_FAILURE = _r(451, "4.3.0", "Temporary failure, try again later")
INSUFFICIENT_STORAGE = _r(452, "4.3.1", "Insufficient system storage, try again later")

# --- syntax and sequence (RFC 5321 4.2.2, RFC 3463 X.5.x) -----------------------------------

SYNTAX_ERROR = _r(500, "5.5.2", "Syntax error, command unrecognized")
BARE_LINEFEED = _r(500, "5.5.2", "Bare CR or LF is not allowed, use CRLF")
BAD_ENCODING = _r(500, "5.5.2", "Command contains invalid characters")
LINE_TOO_LONG = _r(500, "5.5.6", "Line too long")
PARAM_ERROR = _r(501, "5.5.4", "Syntax error in parameters or arguments")
NOT_IMPLEMENTED = _r(502, "5.5.1", "Command not supported here")
BAD_SEQUENCE = _r(503, "5.5.1", "Bad sequence of commands")
NEED_HELO = _r(503, "5.5.1", "Send HELO or EHLO first")
NEED_MAIL = _r(503, "5.5.1", "Need MAIL command first")
NEED_RCPT = _r(503, "5.5.1", "Need RCPT command first")
NESTED_MAIL = _r(503, "5.5.1", "Sender already specified")
DATA_AFTER_BDAT = _r(503, "5.5.1", "DATA cannot be used after BDAT")  # RFC 3030 2
NO_VALID_RECIPIENTS = _r(554, "5.5.1", "No valid recipients")  # RFC 5321 3.3
UNKNOWN_PARAMETER = _r(555, "5.5.4", "MAIL or RCPT parameter not recognized or not supported")
BAD_SENDER_SYNTAX = _r(501, "5.1.7", "Bad sender address syntax")
BAD_RECIPIENT_SYNTAX = _r(501, "5.1.3", "Bad recipient address syntax")
NON_ASCII_ADDRESS = _r(553, "5.6.7", "Non-ASCII addresses require SMTPUTF8")  # RFC 6531 3.5
BODY_NOT_SUPPORTED = _r(555, "5.5.4", "Requested BODY type is not supported")

# --- mail transaction ------------------------------------------------------------------

SENDER_OK = _r(250, "2.1.0", "Sender OK")
RECIPIENT_OK = _r(250, "2.1.5", "Recipient OK")
RESET_OK = _r(250, "2.0.0", "Reset OK")
START_DATA = _r(354, None, "End data with <CR><LF>.<CR><LF>")
QUEUED = _r(250, "2.0.0", "Message accepted for delivery")


def queued_as(queue_id: str) -> Reply:
    """250 after the final dot or BDAT LAST, naming the queue id for support."""
    if not re.fullmatch(r"[A-Za-z0-9._-]{1,64}", queue_id):
        raise ValueError("invalid queue id")
    return _r(250, "2.0.0", f"Message accepted for delivery as {queue_id}")


def chunk_ok(octets: int) -> Reply:
    """250 for a BDAT chunk that is not the last (RFC 3030 2)."""
    return _r(250, "2.0.0", f"{octets} octets received")


NO_SUCH_USER = _r(550, "5.1.1", "No such user here")
RELAY_DENIED = _r(550, "5.7.1", "Relaying denied")  # RFC 5321 3.6.2
SENDER_NOT_OWNED = _r(553, "5.7.1", "Sender address is not owned by the authenticated user")
POLICY_REJECTED = _r(550, "5.7.1", "Message rejected: policy check failed")
MAILBOX_FULL = _r(452, "4.2.2", "Mailbox full, try again later")
MAILBOX_FULL_PERMANENT = _r(552, "5.2.2", "Mailbox full")
MESSAGE_TOO_BIG = _r(552, "5.3.4", "Message size exceeds fixed maximum message size")  # RFC 1870
TOO_MANY_RECIPIENTS = _r(452, "4.5.3", "Too many recipients")  # RFC 5321 4.5.3.1.10
SENDING_SUSPENDED = _r(550, "5.7.1", "Sending from this account is suspended, ask your admin")
MESSAGE_BARE_LINE_ENDING = _r(550, "5.6.0", "Message contains a bare CR or LF, use CRLF")
MESSAGE_LINE_TOO_LONG = _r(550, "5.6.0", "Message contains a line longer than 1000 octets")
SOURCE_ROUTE_REFUSED = _r(553, "5.7.1", "Source routes are not accepted")
RELAY_TRICK_REFUSED = _r(553, "5.7.1", "Addresses with % or ! are not accepted")
QUOTED_LOCAL_PART_REFUSED = _r(553, "5.1.3", "Quoted local parts are not accepted")
ADDRESS_LITERAL_REFUSED = _r(553, "5.1.3", "Address literals are not accepted")
TRAILING_DOT_REFUSED = _r(553, "5.1.2", "Domain must not end with a dot")

# --- STARTTLS (RFC 3207) and AUTH (RFC 4954) ----------------------------------------------

TLS_READY = _r(220, "2.0.0", "Ready to start TLS")  # RFC 3207 4
TLS_NOT_AVAILABLE = _r(454, "4.7.0", "TLS not available due to temporary reason")
TLS_ALREADY_ACTIVE = _r(503, "5.5.1", "TLS already active")
ENCRYPTION_REQUIRED = _r(530, "5.7.0", "Must issue a STARTTLS command first")  # RFC 3207 4
ENCRYPTION_REQUIRED_FOR_MECHANISM = _r(
    538,
    "5.7.11",
    "Encryption required for requested authentication mechanism",  # RFC 4954 6
)
AUTH_OK = _r(235, "2.7.0", "Authentication successful")
SMTP_ACCESS_DISABLED = _r(535, "5.7.1", "SMTP access is not enabled for your organisation")
AUTH_FAILED = _r(535, "5.7.8", "Authentication credentials invalid")
AUTH_REQUIRED = _r(530, "5.7.0", "Authentication required")
AUTH_THROTTLED = _r(454, "4.7.0", "Too many failed attempts, try again later")
AUTH_TEMP_FAILURE = _r(454, "4.7.0", "Temporary authentication failure")
AUTH_CANCELLED = _r(501, "5.7.0", "Authentication cancelled")  # RFC 4954 4
AUTH_BAD_BASE64 = _r(501, "5.5.2", "Cannot decode response")  # RFC 4954 4
AUTH_UNKNOWN_MECHANISM = _r(504, "5.5.4", "Unrecognized authentication type")  # RFC 4954 6
AUTH_LINE_TOO_LONG = _r(500, "5.5.6", "Authentication exchange line is too long")
AUTH_NOT_ALLOWED = _r(503, "5.5.1", "Authentication not available here")
ALREADY_AUTHENTICATED = _r(503, "5.5.1", "Already authenticated")  # RFC 4954 4
AUTH_IN_TRANSACTION = _r(503, "5.5.1", "AUTH not permitted during a mail transaction")
AUTH_CHALLENGE_EMPTY = _r(334, None, "")


def auth_challenge(challenge: bytes) -> Reply:
    """334 with the base64 challenge (RFC 4954 4); b"" gives `334 `."""
    return _r(334, None, base64.b64encode(challenge).decode("ascii"))


LOGIN_USERNAME = auth_challenge(b"Username:")  # AUTH LOGIN (draft-murchison-sasl-login)
LOGIN_PASSWORD = auth_challenge(b"Password:")

# --- mappings -------------------------------------------------------------------------

_PARSE_ERRORS: dict[ErrorKind, Reply] = {
    ErrorKind.UNKNOWN_COMMAND: SYNTAX_ERROR,
    ErrorKind.NOT_IMPLEMENTED: NOT_IMPLEMENTED,
    ErrorKind.BARE_LINE_ENDING: BARE_LINEFEED,
    ErrorKind.BAD_ENCODING: BAD_ENCODING,
    ErrorKind.BAD_ARGUMENTS: PARAM_ERROR,
    ErrorKind.BAD_SENDER: BAD_SENDER_SYNTAX,
    ErrorKind.BAD_RECIPIENT: BAD_RECIPIENT_SYNTAX,
    ErrorKind.UNKNOWN_PARAMETER: UNKNOWN_PARAMETER,
    ErrorKind.NON_ASCII_ADDRESS: NON_ASCII_ADDRESS,
    ErrorKind.AUTH_BAD_BASE64: AUTH_BAD_BASE64,
}


def for_parse_error(error: ParseError | ErrorKind) -> Reply:
    kind = error.kind if isinstance(error, ParseError) else error
    return _PARSE_ERRORS[kind]


_REJECTIONS: dict[Rejection, Reply] = {
    Rejection.BARE_LINE_ENDING: MESSAGE_BARE_LINE_ENDING,
    Rejection.LINE_TOO_LONG: MESSAGE_LINE_TOO_LONG,
    Rejection.TOO_BIG: MESSAGE_TOO_BIG,
}


def for_data_rejection(rejection: Rejection) -> Reply:
    return _REJECTIONS[rejection]


_PATH_FEATURES: dict[PathFeature, Reply] = {
    PathFeature.SOURCE_ROUTE: SOURCE_ROUTE_REFUSED,
    PathFeature.PERCENT_HACK: RELAY_TRICK_REFUSED,
    PathFeature.BANG_PATH: RELAY_TRICK_REFUSED,
    PathFeature.QUOTED_LOCAL_PART: QUOTED_LOCAL_PART_REFUSED,
    PathFeature.ADDRESS_LITERAL: ADDRESS_LITERAL_REFUSED,
    PathFeature.TRAILING_DOT: TRAILING_DOT_REFUSED,
}


def for_path_feature(feature: PathFeature) -> Reply:
    return _PATH_FEATURES[feature]


_ERRORS: dict[type[errors.PostroomError], Reply] = {
    errors.OverQuota: MAILBOX_FULL,
    errors.OverAllocation: MAILBOX_FULL,
    errors.TemporaryFailure: TEMP_FAILURE,
    errors.NotFound: NO_SUCH_USER,
    errors.NotPermitted: POLICY_REJECTED,
    errors.LimitExceeded: MESSAGE_TOO_BIG,
    errors.Invalid: PARAM_ERROR,
    errors.AuthenticationFailed: AUTH_FAILED,
    errors.Throttled: AUTH_THROTTLED,
}


def for_error(error: errors.PostroomError) -> Reply:
    """The one mapping of protocol-neutral errors to SMTP (DESIGN 3). `NotFound` is
    read as an unknown recipient; anything unmapped is a temporary failure, so a
    bug never turns into a permanent bounce (DESIGN 5)."""
    for kind in type(error).__mro__:
        reply = _ERRORS.get(kind)
        if reply is not None:
            return reply
    return TEMP_FAILURE
