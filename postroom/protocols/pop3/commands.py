"""POP3 commands, sans-I/O: line framing and one typed command per verb.

`CommandReader` turns client bytes into events: a command dataclass (`User`,
`Retr`, ...), `SaslResponse` / `SaslCancel` for AUTH continuation lines (RFC 5034
4), `LineTooLong`, or `ParseError` (a kind; `replies.for_parse_error` gives the
`-ERR` line). This module imports only the stdlib.

Invariants and choices:

- A line ends at LF; a CR just before it is dropped. POP3 has no data phase that
  could be smuggled into, so LF-only clients (telnet, netcat) are served, but a CR
  anywhere else in a line is a `ParseError(BAD_SYNTAX)`.
- A command line is at most 255 octets with its line end (RFC 2449 4) and a SASL
  continuation line at most 12,288 (RFC 5034 4 sets no limit; SMTP's RFC 4954
  value is used). A longer line yields one `LineTooLong` and the rest of it is
  dropped up to its LF without being buffered.
- Keyword-like arguments (message numbers, line counts, SASL mechanism names) are
  at most 40 octets (RFC 1939 3). User names, passwords, APOP names and SASL
  initial responses are only bounded by the line limit: logins are full e-mail
  addresses (DESIGN 1), which often exceed 40 octets.
- Verbs are case-insensitive (RFC 1939 3); PASS takes the rest of the line, so a
  password may contain spaces (RFC 1939 7).
- Parsing is lazy (at `next_event`), so `expect_sasl_response()` after an `Auth`
  event applies to the next pipelined line.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar

DEFAULT_LINE_LIMIT = 255  # RFC 2449 4, including CRLF
DEFAULT_ARGUMENT_LIMIT = 40  # RFC 1939 3
DEFAULT_SASL_LINE_LIMIT = 12288


class Verb(StrEnum):
    USER = "USER"
    PASS = "PASS"
    APOP = "APOP"
    AUTH = "AUTH"
    STLS = "STLS"
    CAPA = "CAPA"
    STAT = "STAT"
    LIST = "LIST"
    RETR = "RETR"
    DELE = "DELE"
    NOOP = "NOOP"
    RSET = "RSET"
    TOP = "TOP"
    UIDL = "UIDL"
    QUIT = "QUIT"


class ErrorKind(StrEnum):
    UNKNOWN_COMMAND = "unknown-command"
    BAD_SYNTAX = "bad-syntax"
    ARGUMENT_TOO_LONG = "argument-too-long"
    BAD_BASE64 = "bad-base64"


@dataclass(frozen=True, slots=True)
class User:
    verb: ClassVar[Verb] = Verb.USER
    name: str


@dataclass(frozen=True, slots=True)
class Pass:
    verb: ClassVar[Verb] = Verb.PASS
    password: str

    def __repr__(self) -> str:  # never log a password
        return "Pass(password=<hidden>)"


@dataclass(frozen=True, slots=True)
class Apop:
    verb: ClassVar[Verb] = Verb.APOP
    name: str
    digest: str  # 32 lower-case hex digits (RFC 1939 7)


@dataclass(frozen=True, slots=True)
class Auth:
    """RFC 5034 4; without a mechanism, clients expect the mechanism list."""

    verb: ClassVar[Verb] = Verb.AUTH
    mechanism: str | None = None  # upper-cased
    initial_response: bytes | None = None  # "=" gives b""


@dataclass(frozen=True, slots=True)
class Stls:
    verb: ClassVar[Verb] = Verb.STLS


@dataclass(frozen=True, slots=True)
class Capa:
    verb: ClassVar[Verb] = Verb.CAPA


@dataclass(frozen=True, slots=True)
class Stat:
    verb: ClassVar[Verb] = Verb.STAT


@dataclass(frozen=True, slots=True)
class List:
    verb: ClassVar[Verb] = Verb.LIST
    message: int | None = None


@dataclass(frozen=True, slots=True)
class Retr:
    verb: ClassVar[Verb] = Verb.RETR
    message: int


@dataclass(frozen=True, slots=True)
class Dele:
    verb: ClassVar[Verb] = Verb.DELE
    message: int


@dataclass(frozen=True, slots=True)
class Noop:
    verb: ClassVar[Verb] = Verb.NOOP


@dataclass(frozen=True, slots=True)
class Rset:
    verb: ClassVar[Verb] = Verb.RSET


@dataclass(frozen=True, slots=True)
class Top:
    verb: ClassVar[Verb] = Verb.TOP
    message: int
    lines: int


@dataclass(frozen=True, slots=True)
class Uidl:
    verb: ClassVar[Verb] = Verb.UIDL
    message: int | None = None


@dataclass(frozen=True, slots=True)
class Quit:
    verb: ClassVar[Verb] = Verb.QUIT


Command = (
    User
    | Pass
    | Apop
    | Auth
    | Stls
    | Capa
    | Stat
    | List
    | Retr
    | Dele
    | Noop
    | Rset
    | Top
    | Uidl
    | Quit
)


@dataclass(frozen=True, slots=True)
class SaslResponse:
    data: bytes


@dataclass(frozen=True, slots=True)
class SaslCancel:
    """The client sent `*` (RFC 5034 4): answer -ERR and end the exchange."""


@dataclass(frozen=True, slots=True)
class LineTooLong:
    limit: int


@dataclass(frozen=True, slots=True)
class ParseError:
    kind: ErrorKind
    verb: Verb | None = None
    detail: str = ""  # fixed text for logs, never client data


Event = Command | SaslResponse | SaslCancel | LineTooLong | ParseError


class CommandReader:
    """Incremental line reader. Feed bytes, drain `next_event()` until None."""

    def __init__(
        self,
        *,
        line_limit: int = DEFAULT_LINE_LIMIT,
        argument_limit: int = DEFAULT_ARGUMENT_LIMIT,
        sasl_line_limit: int = DEFAULT_SASL_LINE_LIMIT,
    ) -> None:
        self.line_limit = line_limit
        self.argument_limit = argument_limit
        self.sasl_line_limit = sasl_line_limit
        self._buffer = bytearray()
        self._discarding = False
        self._expect_sasl = False

    @property
    def buffered(self) -> int:
        return len(self._buffer)

    def feed(self, data: bytes) -> None:
        self._buffer += data

    def expect_sasl_response(self) -> None:
        """Read the next line as a SASL continuation (one line only)."""
        self._expect_sasl = True

    def take_unread(self) -> bytes:
        """The bytes not yet read (to drop them at STLS, RFC 2595 4)."""
        data = bytes(self._buffer)
        self._buffer.clear()
        return data

    def next_event(self) -> Event | None:
        if self._discarding and not self._discard():
            return None
        limit = self.sasl_line_limit if self._expect_sasl else self.line_limit
        end = self._buffer.find(b"\n")
        if end < 0:
            if len(self._buffer) >= limit:
                return self._overflow(limit)
            return None
        expect_sasl, self._expect_sasl = self._expect_sasl, False
        line = bytes(self._buffer[:end]).removesuffix(b"\r")
        del self._buffer[: end + 1]
        if end + 1 > limit:
            return LineTooLong(limit)
        if expect_sasl:
            return parse_sasl_response(line)
        return parse_command(line, argument_limit=self.argument_limit)

    def _overflow(self, limit: int) -> LineTooLong:
        self._buffer.clear()
        self._discarding = True
        self._expect_sasl = False
        return LineTooLong(limit)

    def _discard(self) -> bool:
        end = self._buffer.find(b"\n")
        if end < 0:
            self._buffer.clear()
            return False
        del self._buffer[: end + 1]
        self._discarding = False
        return True


_NUMBER = re.compile(r"[0-9]+")
_MECHANISM = re.compile(r"[A-Z0-9_-]{1,20}")  # RFC 4422 3.1
_DIGEST = re.compile(r"[0-9a-f]{32}")


def parse_command(
    line: bytes, *, argument_limit: int = DEFAULT_ARGUMENT_LIMIT
) -> Command | ParseError:
    """Parse one command line (without its line end)."""
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        return ParseError(ErrorKind.BAD_SYNTAX, None, "line is not UTF-8")
    if re.search(r"[\x00-\x1f\x7f]", text):
        return ParseError(ErrorKind.BAD_SYNTAX, None, "control character in line")
    name, _, rest = text.partition(" ")
    try:
        verb = Verb(name.upper())
    except ValueError:
        return ParseError(ErrorKind.UNKNOWN_COMMAND, None, "command not recognised")
    if verb is Verb.PASS:
        return Pass(rest) if rest else _bad(verb, "needs a password")
    args = rest.split()
    return _PARSERS[verb](args, argument_limit)


def parse_sasl_response(line: bytes) -> SaslResponse | SaslCancel | ParseError:
    """A SASL continuation line: base64, or `*` to cancel (RFC 5034 4)."""
    if line == b"*":
        return SaslCancel()
    data = _b64decode(line)
    if data is None:
        return ParseError(ErrorKind.BAD_BASE64, Verb.AUTH, "response is not base64")
    return SaslResponse(data)


def _b64decode(text: bytes | str) -> bytes | None:
    """Strict RFC 4648 4 base64: only the canonical encoding of some octets."""
    raw = text.encode("ascii", "replace") if isinstance(text, str) else text
    try:
        data = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        return None
    return data if base64.b64encode(data) == raw else None


def _bad(verb: Verb, detail: str, kind: ErrorKind = ErrorKind.BAD_SYNTAX) -> ParseError:
    return ParseError(kind, verb, detail)


_Parser = Callable[[list[str], int], Command | ParseError]


def _too_long(verb: Verb, args: list[str], limit: int) -> ParseError | None:
    if any(len(arg.encode()) > limit for arg in args):
        return _bad(verb, "argument too long", ErrorKind.ARGUMENT_TOO_LONG)
    return None


def _number(text: str, minimum: int) -> int | None:
    # RFC 1939 3: message numbers are decimal, from 1; TOP's line count from 0
    if not _NUMBER.fullmatch(text):
        return None
    value = int(text)
    return value if value >= minimum else None


def _no_args(command: Command) -> _Parser:
    def parse(args: list[str], limit: int) -> Command | ParseError:
        return _bad(command.verb, "takes no arguments") if args else command

    return parse


def _one_number(verb: Verb, build: Callable[[int], Command], optional: bool) -> _Parser:
    def parse(args: list[str], limit: int) -> Command | ParseError:
        if optional and not args:
            return build(0)
        too_long = _too_long(verb, args, limit)
        if too_long:
            return too_long
        number = _number(args[0], 1) if len(args) == 1 else None
        return build(number) if number is not None else _bad(verb, "needs a message number")

    return parse


def _parse_top(args: list[str], limit: int) -> Command | ParseError:
    # RFC 1939 7: TOP msg n
    too_long = _too_long(Verb.TOP, args, limit)
    if too_long:
        return too_long
    if len(args) != 2:
        return _bad(Verb.TOP, "needs a message number and a line count")
    message, lines = _number(args[0], 1), _number(args[1], 0)
    if message is None or lines is None:
        return _bad(Verb.TOP, "needs a message number and a line count")
    return Top(message, lines)


def _parse_user(args: list[str], limit: int) -> Command | ParseError:
    # RFC 1939 7: USER name (length bounded by the line only, see module notes)
    return User(args[0]) if len(args) == 1 else _bad(Verb.USER, "needs one user name")


def _parse_apop(args: list[str], limit: int) -> Command | ParseError:
    # RFC 1939 7: APOP name digest
    if len(args) != 2 or not _DIGEST.fullmatch(args[1]):
        return _bad(Verb.APOP, "needs a name and an MD5 digest")
    return Apop(args[0], args[1])


def _parse_auth(args: list[str], limit: int) -> Command | ParseError:
    # RFC 5034 4: AUTH mechanism [initial-response]
    if not args:
        return Auth()
    mechanism = args[0].upper()
    if len(args) > 2 or not _MECHANISM.fullmatch(mechanism):
        return _bad(Verb.AUTH, "needs a mechanism")
    if len(args) == 1:
        return Auth(mechanism)
    if args[1] == "=":
        return Auth(mechanism, b"")
    data = _b64decode(args[1])
    if data is None:
        return _bad(Verb.AUTH, "initial response is not base64", ErrorKind.BAD_BASE64)
    return Auth(mechanism, data)


_PARSERS: dict[Verb, _Parser] = {
    Verb.USER: _parse_user,
    Verb.APOP: _parse_apop,
    Verb.AUTH: _parse_auth,
    Verb.STLS: _no_args(Stls()),
    Verb.CAPA: _no_args(Capa()),
    Verb.STAT: _no_args(Stat()),
    Verb.LIST: _one_number(Verb.LIST, lambda n: List(n or None), optional=True),
    Verb.RETR: _one_number(Verb.RETR, Retr, optional=False),
    Verb.DELE: _one_number(Verb.DELE, Dele, optional=False),
    Verb.NOOP: _no_args(Noop()),
    Verb.RSET: _no_args(Rset()),
    Verb.TOP: _parse_top,
    Verb.UIDL: _one_number(Verb.UIDL, lambda n: Uidl(n or None), optional=True),
    Verb.QUIT: _no_args(Quit()),
}
