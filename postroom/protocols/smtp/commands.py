"""SMTP command phase, sans-I/O: line framing and one typed command per verb.

`CommandReader` turns the bytes a client sends outside DATA/BDAT into events:
a command dataclass (`Ehlo`, `Mail`, `Rcpt`, ...), `AuthResponse` / `AuthCancel`
for SASL continuation lines, `LineTooLong`, or `ParseError` (a kind, never a
reply: `replies.for_parse_error` maps kinds to replies, so this module imports
only the stdlib).

Invariants:

- Only CRLF ends a command line. A bare CR or bare LF is never a line end: the
  line runs on to the next CRLF and the whole line is reported as
  `ParseError(BARE_LINE_ENDING)` (SMTP smuggling defence, RFC 5321 2.3.8).
- A line longer than the limit (512 octets with CRLF, RFC 5321 4.5.3.1.4;
  12,288 for AUTH and SASL responses, RFC 4954 4) yields one `LineTooLong`; the
  rest of it is dropped as it arrives, up to and including the next CRLF, and
  never buffered. So `buffered` stays below the limit once events are drained.
- Parsing is lazy: a line is parsed when `next_event` returns it, so a session
  may call `expect_auth_response()` after an `Auth` event and have the next
  pipelined line read as a SASL response.
- Parsing is syntax only. Policy (relay tricks, SMTPUTF8 on RCPT, advertised
  extensions, DSN support) belongs to the session; `Path` exposes what it needs.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import ClassVar

# Re-exported: paths and parameters used to live here, and callers import them from here.
from postroom.protocols.smtp.paths import (
    DOMAIN_LIMIT,
    ENVID_LIMIT,
    LOCAL_PART_LIMIT,
    NULL_PATH,
    ORCPT_LIMIT,
    PATH_LIMIT,
    BodyType,
    MailParams,
    Notify,
    ParamError,
    ParamProblem,
    Path,
    PathFeature,
    RcptParams,
    Ret,
    address_literal_error,
    decode_xtext,
    domain_error,
    parse_mail_params,
    parse_path,
    parse_rcpt_params,
)

DEFAULT_LINE_LIMIT = 512  # RFC 5321 4.5.3.1.4, including CRLF
DEFAULT_AUTH_LINE_LIMIT = 12288  # RFC 4954 4, including CRLF

CR = 0x0D

__all__ = [
    "DOMAIN_LIMIT", "ENVID_LIMIT", "LOCAL_PART_LIMIT", "NULL_PATH", "ORCPT_LIMIT",
    "PATH_LIMIT", "BodyType", "MailParams", "Notify", "Path", "PathFeature", "RcptParams",
    "Ret", "decode_xtext", "parse_path",
]


class Verb(StrEnum):
    EHLO = "EHLO"
    HELO = "HELO"
    MAIL = "MAIL"
    RCPT = "RCPT"
    DATA = "DATA"
    BDAT = "BDAT"
    RSET = "RSET"
    NOOP = "NOOP"
    QUIT = "QUIT"
    VRFY = "VRFY"
    EXPN = "EXPN"
    HELP = "HELP"
    STARTTLS = "STARTTLS"
    AUTH = "AUTH"


class ErrorKind(StrEnum):
    """Why a line could not be parsed; `replies.for_parse_error` gives the reply."""

    UNKNOWN_COMMAND = "unknown-command"
    NOT_IMPLEMENTED = "not-implemented"
    BARE_LINE_ENDING = "bare-line-ending"
    BAD_ENCODING = "bad-encoding"
    BAD_ARGUMENTS = "bad-arguments"
    BAD_SENDER = "bad-sender"
    BAD_RECIPIENT = "bad-recipient"
    UNKNOWN_PARAMETER = "unknown-parameter"
    NON_ASCII_ADDRESS = "non-ascii-address"
    AUTH_BAD_BASE64 = "auth-bad-base64"


@dataclass(frozen=True, slots=True)
class Ehlo:
    verb: ClassVar[Verb] = Verb.EHLO
    domain: str
    is_address_literal: bool = False


@dataclass(frozen=True, slots=True)
class Helo:
    verb: ClassVar[Verb] = Verb.HELO
    domain: str
    is_address_literal: bool = False


@dataclass(frozen=True, slots=True)
class Mail:
    verb: ClassVar[Verb] = Verb.MAIL
    path: Path
    params: MailParams = field(default_factory=MailParams)


@dataclass(frozen=True, slots=True)
class Rcpt:
    verb: ClassVar[Verb] = Verb.RCPT
    path: Path
    params: RcptParams = field(default_factory=RcptParams)


@dataclass(frozen=True, slots=True)
class Data:
    verb: ClassVar[Verb] = Verb.DATA


@dataclass(frozen=True, slots=True)
class Bdat:
    verb: ClassVar[Verb] = Verb.BDAT
    size: int
    last: bool = False


@dataclass(frozen=True, slots=True)
class Rset:
    verb: ClassVar[Verb] = Verb.RSET


@dataclass(frozen=True, slots=True)
class Noop:
    verb: ClassVar[Verb] = Verb.NOOP


@dataclass(frozen=True, slots=True)
class Quit:
    verb: ClassVar[Verb] = Verb.QUIT


@dataclass(frozen=True, slots=True)
class Vrfy:
    verb: ClassVar[Verb] = Verb.VRFY
    argument: str


@dataclass(frozen=True, slots=True)
class Expn:
    verb: ClassVar[Verb] = Verb.EXPN
    argument: str


@dataclass(frozen=True, slots=True)
class Help:
    verb: ClassVar[Verb] = Verb.HELP
    topic: str | None = None


@dataclass(frozen=True, slots=True)
class StartTls:
    verb: ClassVar[Verb] = Verb.STARTTLS


@dataclass(frozen=True, slots=True)
class Auth:
    verb: ClassVar[Verb] = Verb.AUTH
    mechanism: str  # upper-cased SASL mechanism name
    initial_response: bytes | None = None  # RFC 4954 4: "=" gives b""


Command = (
    Ehlo
    | Helo
    | Mail
    | Rcpt
    | Data
    | Bdat
    | Rset
    | Noop
    | Quit
    | Vrfy
    | Expn
    | Help
    | StartTls
    | Auth
)


@dataclass(frozen=True, slots=True)
class AuthResponse:
    """A SASL continuation line, base64-decoded (RFC 4954 4)."""

    data: bytes


@dataclass(frozen=True, slots=True)
class AuthCancel:
    """The client sent `*` to cancel the exchange (RFC 4954 4): answer 501."""


@dataclass(frozen=True, slots=True)
class LineTooLong:
    """A line exceeded `limit` octets: `LINE_TOO_LONG`, or `AUTH_LINE_TOO_LONG` in AUTH."""

    limit: int


@dataclass(frozen=True, slots=True)
class ParseError:
    kind: ErrorKind
    verb: Verb | None = None
    detail: str = ""  # fixed text for logs, never client data


Event = Command | AuthResponse | AuthCancel | LineTooLong | ParseError


class CommandReader:
    """Incremental CRLF line reader for the SMTP command phase.

    Use: `feed(bytes)` what the socket gave, then call `next_event()` until it
    returns None (needs more bytes). Read from the socket only when it does, so
    the buffer holds at most one line plus one read. Before switching to the
    DATA or BDAT reader, take the pipelined bytes with `take_unread()`.
    """

    def __init__(
        self,
        *,
        line_limit: int = DEFAULT_LINE_LIMIT,
        auth_line_limit: int = DEFAULT_AUTH_LINE_LIMIT,
        allow_utf8: bool = True,
    ) -> None:
        self.line_limit = line_limit
        self.auth_line_limit = auth_line_limit
        self.allow_utf8 = allow_utf8  # the server advertises SMTPUTF8
        self._buffer = bytearray()
        self._discarding = False
        self._discard_cr = False  # the dropped bytes ended with CR
        self._expect_auth = False

    @property
    def buffered(self) -> int:
        return len(self._buffer)

    def feed(self, data: bytes) -> None:
        self._buffer += data

    def expect_auth_response(self) -> None:
        """Read the next line as a SASL response (one line only)."""
        self._expect_auth = True

    def take_unread(self) -> bytes:
        """Hand over the bytes not yet read as lines (start of DATA or BDAT)."""
        data = bytes(self._buffer)
        self._buffer.clear()
        return data

    def next_event(self) -> Event | None:
        if self._discarding and not self._discard():
            return None
        limit = self._limit()
        end = self._buffer.find(b"\r\n")
        if end < 0:
            if len(self._buffer) >= limit:  # no CRLF can come within the limit
                return self._overflow(limit)
            return None
        expect_auth, self._expect_auth = self._expect_auth, False
        line = bytes(self._buffer[:end])
        del self._buffer[: end + 2]
        if end + 2 > limit:
            return LineTooLong(limit)
        if b"\r" in line or b"\n" in line:
            return ParseError(ErrorKind.BARE_LINE_ENDING, None, "bare CR or LF in line")
        if expect_auth:
            return parse_auth_response(line)
        return parse_command(line, allow_utf8=self.allow_utf8)

    def _limit(self) -> int:
        if self._expect_auth or self._buffer[:5].upper() == b"AUTH ":
            return self.auth_line_limit
        return self.line_limit

    def _overflow(self, limit: int) -> LineTooLong:
        self._discard_cr = self._buffer[-1] == CR
        self._buffer.clear()
        self._discarding = True
        self._expect_auth = False
        return LineTooLong(limit)

    def _discard(self) -> bool:
        """Drop the rest of an over-long line; True once its CRLF was seen."""
        if self._discard_cr and self._buffer[:1] == b"\n":
            del self._buffer[:1]
            self._discarding = self._discard_cr = False
            return True
        end = self._buffer.find(b"\r\n")
        if end >= 0:
            del self._buffer[: end + 2]
            self._discarding = self._discard_cr = False
            return True
        if self._buffer:
            self._discard_cr = self._buffer[-1] == CR
            self._buffer.clear()
        return False


# --- command lines --------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_UNIMPLEMENTED = frozenset({"TURN", "ETRN", "ATRN", "SEND", "SOML", "SAML", "VERB"})
_SASL_MECH = re.compile(r"[A-Z0-9_-]{1,20}")  # RFC 4422 3.1
_DIGITS = re.compile(r"[0-9]{1,20}")


def parse_command(line: bytes, *, allow_utf8: bool = True) -> Command | ParseError:
    """Parse one command line (without its CRLF)."""
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        return ParseError(ErrorKind.BAD_ENCODING, None, "line is not UTF-8")
    if _CONTROL.search(text):
        return ParseError(ErrorKind.BAD_ENCODING, None, "control character in line")
    name, _, rest = text.rstrip(" ").partition(" ")
    name = name.upper()
    try:
        verb = Verb(name)
    except ValueError:
        kind = ErrorKind.NOT_IMPLEMENTED if name in _UNIMPLEMENTED else ErrorKind.UNKNOWN_COMMAND
        return ParseError(kind, None, "command not recognised")
    return _PARSERS[verb](rest, allow_utf8)


def parse_auth_response(line: bytes) -> AuthResponse | AuthCancel | ParseError:
    """A SASL continuation line: base64 or `*` to cancel (RFC 4954 4)."""
    if line == b"*":
        return AuthCancel()
    data = _b64decode(line)
    if data is None:
        return ParseError(ErrorKind.AUTH_BAD_BASE64, Verb.AUTH, "response is not base64")
    return AuthResponse(data)


def _b64decode(text: bytes | str) -> bytes | None:
    """Strict RFC 4648 4 base64: only the canonical encoding of some octets."""
    raw = text.encode("ascii", "replace") if isinstance(text, str) else text
    try:
        data = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        return None
    return data if base64.b64encode(data) == raw else None


def _bad(verb: Verb, detail: str, kind: ErrorKind = ErrorKind.BAD_ARGUMENTS) -> ParseError:
    return ParseError(kind, verb, detail)


def _no_args(verb: Verb, command: Command) -> Callable[[str, bool], Command | ParseError]:
    # RFC 5321 4.1.1.4 (DATA), 4.1.1.5 (RSET), 4.1.1.10 (QUIT); RFC 3207 4 (STARTTLS)
    def parse(rest: str, allow_utf8: bool) -> Command | ParseError:
        return _bad(verb, "takes no arguments") if rest else command

    return parse


def _parse_hello(verb: Verb) -> Callable[[str, bool], Command | ParseError]:
    # RFC 5321 4.1.1.1: EHLO Domain / address-literal. Underscores are tolerated
    # because many Windows hosts put them in their names.
    def parse(rest: str, allow_utf8: bool) -> Command | ParseError:
        if not rest or " " in rest:
            return _bad(verb, "needs one domain")
        if rest.startswith("["):
            if address_literal_error(rest):
                return _bad(verb, "invalid address literal")
            literal = True
        else:
            if domain_error(rest.removesuffix("."), allow_utf8, underscore=True):
                return _bad(verb, "invalid domain")
            literal = False
        return Ehlo(rest, literal) if verb is Verb.EHLO else Helo(rest, literal)

    return parse


def _parse_bdat(rest: str, allow_utf8: bool) -> Command | ParseError:
    # RFC 3030 2: "BDAT" SP chunk-size [ SP end-marker ]
    parts = rest.split(" ")
    if not _DIGITS.fullmatch(parts[0]) or len(parts) > 2:
        return _bad(Verb.BDAT, "needs a chunk size")
    if len(parts) == 2 and parts[1].upper() != "LAST":
        return _bad(Verb.BDAT, "only LAST may follow the size")
    return Bdat(int(parts[0]), len(parts) == 2)


def _parse_auth(rest: str, allow_utf8: bool) -> Command | ParseError:
    # RFC 4954 4: AUTH mechanism [initial-response]
    parts = rest.split(" ")
    mechanism = parts[0].upper()
    if not _SASL_MECH.fullmatch(mechanism) or len(parts) > 2:
        return _bad(Verb.AUTH, "needs a mechanism")
    if len(parts) == 1:
        return Auth(mechanism)
    if parts[1] == "=":
        return Auth(mechanism, b"")
    data = _b64decode(parts[1])
    if data is None:
        return _bad(Verb.AUTH, "initial response is not base64", ErrorKind.AUTH_BAD_BASE64)
    return Auth(mechanism, data)


def _parse_string_arg(verb: Verb) -> Callable[[str, bool], Command | ParseError]:
    # RFC 5321 4.1.1.6 (VRFY), 4.1.1.7 (EXPN): one String argument
    def parse(rest: str, allow_utf8: bool) -> Command | ParseError:
        if not rest:
            return _bad(verb, "needs an argument")
        return Vrfy(rest) if verb is Verb.VRFY else Expn(rest)

    return parse


def _parse_mail(rest: str, allow_utf8: bool) -> Command | ParseError:
    # RFC 5321 4.1.1.2: "MAIL FROM:" Reverse-path [SP Mail-parameters]
    split = _split_path_argument(rest, "FROM:")
    if split is None:
        return _bad(Verb.MAIL, "expected FROM:<address>", ErrorKind.BAD_SENDER)
    inside, params_text = split
    mail_params = parse_mail_params(params_text, allow_utf8)
    if isinstance(mail_params, ParamError):
        return _param_error(Verb.MAIL, mail_params)
    path = _path_or_error(Verb.MAIL, inside, allow_utf8)
    if isinstance(path, ParseError):
        return path
    if path.is_utf8 and not mail_params.smtputf8:  # RFC 6531 3.4
        return _bad(Verb.MAIL, "non-ASCII address without SMTPUTF8", ErrorKind.NON_ASCII_ADDRESS)
    return Mail(path, mail_params)


def _parse_rcpt(rest: str, allow_utf8: bool) -> Command | ParseError:
    # RFC 5321 4.1.1.3: "RCPT TO:" ( "<Postmaster@" Domain ">" / "<Postmaster>" /
    # Forward-path ) [SP Rcpt-parameters]. Whether a non-ASCII recipient is allowed
    # depends on the transaction's SMTPUTF8 parameter: the session checks `is_utf8`.
    split = _split_path_argument(rest, "TO:")
    if split is None:
        return _bad(Verb.RCPT, "expected TO:<address>", ErrorKind.BAD_RECIPIENT)
    inside, params_text = split
    rcpt_params = parse_rcpt_params(params_text, allow_utf8)
    if isinstance(rcpt_params, ParamError):
        return _param_error(Verb.RCPT, rcpt_params)
    path = _path_or_error(Verb.RCPT, inside, allow_utf8)
    if isinstance(path, ParseError):
        return path
    return Rcpt(path, rcpt_params)


_PARAM_KINDS = {
    ParamProblem.MALFORMED: ErrorKind.BAD_ARGUMENTS,
    ParamProblem.ENCODING: ErrorKind.BAD_ENCODING,
    ParamProblem.UNKNOWN: ErrorKind.UNKNOWN_PARAMETER,
}


def _param_error(verb: Verb, error: ParamError) -> ParseError:
    return ParseError(_PARAM_KINDS[error.problem], verb, error.detail)


def _path_or_error(verb: Verb, inside: str, allow_utf8: bool) -> Path | ParseError:
    if not allow_utf8 and not inside.isascii():  # RFC 6531 3.5: 553 5.6.7
        return _bad(verb, "non-ASCII address", ErrorKind.NON_ASCII_ADDRESS)
    sender = verb is Verb.MAIL
    path = parse_path(inside, allow_utf8=allow_utf8, null_ok=sender, postmaster_ok=not sender)
    if isinstance(path, str):
        return _bad(verb, path, ErrorKind.BAD_SENDER if sender else ErrorKind.BAD_RECIPIENT)
    return path


def _split_path_argument(rest: str, keyword: str) -> tuple[str, str] | None:
    """Split `FROM:<path> params` into the text inside <> and the parameters.

    Spaces after the colon are tolerated (common client habit, not RFC 5321).
    """
    if rest[: len(keyword)].upper() != keyword:
        return None
    text = rest[len(keyword) :].lstrip(" ")
    if not text.startswith("<"):
        return None
    quoted = escaped = False
    for index, char in enumerate(text[1:], start=1):
        if escaped:
            escaped = False
        elif quoted and char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == ">" and not quoted:
            after = text[index + 1 :]
            if after and not after.startswith(" "):
                return None
            return text[1:index], after.lstrip(" ")
    return None


_PARSERS: dict[Verb, Callable[[str, bool], Command | ParseError]] = {
    Verb.EHLO: _parse_hello(Verb.EHLO),
    Verb.HELO: _parse_hello(Verb.HELO),
    Verb.MAIL: _parse_mail,
    Verb.RCPT: _parse_rcpt,
    Verb.DATA: _no_args(Verb.DATA, Data()),
    Verb.BDAT: _parse_bdat,
    Verb.RSET: _no_args(Verb.RSET, Rset()),
    Verb.NOOP: lambda rest, allow_utf8: Noop(),  # RFC 5321 4.1.1.9: argument ignored
    Verb.QUIT: _no_args(Verb.QUIT, Quit()),
    Verb.VRFY: _parse_string_arg(Verb.VRFY),
    Verb.EXPN: _parse_string_arg(Verb.EXPN),
    Verb.HELP: lambda rest, allow_utf8: Help(rest or None),
    Verb.STARTTLS: _no_args(Verb.STARTTLS, StartTls()),
    Verb.AUTH: _parse_auth,
}
