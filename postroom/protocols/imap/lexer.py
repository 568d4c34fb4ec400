"""Token reader for one complete IMAP command (RFC 3501 9, RFC 9051 9).

The framer in ``commands.py`` cuts the byte stream into commands; a command arrives here
as ``parts``: text segments alternating with literals, always starting and ending with a
text segment (``[b"a LOGIN ", Literal(b"joe"), b" ", Literal(b"pw"), b""]``). The
literal markers ``{n}`` / ``{n+}`` / ``~{n}`` have been removed from the text by then.

Invariants:
- No I/O and no state beyond one cursor; the input is bounded by the framer's limits.
- Every syntax error raises ``ParseError`` (message safe to show to the client); no other
  exception escapes a ``Reader`` method for any input.
- Numbers are read with a digit cap so ``int()`` never sees thousands of digits.
- Character classes follow RFC 9051 9 (ATOM-CHAR, ASTRING-CHAR, list-char, tag). Quoted
  strings accept 8-bit octets (RFC 6855 3 allows UTF-8 there); atoms are 7-bit.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from postroom.errors import Invalid

from . import utf7
from .sequences import SequenceSet

__all__ = [
    "CharsetError",
    "Context",
    "Literal",
    "ParseError",
    "Part",
    "Reader",
    "decode_mailbox",
    "known",
    "utf8_text",
]

MAX_NUMBER = 2**32 - 1  # RFC 9051 9: number
MAX_NUMBER64 = 2**63 - 1  # RFC 9051 9: number64; RFC 7162 7: mod-sequence-value

_NOT_ATOM = rb"\x00-\x20\x7f-\xff(){%*\"\\"
_ATOM_RE = re.compile(rb"[^" + _NOT_ATOM + rb"\]]+")
_ASTRING_RE = re.compile(rb"[^" + _NOT_ATOM + rb"]+")  # ASTRING-CHAR = ATOM-CHAR / "]"
_TAG_RE = re.compile(rb"[^" + _NOT_ATOM + rb"+]+")  # any ASTRING-CHAR except "+"
_LIST_RE = re.compile(rb"[^\x00-\x20\x7f-\xff(){\"\\]+")  # list-char incl. % * ]
_QUOTED_RE = re.compile(rb'"((?:[^"\\\r\n\x00]|\\["\\])*)"')
_DIGITS_RE = re.compile(rb"[0-9]+")
_SEQSET_RE = re.compile(rb"[0-9*:,$]+")
_BASE64_RE = re.compile(rb"[A-Za-z0-9+/]+={0,2}|=")
_FLAG_RE = re.compile(rb"\\?[^" + _NOT_ATOM + rb"\]]+")
_DATE_RE = re.compile(rb"([0-9]{1,2})-([A-Za-z]{3})-([0-9]{4})")
_DATETIME_RE = re.compile(
    rb'"([ 0-9]?[0-9])-([A-Za-z]{3})-([0-9]{4}) ([0-9]{2}):([0-9]{2}):([0-9]{2}) ([+-])([0-9]{4})"'
)
_MONTHS = {
    m: i + 1 for i, m in enumerate(b"JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split())
}

# RFC 9051 2.3.2: system flags are case-insensitive; we hand them on in canonical case.
SYSTEM_FLAGS = {
    f.upper(): f for f in ("\\Seen", "\\Answered", "\\Flagged", "\\Deleted", "\\Draft", "\\Recent")
}


class ParseError(Exception):
    """A syntax error or exceeded limit in a command; ``code`` is a response code name."""

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class CharsetError(Exception):
    """SEARCH/SORT/THREAD named a charset we do not support (RFC 9051 6.4.4)."""

    def __init__(self, charset: str) -> None:
        super().__init__(charset)
        self.charset = charset


@dataclass(frozen=True, slots=True)
class Literal:
    """The data of one literal; ``binary`` for literal8 ``~{n}`` (RFC 3516 4.1)."""

    data: bytes
    binary: bool = False


Part = bytes | Literal


@dataclass(frozen=True, slots=True)
class Context:
    """Per-command parser settings: UTF-8 mailbox names (RFC 6855 3) and key depth."""

    utf8: bool
    max_depth: int


def decode_mailbox(raw: bytes, utf8: bool) -> str:
    """Wire mailbox name -> str: modified UTF-7 (RFC 3501 5.1.3) or UTF-8 (RFC 6855 3)."""
    if utf8:
        name = utf8_text(raw, "mailbox name")
    else:
        try:
            name = utf7.decode(raw)
        except Invalid as exc:
            raise ParseError(exc.message) from None
    return "INBOX" if name.upper() == "INBOX" else name  # RFC 9051 5.1: case-insensitive


def utf8_text(raw: bytes, what: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ParseError(f"{what} is not valid UTF-8") from None


def known(values: Sequence[str], allowed: frozenset[str], what: str) -> tuple[str, ...]:
    """Check ``values`` against a closed set; return them without duplicates, in order."""
    for value in values:
        if value not in allowed:
            raise ParseError(f"unknown {what} {value[:40]}")
    return tuple(dict.fromkeys(values))


class Reader:
    """A cursor over the parts of one command. Methods consume input or raise ParseError."""

    __slots__ = ("_index", "_parts", "_pos", "_text")

    def __init__(self, parts: Sequence[Part]) -> None:
        if not parts or not isinstance(parts[0], bytes):
            raise ValueError("parts must start with a text segment")
        self._parts = parts
        self._index = 0
        self._text: bytes = parts[0]
        self._pos = 0

    # -- position -----------------------------------------------------------------

    def peek(self) -> int:
        """The next octet of the current text segment, or -1 at a literal or the end."""
        return self._text[self._pos] if self._pos < len(self._text) else -1

    def at_literal(self) -> bool:
        return self._pos == len(self._text) and self._index + 1 < len(self._parts)

    def at_end(self) -> bool:
        return self._pos == len(self._text) and self._index + 1 >= len(self._parts)

    def end(self) -> None:
        """Require the end of the command."""
        if not self.at_end():
            raise ParseError("unexpected characters at end of command")

    def rest_of_segment(self) -> bytes:
        return self._text[self._pos :]

    # -- single characters and keywords ----------------------------------------------

    def char(self, expected: bytes) -> None:
        if not self.try_char(expected):
            what = "SP" if expected == b" " else repr(expected.decode("ascii", "replace"))
            raise ParseError(f"expected {what}")

    def try_char(self, expected: bytes) -> bool:
        if self._text.startswith(expected, self._pos):
            self._pos += len(expected)
            return True
        return False

    def sp(self) -> None:
        self.char(b" ")

    def try_keyword(self, word: bytes) -> bool:
        """Consume ``word`` (case-insensitive) if it is followed by a non-atom character."""
        end = self._pos + len(word)
        if self._text[self._pos : end].upper() != word:
            return False
        if end < len(self._text) and _ATOM_RE.match(self._text, end):
            return False
        self._pos = end
        return True

    def keyword(self, word: bytes) -> None:
        if not self.try_keyword(word):
            raise ParseError(f"expected {word.decode()}")

    def _match(self, pattern: re.Pattern[bytes], what: str) -> bytes:
        match = pattern.match(self._text, self._pos)
        if match is None:
            raise ParseError(f"expected {what}")
        self._pos = match.end()
        return match.group(0)

    # -- atoms, strings ---------------------------------------------------------------

    def tag(self) -> str:
        return self._match(_TAG_RE, "tag").decode("ascii")

    def atom(self) -> str:
        return self._match(_ATOM_RE, "atom").decode("ascii")

    def literal(self, *, binary_ok: bool = False) -> Literal:
        if not self.at_literal():
            raise ParseError("expected literal")
        lit = self._parts[self._index + 1]
        assert isinstance(lit, Literal)
        if lit.binary and not binary_ok:
            raise ParseError("literal8 not allowed here")
        self._index += 2
        text = self._parts[self._index]
        assert isinstance(text, bytes)
        self._text, self._pos = text, 0
        return lit

    def quoted(self) -> bytes:
        match = _QUOTED_RE.match(self._text, self._pos)
        if match is None:
            raise ParseError("invalid quoted string")
        self._pos = match.end()
        return re.sub(rb"\\(.)", rb"\1", match.group(1))

    def string(self) -> bytes:
        if self.at_literal():
            return self.literal().data
        if self.peek() == 0x22:
            return self.quoted()
        raise ParseError("expected string")

    def astring(self) -> bytes:
        if self.at_literal() or self.peek() == 0x22:
            return self.string()
        return self._match(_ASTRING_RE, "astring")

    def mailbox(self, ctx: Context) -> str:
        """RFC 9051 9: mailbox = "INBOX" / astring, decoded."""
        return decode_mailbox(self.astring(), ctx.utf8)

    def atoms_in_parens(self, *, allow_empty: bool = True) -> list[str]:
        """ "(" [atom *(SP atom)] ")", upper-cased."""
        self.char(b"(")
        if self.try_char(b")"):
            if not allow_empty:
                raise ParseError("empty list")
            return []
        out = [self.atom().upper()]
        while self.try_char(b" "):
            out.append(self.atom().upper())
        self.char(b")")
        return out

    def nstring(self) -> bytes | None:
        return None if self.try_keyword(b"NIL") else self.string()

    def list_mailbox(self) -> bytes:
        """RFC 9051 9: list-mailbox = 1*list-char / string (wildcards allowed)."""
        if self.at_literal() or self.peek() == 0x22:
            return self.string()
        return self._match(_LIST_RE, "mailbox pattern")

    def base64(self) -> bytes:
        """RFC 4959 3: initial response; "=" is the empty response."""
        return self._match(_BASE64_RE, "base64")

    # -- numbers and sets ------------------------------------------------------------

    def number(self, maximum: int = MAX_NUMBER) -> int:
        digits = self._match(_DIGITS_RE, "number")
        if len(digits) > 19 or int(digits) > maximum:
            raise ParseError("number out of range")
        return int(digits)

    def nz_number(self, maximum: int = MAX_NUMBER) -> int:
        value = self.number(maximum)
        if value == 0:
            raise ParseError("number must be non-zero")
        return value

    def sequence_set(self) -> SequenceSet:
        text = self._match(_SEQSET_RE, "sequence set")
        try:
            return SequenceSet.parse(text.decode("ascii"))
        except Invalid as exc:
            raise ParseError(exc.message) from None

    def at_sequence_set(self) -> bool:
        return _SEQSET_RE.match(self._text, self._pos) is not None

    # -- flags and dates -------------------------------------------------------------

    def flag(self) -> str:
        """RFC 9051 9: flag = system flag / keyword atom / "\\" atom (canonical case)."""
        raw = self._match(_FLAG_RE, "flag").decode("ascii")
        return SYSTEM_FLAGS.get(raw.upper(), raw) if raw.startswith("\\") else raw

    def flag_list(self) -> tuple[str, ...]:
        """RFC 9051 9: flag-list = "(" [flag *(SP flag)] ")"."""
        self.char(b"(")
        flags: list[str] = []
        if not self.try_char(b")"):
            flags.append(self.flag())
            while self.try_char(b" "):
                flags.append(self.flag())
            self.char(b")")
        return tuple(dict.fromkeys(flags))

    def date(self) -> date:
        """RFC 9051 9: date = date-text / DQUOTE date-text DQUOTE."""
        quoted = self.try_char(b'"')
        match = _DATE_RE.match(self._text, self._pos)
        if match is None:
            raise ParseError("expected date (dd-Mon-yyyy)")
        self._pos = match.end()
        if quoted:
            self.char(b'"')
        day, month, year = match.groups()
        try:
            return date(int(year), _month(month), int(day))
        except ValueError:
            raise ParseError("invalid date") from None

    def date_time(self) -> datetime:
        """RFC 9051 9: date-time = DQUOTE date-day-fixed "-" month "-" year SP time SP zone."""
        match = _DATETIME_RE.match(self._text, self._pos)
        if match is None:
            raise ParseError("invalid date-time")
        self._pos = match.end()
        day, month, year, hh, mm, ss, sign, zone = match.groups()
        offset = timedelta(hours=int(zone[:2]), minutes=int(zone[2:]))
        try:
            tz = timezone(-offset if sign == b"-" else offset)
            return datetime(
                int(year), _month(month), int(day.strip()), int(hh), int(mm), int(ss), tzinfo=tz
            )
        except ValueError:
            raise ParseError("invalid date-time") from None


def _month(name: bytes) -> int:
    month = _MONTHS.get(name.upper())
    if month is None:
        raise ParseError("invalid month")
    return month
