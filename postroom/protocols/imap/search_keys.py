"""SEARCH keys as a typed tree, and their parser (RFC 3501 6.4.4, RFC 9051 6.4.4, RFC 7162 3.1.5).

The tree is what SEARCH, SORT and THREAD hand to the store's search. It is deliberately
small: the flag keys (ANSWERED, UNSEEN, KEYWORD ...) are all ``FlagKey``; FROM, TO, CC,
BCC, SUBJECT and HEADER are all ``HeaderKey``; NEW is ``AndKey(\\Recent, not \\Seen)``
and OLD is ``FlagKey(\\Recent, False)`` (RFC 3501 6.4.4 defines them that way). Several
keys in a row mean "all of them" and become one ``AndKey``.

Invariants:
- Nesting (parentheses, NOT, OR) deeper than the configured depth raises ``ParseError``
  with code LIMIT before Python's recursion limit can be reached.
- Strings are decoded as UTF-8 (US-ASCII is a subset; RFC 9051 6.4.4 makes UTF-8 the
  default); invalid UTF-8 is a syntax error. Charsets other than US-ASCII and UTF-8
  raise ``CharsetError`` so the server can answer ``NO [BADCHARSET (...)]``.
- Header field names in ``HeaderKey.field`` are lower case.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from .lexer import MAX_NUMBER64, CharsetError, ParseError, Reader
from .sequences import SequenceSet

__all__ = [
    "SUPPORTED_CHARSETS",
    "AllKey",
    "AndKey",
    "DateField",
    "DateKey",
    "DateOp",
    "FlagKey",
    "HeaderKey",
    "ModSeqKey",
    "NotKey",
    "OrKey",
    "SearchKey",
    "SequenceKey",
    "SizeKey",
    "SizeOp",
    "TextKey",
    "check_charset",
    "parse_charset",
    "parse_search_keys",
]

SUPPORTED_CHARSETS = ("US-ASCII", "UTF-8")


class DateField(StrEnum):
    INTERNAL = "internal"  # BEFORE, ON, SINCE: the internal date
    SENT = "sent"  # SENTBEFORE, SENTON, SENTSINCE: the Date: header


class DateOp(StrEnum):
    BEFORE = "before"
    ON = "on"
    SINCE = "since"


class SizeOp(StrEnum):
    LARGER = "larger"
    SMALLER = "smaller"


@dataclass(frozen=True, slots=True)
class AllKey:
    """ALL: every message."""


@dataclass(frozen=True, slots=True)
class FlagKey:
    """The message has (``present``) or lacks the flag or keyword ``flag``."""

    flag: str
    present: bool


@dataclass(frozen=True, slots=True)
class HeaderKey:
    """Header ``field`` (lower case) contains ``value``; an empty value means "exists"."""

    field: str
    value: str


@dataclass(frozen=True, slots=True)
class TextKey:
    """BODY (``headers=False``) or TEXT (headers and body) contains ``value``."""

    value: str
    headers: bool


@dataclass(frozen=True, slots=True)
class DateKey:
    """Internal or sent date compared with ``day`` (time and zone disregarded)."""

    field: DateField
    op: DateOp
    day: date


@dataclass(frozen=True, slots=True)
class SizeKey:
    """RFC822.SIZE larger or smaller than ``size``."""

    op: SizeOp
    size: int


@dataclass(frozen=True, slots=True)
class SequenceKey:
    """A message sequence set, or a UID set with ``uid`` (may be "$", RFC 5182)."""

    sequence: SequenceSet
    uid: bool


@dataclass(frozen=True, slots=True)
class ModSeqKey:
    """RFC 7162 3.1.5: MODSEQ >= ``modseq``; the entry name/type are accepted and optional."""

    modseq: int
    entry: str | None = None
    entry_type: str | None = None


@dataclass(frozen=True, slots=True)
class NotKey:
    key: SearchKey


@dataclass(frozen=True, slots=True)
class OrKey:
    left: SearchKey
    right: SearchKey


@dataclass(frozen=True, slots=True)
class AndKey:
    keys: tuple[SearchKey, ...]


SearchKey = (
    AllKey
    | FlagKey
    | HeaderKey
    | TextKey
    | DateKey
    | SizeKey
    | SequenceKey
    | ModSeqKey
    | NotKey
    | OrKey
    | AndKey
)

# RFC 9051 6.4.4: keys without arguments.
_SIMPLE: dict[str, SearchKey] = {
    "ALL": AllKey(),
    "ANSWERED": FlagKey("\\Answered", True),
    "DELETED": FlagKey("\\Deleted", True),
    "DRAFT": FlagKey("\\Draft", True),
    "FLAGGED": FlagKey("\\Flagged", True),
    "SEEN": FlagKey("\\Seen", True),
    "RECENT": FlagKey("\\Recent", True),  # RFC 3501 only
    "UNANSWERED": FlagKey("\\Answered", False),
    "UNDELETED": FlagKey("\\Deleted", False),
    "UNDRAFT": FlagKey("\\Draft", False),
    "UNFLAGGED": FlagKey("\\Flagged", False),
    "UNSEEN": FlagKey("\\Seen", False),
    "NEW": AndKey((FlagKey("\\Recent", True), FlagKey("\\Seen", False))),  # RFC 3501
    "OLD": FlagKey("\\Recent", False),  # RFC 3501
}
_HEADERS = {"FROM": "from", "TO": "to", "CC": "cc", "BCC": "bcc", "SUBJECT": "subject"}
_DATES = {
    "BEFORE": (DateField.INTERNAL, DateOp.BEFORE),
    "ON": (DateField.INTERNAL, DateOp.ON),
    "SINCE": (DateField.INTERNAL, DateOp.SINCE),
    "SENTBEFORE": (DateField.SENT, DateOp.BEFORE),
    "SENTON": (DateField.SENT, DateOp.ON),
    "SENTSINCE": (DateField.SENT, DateOp.SINCE),
}
_ENTRY_TYPES = frozenset({"priv", "shared", "all"})  # RFC 7162 7: entry-type-req


def parse_charset(reader: Reader) -> str:
    """RFC 9051 9: charset = atom / quoted, upper-cased; see ``check_charset``."""
    raw = reader.quoted() if reader.peek() == 0x22 else reader.atom().encode()
    return raw.decode("ascii", "replace").upper()


def check_charset(name: str | None) -> None:
    """Raise CharsetError for a charset other than US-ASCII and UTF-8 (RFC 9051 6.4.4).

    Called once the whole command has parsed, so a syntax error is reported as BAD
    before an unsupported charset is reported as NO [BADCHARSET].
    """
    if name is not None and name not in SUPPORTED_CHARSETS:
        raise CharsetError(name)


def parse_search_keys(reader: Reader, max_depth: int) -> SearchKey:
    """Parse ``search-key *(SP search-key)``; several keys become one AndKey."""
    parser = _KeyParser(reader, max_depth)
    keys = [parser.key(1)]
    while reader.try_char(b" "):
        keys.append(parser.key(1))
    return keys[0] if len(keys) == 1 else AndKey(tuple(keys))


def _text(reader: Reader) -> str:
    try:
        return reader.astring().decode("utf-8")
    except UnicodeDecodeError:
        raise ParseError("search string is not valid UTF-8") from None


class _KeyParser:
    """Recursive descent over search keys; ``depth`` counts open (, NOT and OR."""

    def __init__(self, reader: Reader, max_depth: int) -> None:
        self.reader = reader
        self.max_depth = max_depth
        self._table: dict[str, Callable[[str, int], SearchKey]] = {
            **dict.fromkeys(_HEADERS, self._header_shortcut),
            **dict.fromkeys(_DATES, self._date),
            "BODY": self._body,
            "TEXT": self._body,
            "HEADER": self._header,
            "KEYWORD": self._keyword,
            "UNKEYWORD": self._keyword,
            "LARGER": self._size,
            "SMALLER": self._size,
            "UID": self._uid,
            "NOT": self._not,
            "OR": self._or,
            "MODSEQ": self._modseq,
        }

    def key(self, depth: int) -> SearchKey:
        if depth > self.max_depth:
            raise ParseError("search key nesting too deep", "LIMIT")
        reader = self.reader
        if reader.try_char(b"("):
            keys = [self.key(depth + 1)]
            while reader.try_char(b" "):
                keys.append(self.key(depth + 1))
            reader.char(b")")
            return keys[0] if len(keys) == 1 else AndKey(tuple(keys))
        if reader.at_sequence_set():
            return SequenceKey(reader.sequence_set(), uid=False)
        name = reader.atom().upper()
        simple = _SIMPLE.get(name)
        if simple is not None:
            return simple
        handler = self._table.get(name)
        if handler is None:
            raise ParseError(f"unknown search key {name[:40]}")
        reader.sp()
        return handler(name, depth)

    def _header_shortcut(self, name: str, depth: int) -> SearchKey:
        return HeaderKey(_HEADERS[name], _text(self.reader))

    def _header(self, name: str, depth: int) -> SearchKey:
        field = _text(self.reader).lower()
        self.reader.sp()
        return HeaderKey(field, _text(self.reader))

    def _body(self, name: str, depth: int) -> SearchKey:
        return TextKey(_text(self.reader), headers=name == "TEXT")

    def _date(self, name: str, depth: int) -> SearchKey:
        field, op = _DATES[name]
        return DateKey(field, op, self.reader.date())

    def _keyword(self, name: str, depth: int) -> SearchKey:
        return FlagKey(self.reader.atom(), present=name == "KEYWORD")

    def _size(self, name: str, depth: int) -> SearchKey:
        op = SizeOp.LARGER if name == "LARGER" else SizeOp.SMALLER
        return SizeKey(op, self.reader.number(MAX_NUMBER64))  # RFC 9051: number64

    def _uid(self, name: str, depth: int) -> SearchKey:
        return SequenceKey(self.reader.sequence_set(), uid=True)

    def _not(self, name: str, depth: int) -> SearchKey:
        return NotKey(self.key(depth + 1))

    def _or(self, name: str, depth: int) -> SearchKey:
        left = self.key(depth + 1)
        self.reader.sp()
        return OrKey(left, self.key(depth + 1))

    def _modseq(self, name: str, depth: int) -> SearchKey:
        # RFC 7162 3.1.5: "MODSEQ" [SP entry-name SP entry-type-req] SP mod-sequence-valzer
        reader = self.reader
        entry = entry_type = None
        if reader.peek() == 0x22:
            entry = reader.quoted().decode("ascii", "replace")
            reader.sp()
            entry_type = reader.atom().lower()
            if entry_type not in _ENTRY_TYPES:
                raise ParseError("invalid MODSEQ entry type")
            reader.sp()
        return ModSeqKey(reader.number(MAX_NUMBER64), entry, entry_type)
