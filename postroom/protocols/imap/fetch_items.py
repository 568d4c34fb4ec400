"""FETCH data items and their parser (RFC 9051 6.4.5, RFC 3501 6.4.5, RFC 3516, RFC 7162).

An item is one of:

- ``FetchAttr(name)``: ENVELOPE, FLAGS, INTERNALDATE, RFC822, RFC822.HEADER, RFC822.SIZE,
  RFC822.TEXT, BODY, BODYSTRUCTURE, UID, MODSEQ (RFC 7162 3.1.4).
- ``BodySection``: ``BODY[...]``, ``BODY.PEEK[...]`` and, with ``binary``, ``BINARY[...]``
  and ``BINARY.PEEK[...]`` (RFC 3516 4.2), with an optional ``<origin.length>``.
- ``BinarySize(part)``: ``BINARY.SIZE[part]`` (RFC 3516 4.2).

The macros ALL, FAST and FULL are expanded here (RFC 9051 6.4.5), so handlers only see
the items. ``responses.fetch_label`` gives the name under which an item is answered.

Invariants: section part numbers are nz-numbers; MIME needs a part; HEADER.FIELDS needs
a non-empty list; BINARY sections take a part only. Anything else is a ``ParseError``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .lexer import MAX_NUMBER, MAX_NUMBER64, ParseError, Reader

__all__ = ["MACROS", "BinarySize", "BodySection", "FetchAttr", "FetchItem", "parse_fetch_items"]

SIMPLE_ATTRS = frozenset(
    {
        "ENVELOPE",
        "FLAGS",
        "INTERNALDATE",
        "RFC822",
        "RFC822.HEADER",
        "RFC822.SIZE",
        "RFC822.TEXT",
        "BODY",
        "BODYSTRUCTURE",
        "UID",
        "MODSEQ",  # RFC 7162 3.1.4.1
    }
)
_TEXT_SPECS = frozenset({"", "HEADER", "HEADER.FIELDS", "HEADER.FIELDS.NOT", "TEXT", "MIME"})
_NAME_RE = re.compile(rb"[A-Za-z0-9.]+")
_SECTION_RE = re.compile(rb"[A-Za-z0-9.]*")


@dataclass(frozen=True, slots=True)
class FetchAttr:
    name: str


@dataclass(frozen=True, slots=True)
class BodySection:
    """A body section. ``part`` () is the whole message; ``text`` is one of "", HEADER,
    HEADER.FIELDS, HEADER.FIELDS.NOT, TEXT, MIME; ``fields`` the header names as sent;
    ``partial`` is (origin, length); ``peek`` does not set \\Seen."""

    part: tuple[int, ...] = ()
    text: str = ""
    fields: tuple[str, ...] = ()
    partial: tuple[int, int] | None = None
    peek: bool = False
    binary: bool = False


@dataclass(frozen=True, slots=True)
class BinarySize:
    part: tuple[int, ...] = ()


FetchItem = FetchAttr | BodySection | BinarySize

_FAST = (FetchAttr("FLAGS"), FetchAttr("INTERNALDATE"), FetchAttr("RFC822.SIZE"))
MACROS: dict[str, tuple[FetchItem, ...]] = {
    "FAST": _FAST,
    "ALL": (*_FAST, FetchAttr("ENVELOPE")),
    "FULL": (*_FAST, FetchAttr("ENVELOPE"), FetchAttr("BODY")),
}


def parse_fetch_items(reader: Reader) -> tuple[FetchItem, ...]:
    """RFC 9051 9: "ALL" / "FULL" / "FAST" / fetch-att / "(" fetch-att *(SP fetch-att) ")"."""
    if reader.try_char(b"("):
        items = [_fetch_att(reader)]
        while reader.try_char(b" "):
            items.append(_fetch_att(reader))
        reader.char(b")")
        return tuple(dict.fromkeys(items))
    for macro, expansion in MACROS.items():
        if reader.try_keyword(macro.encode()):
            return expansion
    return (_fetch_att(reader),)


def _name(reader: Reader) -> str:
    rest = reader.rest_of_segment()
    match = _NAME_RE.match(rest)
    if match is None:
        raise ParseError("expected fetch attribute")
    reader.char(match.group(0))
    return match.group(0).decode("ascii").upper()


def _fetch_att(reader: Reader) -> FetchItem:
    name = _name(reader)
    if reader.peek() != 0x5B:  # "["
        if name not in SIMPLE_ATTRS:
            raise ParseError(f"unknown fetch attribute {name[:40]}")
        return FetchAttr(name)
    if name == "BINARY.SIZE":
        return BinarySize(_binary_section(reader))
    if name in ("BINARY", "BINARY.PEEK"):
        part = _binary_section(reader)
        return BodySection(part, partial=_partial(reader), peek=name.endswith("PEEK"), binary=True)
    if name not in ("BODY", "BODY.PEEK"):
        raise ParseError(f"unknown fetch attribute {name[:40]}")
    part, text, fields = _section(reader)
    return BodySection(part, text, fields, _partial(reader), peek=name == "BODY.PEEK")


def _split_spec(spec: str) -> tuple[tuple[int, ...], str]:
    """'1.2.HEADER.FIELDS' -> ((1, 2), 'HEADER.FIELDS')."""
    pieces = spec.split(".") if spec else []
    part: list[int] = []
    while pieces and pieces[0].isdigit():
        digits = pieces.pop(0)
        if len(digits) > 10 or digits.startswith("0") or int(digits) > MAX_NUMBER:
            raise ParseError("invalid section part number")
        part.append(int(digits))
    text = ".".join(pieces).upper()
    if text not in _TEXT_SPECS or (text == "MIME" and not part):
        raise ParseError("invalid body section")
    if spec.endswith(".") and spec:
        raise ParseError("invalid body section")
    return tuple(part), text


def _section(reader: Reader) -> tuple[tuple[int, ...], str, tuple[str, ...]]:
    # RFC 9051 9: section = "[" [section-spec] "]"
    reader.char(b"[")
    match = _SECTION_RE.match(reader.rest_of_segment())
    raw = match.group(0) if match else b""
    reader.try_char(raw)
    part, text = _split_spec(raw.decode("ascii"))
    fields: tuple[str, ...] = ()
    if text.startswith("HEADER.FIELDS"):
        reader.sp()
        fields = _header_list(reader)
    reader.char(b"]")
    return part, text, fields


def _header_list(reader: Reader) -> tuple[str, ...]:
    # RFC 9051 9: header-list = "(" header-fld-name *(SP header-fld-name) ")"
    reader.char(b"(")
    names = [reader.astring()]
    while reader.try_char(b" "):
        names.append(reader.astring())
    reader.char(b")")
    try:
        return tuple(name.decode("ascii") for name in names)
    except UnicodeDecodeError:
        raise ParseError("header field names are ASCII") from None


def _binary_section(reader: Reader) -> tuple[int, ...]:
    # RFC 3516 4.2: section-binary = "[" [section-part] "]"
    part, text, _ = _section(reader)
    if text:
        raise ParseError("BINARY takes a part number only")
    return part


def _partial(reader: Reader) -> tuple[int, int] | None:
    # RFC 9051 9: partial = "<" number64 "." nz-number64 ">"
    if not reader.try_char(b"<"):
        return None
    origin = reader.number(MAX_NUMBER64)
    reader.char(b".")
    length = reader.nz_number(MAX_NUMBER64)
    reader.char(b">")
    return origin, length
