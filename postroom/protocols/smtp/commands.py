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
import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import ClassVar

DEFAULT_LINE_LIMIT = 512  # RFC 5321 4.5.3.1.4, including CRLF
DEFAULT_AUTH_LINE_LIMIT = 12288  # RFC 4954 4, including CRLF
LOCAL_PART_LIMIT = 64  # RFC 5321 4.5.3.1.1
DOMAIN_LIMIT = 255  # RFC 5321 4.5.3.1.2
PATH_LIMIT = 256  # RFC 5321 4.5.3.1.3, including the angle brackets
ENVID_LIMIT = 100  # RFC 3461 4.4
ORCPT_LIMIT = 500  # RFC 3461 4.2

CR = 0x0D


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


class BodyType(StrEnum):
    SEVEN_BIT = "7BIT"  # RFC 6152 2
    EIGHT_BIT_MIME = "8BITMIME"  # RFC 6152 2
    BINARY_MIME = "BINARYMIME"  # RFC 3030 3


class Ret(StrEnum):
    FULL = "FULL"  # RFC 3461 4.3
    HDRS = "HDRS"


class Notify(StrEnum):
    NEVER = "NEVER"  # RFC 3461 4.1
    SUCCESS = "SUCCESS"
    FAILURE = "FAILURE"
    DELAY = "DELAY"


class PathFeature(StrEnum):
    """Address forms an MX or submission server may refuse (open-relay tricks)."""

    SOURCE_ROUTE = "source-route"
    PERCENT_HACK = "percent-hack"
    BANG_PATH = "bang-path"
    QUOTED_LOCAL_PART = "quoted-local-part"
    ADDRESS_LITERAL = "address-literal"
    TRAILING_DOT = "trailing-dot"


@dataclass(frozen=True, slots=True)
class Path:
    """A reverse- or forward-path (RFC 5321 4.1.2), as written by the client.

    `local_part` keeps the quotes of a quoted local part (`unquoted_local_part`
    resolves them); `domain` is a domain without its trailing dot (see
    `has_trailing_dot`) or an address literal with its brackets. The null path
    `<>` has both empty; `<postmaster>` has an empty domain.
    """

    local_part: str = ""
    domain: str = ""
    source_route: tuple[str, ...] = ()
    is_quoted: bool = False
    is_address_literal: bool = False
    has_trailing_dot: bool = False

    @property
    def is_null(self) -> bool:
        return not self.local_part and not self.domain

    @property
    def is_postmaster(self) -> bool:
        """The bare `<postmaster>` of RFC 5321 4.1.1.3 (no domain)."""
        return not self.domain and self.local_part.lower() == "postmaster"

    @property
    def has_source_route(self) -> bool:
        return bool(self.source_route)

    @property
    def is_utf8(self) -> bool:
        """True if the address needs SMTPUTF8 (RFC 6531 3.3)."""
        return not (self.local_part.isascii() and self.domain.isascii())

    @property
    def unquoted_local_part(self) -> str:
        if not self.is_quoted:
            return self.local_part
        return re.sub(r"\\(.)", r"\1", self.local_part[1:-1])

    @property
    def address(self) -> str:
        """`local@domain` (or `postmaster`, or "" for the null path)."""
        return f"{self.local_part}@{self.domain}" if self.domain else self.local_part

    def features(self) -> frozenset[PathFeature]:
        """The refusable address forms present; empty for a plain address."""
        found = {
            PathFeature.SOURCE_ROUTE: self.has_source_route,
            PathFeature.PERCENT_HACK: "%" in self.local_part,
            PathFeature.BANG_PATH: "!" in self.local_part,
            PathFeature.QUOTED_LOCAL_PART: self.is_quoted,
            PathFeature.ADDRESS_LITERAL: self.is_address_literal,
            PathFeature.TRAILING_DOT: self.has_trailing_dot,
        }
        return frozenset(feature for feature, present in found.items() if present)


NULL_PATH = Path()


@dataclass(frozen=True, slots=True)
class MailParams:
    """ESMTP parameters of MAIL FROM (RFC 5321 4.1.1.2)."""

    size: int | None = None  # RFC 1870 3
    body: BodyType | None = None  # RFC 6152, RFC 3030
    smtputf8: bool = False  # RFC 6531 3.4
    auth: str | None = None  # RFC 4954 5, xtext-decoded; "<>" when unknown
    ret: Ret | None = None  # RFC 3461 4.3
    envid: str | None = None  # RFC 3461 4.4, xtext-decoded


@dataclass(frozen=True, slots=True)
class RcptParams:
    """ESMTP parameters of RCPT TO (RFC 3461 4.1, 4.2)."""

    notify: frozenset[Notify] | None = None
    orcpt: tuple[str, str] | None = None  # (address type, xtext-decoded address)


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
            if _address_literal_error(rest):
                return _bad(verb, "invalid address literal")
            literal = True
        else:
            if _domain_error(rest.removesuffix("."), allow_utf8, underscore=True):
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
    params = _parse_params(Verb.MAIL, params_text, allow_utf8)
    if isinstance(params, ParseError):
        return params
    mail_params = _mail_params(params, allow_utf8)
    if isinstance(mail_params, ParseError):
        return mail_params
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
    params = _parse_params(Verb.RCPT, params_text, allow_utf8)
    if isinstance(params, ParseError):
        return params
    rcpt_params = _rcpt_params(params)
    if isinstance(rcpt_params, ParseError):
        return rcpt_params
    path = _path_or_error(Verb.RCPT, inside, allow_utf8)
    if isinstance(path, ParseError):
        return path
    return Rcpt(path, rcpt_params)


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


# --- paths (RFC 5321 4.1.2, RFC 6531 3.3) -----------------------------------------------

_ATEXT = "!#$%&'*+-/=?^_`{|}~"  # RFC 5322 3.2.3 specials allowed in atext


def parse_path(
    inside: str, *, allow_utf8: bool = True, null_ok: bool = False, postmaster_ok: bool = False
) -> Path | str:
    """Parse the text between `<` and `>`; a string return is an error detail."""
    if not inside:
        return NULL_PATH if null_ok else "empty path"
    if len(inside.encode()) + 2 > PATH_LIMIT:
        return "path too long"
    if not allow_utf8 and not inside.isascii():
        return "non-ASCII address"
    route: tuple[str, ...] = ()
    mailbox = inside
    if inside.startswith("@"):  # A-d-l ":" Mailbox, a source route (RFC 5321 4.1.2)
        adl, colon, mailbox = inside.partition(":")
        route = tuple(part[1:] for part in adl.split(","))
        if not colon or any(not p.startswith("@") for p in adl.split(",")):
            return "invalid source route"
        if any(_domain_error(domain, allow_utf8) for domain in route):
            return "invalid source route"
    if postmaster_ok and not route and mailbox.lower() == "postmaster":
        return Path(local_part=mailbox)
    return _parse_mailbox(mailbox, route, allow_utf8)


def _parse_mailbox(mailbox: str, route: tuple[str, ...], allow_utf8: bool) -> Path | str:
    split = _split_local_part(mailbox)
    if split is None:
        return "invalid local part"
    local, domain = split
    if len(local.encode()) > LOCAL_PART_LIMIT:
        return "local part too long"
    if domain.startswith("["):
        if _address_literal_error(domain):
            return "invalid address literal"
        return Path(local, domain, route, local.startswith('"'), is_address_literal=True)
    trailing_dot = domain.endswith(".")
    domain = domain.removesuffix(".")
    error = _domain_error(domain, allow_utf8)
    if error:
        return error
    return Path(local, domain, route, local.startswith('"'), has_trailing_dot=trailing_dot)


def _split_local_part(mailbox: str) -> tuple[str, str] | None:
    """Split `Local-part "@" domain`; None if the local part is malformed."""
    if mailbox.startswith('"'):
        end = _quoted_string_end(mailbox)
        if end is None or mailbox[end : end + 1] != "@":
            return None
        return mailbox[:end], mailbox[end + 1 :]
    local, at, domain = mailbox.partition("@")
    if not at or not _is_dot_string(local):
        return None
    return local, domain


def _quoted_string_end(text: str) -> int | None:
    """Index after the closing quote of RFC 5321 Quoted-string at text[0]."""
    index = 1
    while index < len(text):
        char = text[index]
        if char == "\\":  # quoted-pairSMTP = %d92 %d32-126
            if index + 1 >= len(text) or not " " <= text[index + 1] <= "~":
                return None
            index += 2
            continue
        if char == '"':
            return index + 1
        if char.isascii() and not (" " <= char <= "~"):  # qtextSMTP
            return None
        index += 1
    return None


def _is_dot_string(local: str) -> bool:
    # Dot-string = Atom *("." Atom); RFC 6531 3.3 adds UTF8-non-ascii to atext
    atoms = local.split(".")
    return all(atoms) and all(_is_atext(char) for atom in atoms for char in atom)


def _is_atext(char: str) -> bool:
    return not char.isascii() or char.isalnum() or char in _ATEXT


_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?")
_LABEL_UNDERSCORE = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?")


def _domain_error(domain: str, allow_utf8: bool, underscore: bool = False) -> str | None:
    """None if `domain` is an RFC 5321 Domain (or U-label domain with SMTPUTF8)."""
    if not domain or len(domain.encode()) > DOMAIN_LIMIT:
        return "invalid domain"
    pattern = _LABEL_UNDERSCORE if underscore else _LABEL
    for label in domain.split("."):
        if len(label.encode()) > 63:
            return "invalid domain"
        if label.isascii():
            if not pattern.fullmatch(label):
                return "invalid domain"
        elif not allow_utf8 or not _is_u_label(label):
            return "invalid domain"
    return None


def _is_u_label(label: str) -> bool:
    # Minimal U-label check (RFC 6531 3.3); full IDNA validation is the mail layer's.
    return (
        not label.startswith("-")
        and not label.endswith("-")
        and all(char.isalnum() or char == "-" for char in label)
    )


_GENERAL_LITERAL = re.compile(r"[A-Za-z0-9-]*[A-Za-z0-9]:[\x21-\x5a\x5e-\x7e]+")


def _address_literal_error(literal: str) -> str | None:
    # RFC 5321 4.1.3: IPv4, "IPv6:" and General-address-literal
    if len(literal) < 3 or not literal.endswith("]"):
        return "invalid address literal"
    body = literal[1:-1]
    try:
        if body[:5].upper() == "IPV6:":
            ipaddress.IPv6Address(body[5:])
        elif ":" not in body:
            ipaddress.IPv4Address(body)
        elif not _GENERAL_LITERAL.fullmatch(body):
            return "invalid address literal"
    except ValueError:
        return "invalid address literal"
    return None


# --- ESMTP parameters -----------------------------------------------------------------

_KEYWORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]*")
_VALUE = re.compile(r"[\x21-\x3c\x3e-\x7e\x80-\U0010ffff]+")  # RFC 5321 4.1.2, RFC 6531 3.3
_XTEXT_HEX = re.compile(r"\+([0-9A-Fa-f]{2})")


def _parse_params(verb: Verb, text: str, allow_utf8: bool) -> dict[str, str | None] | ParseError:
    params: dict[str, str | None] = {}
    for token in text.split():
        keyword, equals, value = token.partition("=")
        if not _KEYWORD.fullmatch(keyword) or (equals and not _VALUE.fullmatch(value)):
            return _bad(verb, "malformed parameter")
        if not allow_utf8 and not value.isascii():
            return _bad(verb, "non-ASCII parameter", ErrorKind.BAD_ENCODING)
        keyword = keyword.upper()
        if keyword in params:
            return _bad(verb, "duplicate parameter")
        params[keyword] = value if equals else None
    return params


def decode_xtext(text: str) -> str | None:
    """RFC 3461 4: `+XX` hex escapes; None if malformed."""
    if "=" in text or re.search(r"\+(?![0-9A-Fa-f]{2})", text):
        return None
    return _XTEXT_HEX.sub(lambda match: chr(int(match.group(1), 16)), text)


def _mail_params(params: dict[str, str | None], allow_utf8: bool) -> MailParams | ParseError:
    values: dict[str, object] = {}
    for keyword, value in params.items():
        parser = _MAIL_PARAM_PARSERS.get(keyword)
        if parser is None or (keyword == "SMTPUTF8" and not allow_utf8):
            return _bad(Verb.MAIL, "unknown parameter", ErrorKind.UNKNOWN_PARAMETER)
        parsed = parser(value)
        if parsed is None:
            return _bad(Verb.MAIL, f"invalid {keyword} parameter")
        values[keyword.lower()] = parsed
    return MailParams(**values)  # type: ignore[arg-type]


def _param_size(value: str | None) -> int | None:
    return int(value) if value is not None and _DIGITS.fullmatch(value) else None  # RFC 1870 3


def _param_enum(enum: type[StrEnum]) -> Callable[[str | None], object]:
    def parse(value: str | None) -> object:
        try:
            return enum(value.upper()) if value is not None else None
        except ValueError:
            return None

    return parse


def _param_flag(value: str | None) -> bool | None:
    return True if value is None else None  # RFC 6531 3.4: SMTPUTF8 takes no value


def _param_auth(value: str | None) -> str | None:
    # RFC 4954 5: AUTH=<> or AUTH=xtext(mailbox)
    return decode_xtext(value) if value is not None else None


def _param_envid(value: str | None) -> str | None:
    if value is None or len(value) > ENVID_LIMIT:
        return None
    return decode_xtext(value)


_MAIL_PARAM_PARSERS: dict[str, Callable[[str | None], object]] = {
    "SIZE": _param_size,
    "BODY": _param_enum(BodyType),
    "SMTPUTF8": _param_flag,
    "AUTH": _param_auth,
    "RET": _param_enum(Ret),
    "ENVID": _param_envid,
}


def _rcpt_params(params: dict[str, str | None]) -> RcptParams | ParseError:
    notify: frozenset[Notify] | None = None
    orcpt: tuple[str, str] | None = None
    for keyword, value in params.items():
        if keyword == "NOTIFY":
            notify = _param_notify(value)
            if notify is None:
                return _bad(Verb.RCPT, "invalid NOTIFY parameter")
        elif keyword == "ORCPT":
            orcpt = _param_orcpt(value)
            if orcpt is None:
                return _bad(Verb.RCPT, "invalid ORCPT parameter")
        else:
            return _bad(Verb.RCPT, "unknown parameter", ErrorKind.UNKNOWN_PARAMETER)
    return RcptParams(notify, orcpt)


def _param_notify(value: str | None) -> frozenset[Notify] | None:
    # RFC 3461 4.1: "NEVER" alone, or a list of SUCCESS, FAILURE, DELAY
    if value is None:
        return None
    words = value.upper().split(",")
    try:
        found = frozenset(Notify(word) for word in words)
    except ValueError:
        return None
    if len(found) != len(words) or (Notify.NEVER in found and len(found) > 1):
        return None
    return found


def _param_orcpt(value: str | None) -> tuple[str, str] | None:
    # RFC 3461 4.2: addr-type ";" xtext
    if value is None or len(value) > ORCPT_LIMIT:
        return None
    addr_type, semicolon, address = value.partition(";")
    decoded = decode_xtext(address)
    if not semicolon or not _KEYWORD.fullmatch(addr_type) or not decoded:
        return None
    return addr_type.lower(), decoded


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
