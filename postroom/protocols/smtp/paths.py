"""SMTP paths and ESMTP parameters, sans-I/O (split out of `commands`).

`parse_path` reads the text between `<` and `>` of MAIL FROM / RCPT TO into a
`Path` (RFC 5321 4.1.2, RFC 6531 3.3); `parse_mail_params` / `parse_rcpt_params`
read the ESMTP parameters after it (RFC 5321 4.1.1.2, RFC 1870, RFC 6152,
RFC 3030, RFC 6531, RFC 4954 5, RFC 3461). `commands` turns a `ParamError` into
its `ParseError`; this module imports only the stdlib.

Invariants:

- Parsing is syntax only: relay tricks (`%`, `!`, source routes, quoted local
  parts, address literals, trailing dots) parse, and `Path.features()` names them
  so the session can refuse them as policy.
- Length limits of RFC 5321 4.5.3.1 hold for every `Path` returned.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

LOCAL_PART_LIMIT = 64  # RFC 5321 4.5.3.1.1
DOMAIN_LIMIT = 255  # RFC 5321 4.5.3.1.2
PATH_LIMIT = 256  # RFC 5321 4.5.3.1.3, including the angle brackets
ENVID_LIMIT = 100  # RFC 3461 4.4
ORCPT_LIMIT = 500  # RFC 3461 4.2
_DIGITS = re.compile(r"[0-9]{1,20}")


class ParamProblem(StrEnum):
    MALFORMED = "malformed"
    ENCODING = "encoding"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class ParamError:
    """Why the parameters of MAIL or RCPT were refused (`detail` is fixed text)."""

    problem: ParamProblem
    detail: str


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


def _parse_params(text: str, allow_utf8: bool) -> dict[str, str | None] | ParamError:
    params: dict[str, str | None] = {}
    for token in text.split():
        keyword, equals, value = token.partition("=")
        if not _KEYWORD.fullmatch(keyword) or (equals and not _VALUE.fullmatch(value)):
            return ParamError(ParamProblem.MALFORMED, "malformed parameter")
        if not allow_utf8 and not value.isascii():
            return ParamError(ParamProblem.ENCODING, "non-ASCII parameter")
        keyword = keyword.upper()
        if keyword in params:
            return ParamError(ParamProblem.MALFORMED, "duplicate parameter")
        params[keyword] = value if equals else None
    return params


def decode_xtext(text: str) -> str | None:
    """RFC 3461 4: `+XX` hex escapes; None if malformed."""
    if "=" in text or re.search(r"\+(?![0-9A-Fa-f]{2})", text):
        return None
    return _XTEXT_HEX.sub(lambda match: chr(int(match.group(1), 16)), text)


def _mail_params(params: dict[str, str | None], allow_utf8: bool) -> MailParams | ParamError:
    values: dict[str, object] = {}
    for keyword, value in params.items():
        parser = _MAIL_PARAM_PARSERS.get(keyword)
        if parser is None or (keyword == "SMTPUTF8" and not allow_utf8):
            return ParamError(ParamProblem.UNKNOWN, "unknown parameter")
        parsed = parser(value)
        if parsed is None:
            return ParamError(ParamProblem.MALFORMED, f"invalid {keyword} parameter")
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


def _rcpt_params(params: dict[str, str | None]) -> RcptParams | ParamError:
    notify: frozenset[Notify] | None = None
    orcpt: tuple[str, str] | None = None
    for keyword, value in params.items():
        if keyword == "NOTIFY":
            notify = _param_notify(value)
            if notify is None:
                return ParamError(ParamProblem.MALFORMED, "invalid NOTIFY parameter")
        elif keyword == "ORCPT":
            orcpt = _param_orcpt(value)
            if orcpt is None:
                return ParamError(ParamProblem.MALFORMED, "invalid ORCPT parameter")
        else:
            return ParamError(ParamProblem.UNKNOWN, "unknown parameter")
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


def parse_mail_params(text: str, allow_utf8: bool = True) -> MailParams | ParamError:
    """The parameters after `MAIL FROM:<path>` (RFC 5321 4.1.1.2)."""
    params = _parse_params(text, allow_utf8)
    return params if isinstance(params, ParamError) else _mail_params(params, allow_utf8)


def parse_rcpt_params(text: str, allow_utf8: bool = True) -> RcptParams | ParamError:
    """The parameters after `RCPT TO:<path>` (RFC 5321 4.1.1.3, RFC 3461 4)."""
    params = _parse_params(text, allow_utf8)
    return params if isinstance(params, ParamError) else _rcpt_params(params)


# Public names for the EHLO argument check in `commands`.
domain_error = _domain_error
address_literal_error = _address_literal_error

