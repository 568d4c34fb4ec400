"""A defensive MIME structure parser over raw message bytes (RFC 2045, 2046, 5322).

Purpose: find every MIME entity of a message once, at delivery, with byte offsets into
the original bytes and every field IMAP BODY/BODYSTRUCTURE needs (RFC 3501 7.4.2), so
that FETCH can be served from the stored tree and the stored blob without reparsing.
The ``email`` package is not used for the structure: it copies every part into memory,
keeps no offsets, and knows none of our limits.

Invariants:

* :func:`parse_message` never raises on any bytes and returns a best-effort tree.
* Offsets are into the bytes given: ``0 <= header_start <= body_start <= end <= len(raw)``
  for every part; children lie inside their parent's body, in order, without overlap.
* Limits (:class:`MimeLimits`) always hold: at most ``max_parts`` :class:`Part` objects
  (nested message roots included), at most ``max_depth`` parts on any root-to-leaf
  chain, and at most ``max_header_bytes`` of header lines read in total. Where a limit
  stops the parser it does not descend further and the entity is *opaque* (below).
* Every multipart part has at least one child (IMAP needs one, RFC 3501 9 body-type-mpart)
  and every part whose ``message`` is set also has an ``envelope``. An entity that cannot
  be descended (limit reached, no boundary parameter, no delimiter line found) is given
  as a leaf of type text/plain; charset=us-ascii with ``opaque`` true: its body is then
  the raw MIME text, the same default RFC 2045 5.2 gives an unusable Content-Type.
* Line endings: CRLF or bare LF. The line break before a delimiter belongs to the
  delimiter (RFC 2046 5.1.1), so it is not part of the preceding part's body.
* Strings in the tree are wire text (see :mod:`postroom.mail.headers`).

Part numbers follow IMAP section numbers (RFC 3501 6.4.5): the top-level message has
number ``""``; children of a multipart are ``"1"``, ``"2"``, ... below their parent
(``"1.2"``); the message inside a message/rfc822 part numbered ``"2"`` is a root whose
number is also ``"2"`` (its header is section ``2.HEADER``, its parts ``2.1`` ...). A
non-multipart message or root is also its own part ``1`` (see ``summary.find_part``).
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Any

from postroom.mail.envelope import Envelope, build_envelope
from postroom.mail.headers import HeaderBlock, read_header_block, wire_bytes, wire_text
from postroom.mail.params import (
    Params,
    param,
    parse_content_type,
    parse_disposition,
    strip_comments,
)

# Python recursion: the parser uses two frames per level, so depth is capped here.
_HARD_MAX_DEPTH = 250
_MAX_BOUNDARY = 1000  # RFC 2046 5.1.1 says 70; be lenient but bounded
_DEFAULT_PARAMS: Params = (("charset", "us-ascii"),)  # RFC 2045 5.2
_MESSAGE_SUBTYPES = frozenset({"rfc822", "global"})  # RFC 2046 5.2.1, RFC 6532 3.7


@dataclass(frozen=True, slots=True)
class MimeLimits:
    """Parser limits (DESIGN 5). Beyond a limit the parser stops descending; no error."""

    max_depth: int = 100
    max_parts: int = 10_000
    max_header_bytes: int = 1 << 20
    max_text_chars: int = 1 << 20  # summary.text
    preview_chars: int = 200  # summary.preview


@dataclass(frozen=True, slots=True)
class Part:
    """One MIME entity. Fields map to RFC 3501 7.4.2 BODYSTRUCTURE as follows.

    * ``type``/``subtype`` (lowercase): body-fld media type; ``params``: body-fld-param,
      ordered (name lowercased, value unquoted, RFC 2231 segments kept raw).
    * ``id``, ``description``: Content-ID, Content-Description (nstring).
    * ``encoding``: Content-Transfer-Encoding lowercased, default ``7bit``.
    * ``size``: body octets (``end - body_start``); ``lines``: body lines (a last line
      without line break counts), 0 for multiparts, which BODYSTRUCTURE gives no count.
    * message/rfc822 (and message/global): ``envelope`` and ``message`` (the nested root).
    * extension data: ``md5`` (Content-MD5), ``disposition`` + ``disposition_params``
      (RFC 2183), ``language`` (Content-Language tags, RFC 3282), ``location``
      (Content-Location, RFC 2557). For a multipart, ``params`` are the extension params.
    * offsets: ``header_start`` (first header byte), ``body_start`` (first body byte, after
      the blank line), ``end`` (one past the last body byte).
    * ``opaque``: the entity was not descended (see the module docstring).
    """

    number: str
    type: str
    subtype: str
    params: Params
    header_start: int
    body_start: int
    end: int
    lines: int
    encoding: str = "7bit"
    id: str | None = None
    description: str | None = None
    md5: str | None = None
    disposition: str | None = None
    disposition_params: Params = ()
    language: tuple[str, ...] = ()
    location: str | None = None
    children: tuple[Part, ...] = ()
    message: Part | None = None
    envelope: Envelope | None = None
    opaque: bool = False

    @property
    def size(self) -> int:
        return self.end - self.body_start

    @property
    def content_type(self) -> str:
        return f"{self.type}/{self.subtype}"

    @property
    def is_multipart(self) -> bool:
        return bool(self.children)

    def to_json(self) -> dict[str, Any]:
        """JSON-able dict; ``from_json(to_json())`` equals the part."""
        return {
            "number": self.number,
            "type": self.type,
            "subtype": self.subtype,
            "params": [list(p) for p in self.params],
            "id": self.id,
            "description": self.description,
            "encoding": self.encoding,
            "md5": self.md5,
            "disposition": self.disposition,
            "disposition_params": [list(p) for p in self.disposition_params],
            "language": list(self.language),
            "location": self.location,
            "header_start": self.header_start,
            "body_start": self.body_start,
            "end": self.end,
            "size": self.size,
            "lines": self.lines,
            "opaque": self.opaque,
            "children": [child.to_json() for child in self.children],
            "message": None if self.message is None else self.message.to_json(),
            "envelope": None if self.envelope is None else self.envelope.to_json(),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Part:
        message, envelope = data.get("message"), data.get("envelope")
        return cls(
            number=data["number"],
            type=data["type"],
            subtype=data["subtype"],
            params=_params_from_json(data["params"]),
            header_start=data["header_start"],
            body_start=data["body_start"],
            end=data["end"],
            lines=data["lines"],
            encoding=data["encoding"],
            id=data.get("id"),
            description=data.get("description"),
            md5=data.get("md5"),
            disposition=data.get("disposition"),
            disposition_params=_params_from_json(data.get("disposition_params", [])),
            language=tuple(data.get("language", [])),
            location=data.get("location"),
            children=tuple(cls.from_json(child) for child in data.get("children", [])),
            message=None if message is None else cls.from_json(message),
            envelope=None if envelope is None else Envelope.from_json(envelope),
            opaque=bool(data.get("opaque", False)),
        )


def _params_from_json(items: list[list[str]]) -> Params:
    return tuple((str(name), str(value)) for name, value in items)


@dataclass(frozen=True, slots=True)
class ParsedMessage:
    """The result of :func:`parse_message`: the tree, the top-level envelope and header."""

    structure: Part
    envelope: Envelope
    header: HeaderBlock
    defects: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Fields:
    """The Content-* fields of one entity, read from its header block."""

    type: str
    subtype: str
    params: Params
    extra: dict[str, Any] = field(default_factory=dict)


def parse_message(raw: bytes, limits: MimeLimits = MimeLimits()) -> ParsedMessage:
    """Parse the MIME structure of ``raw``; never raises (see the module docstring)."""
    parser = _Parser(raw, limits)
    root, header = parser.entity(0, len(raw), "", 1, ("text", "plain"))
    return ParsedMessage(root, build_envelope(header), header, tuple(parser.defects))


class _Parser:
    def __init__(self, raw: bytes, limits: MimeLimits) -> None:
        self.raw = raw
        self.max_depth = max(1, min(limits.max_depth, _HARD_MAX_DEPTH))
        self.max_parts = max(1, limits.max_parts)
        self.header_budget = max(0, limits.max_header_bytes)
        self.count = 0
        self.defects: list[str] = []

    def defect(self, name: str) -> None:
        if name not in self.defects:
            self.defects.append(name)

    def can_descend(self, depth: int) -> bool:
        """Whether an entity at ``depth`` may have a child at ``depth + 1``."""
        if depth >= self.max_depth:
            self.defect("depth-limit")
            return False
        if self.count >= self.max_parts:
            self.defect("part-limit")
            return False
        if self.header_budget <= 0:  # the children's headers could not be read
            self.defect("header-limit")
            return False
        return True

    def entity(
        self, start: int, end: int, number: str, depth: int, default: tuple[str, str]
    ) -> tuple[Part, HeaderBlock]:
        """Parse the entity in ``raw[start:end]`` and, within the limits, its content."""
        self.count += 1
        block = read_header_block(self.raw, start, end, self.header_budget)
        self.header_budget -= block.size
        if block.truncated:
            self.header_budget = 0
            self.defect("header-limit")
        fields = self.content_fields(block, default)
        body_start = block.body_start
        part = Part(
            number=number,
            type=fields.type,
            subtype=fields.subtype,
            params=fields.params,
            header_start=start,
            body_start=body_start,
            end=end,
            # BODYSTRUCTURE has no line count for multiparts: skip the scan.
            lines=0 if fields.type == "multipart" else _count_lines(self.raw, body_start, end),
            **fields.extra,
        )
        if fields.type == "multipart":
            part = self.multipart(part, depth)
        elif fields.type == "message" and fields.subtype in _MESSAGE_SUBTYPES:
            part = self.encapsulated(part, depth)
        return part, block

    def content_fields(self, block: HeaderBlock, default: tuple[str, str]) -> _Fields:
        parsed = None
        value = block.get("Content-Type")
        if value is not None:
            parsed = parse_content_type(wire_text(value))
            if parsed is None:
                self.defect("invalid-content-type")
        if parsed is None:
            parsed = (*default, _DEFAULT_PARAMS if default[0] == "text" else ())
        return _Fields(*parsed, extra=_extension_fields(block))

    def multipart(self, part: Part, depth: int) -> Part:
        """Split a multipart body at its boundary (RFC 2046 5.1.1) and parse each part."""
        boundary = param(part.params, "boundary")
        if not boundary or len(boundary) > _MAX_BOUNDARY:
            self.defect("no-boundary")
            return self.opaque(part)
        if not self.can_descend(depth):
            return self.opaque(part)
        ranges = self.split(wire_bytes(boundary), part.body_start, part.end)
        default = ("message", "rfc822") if part.subtype == "digest" else ("text", "plain")
        children: list[Part] = []
        for index, (start, end) in enumerate(ranges, 1):
            if self.count >= self.max_parts:
                self.defect("part-limit")
                break
            number = f"{part.number}.{index}" if part.number else str(index)
            children.append(self.entity(start, end, number, depth + 1, default)[0])
        if not children:
            self.defect("boundary-not-found")
            return self.opaque(part)
        return _replace(part, children=tuple(children))

    def encapsulated(self, part: Part, depth: int) -> Part:
        """Parse the message inside a message/rfc822 part (RFC 2046 5.2.1).

        A base64 or quoted-printable message/rfc822 (which 5.2.1 forbids) is parsed as it
        stands, so the tree keeps its offsets and IMAP still has an envelope to send.
        """
        if not self.can_descend(depth):
            return self.opaque(part)
        inner, header = self.entity(
            part.body_start, part.end, part.number, depth + 1, ("text", "plain")
        )
        return _replace(part, message=inner, envelope=build_envelope(header))

    def opaque(self, part: Part) -> Part:
        """``part`` as a text/plain leaf that is not descended (see the module docstring)."""
        lines = _count_lines(self.raw, part.body_start, part.end)
        return _replace(
            part, type="text", subtype="plain", params=_DEFAULT_PARAMS, lines=lines, opaque=True
        )

    def split(self, boundary: bytes, start: int, end: int) -> list[tuple[int, int]]:
        """Byte ranges of the body parts between delimiter lines, at most ``max_parts``.

        ``start`` is always at a line start (after a header or a delimiter line).
        """
        raw, delimiter = self.raw, b"--" + boundary
        # RFC 2046 5.1.1: a delimiter line is "--" boundary, then "--" for the close
        # delimiter, then only transport padding (linear whitespace).
        line = re.compile(b"^" + re.escape(delimiter) + rb"(--)?[ \t\r]*$", re.MULTILINE)
        ranges: list[tuple[int, int]] = []
        part_start = -1
        pos = start
        while len(ranges) < self.max_parts:
            found = raw.find(delimiter, pos, end)
            if found < 0:
                break
            # Fast path: the first occurrence is nearly always a delimiter line. After a
            # false one the regex scans on, which stays linear on hostile input.
            match = line.match(raw, found, end) or line.search(raw, found + 1, end)
            if match is None:
                break
            if part_start >= 0:
                ranges.append((part_start, _before_line_break(raw, match.start(), part_start)))
            if match.group(1):
                return ranges
            part_start = pos = min(match.end() + 1, end)
        if part_start >= 0 and len(ranges) < self.max_parts:
            self.defect("missing-close-delimiter")
            ranges.append((part_start, end))
        return ranges


def _before_line_break(raw: bytes, delimiter: int, floor: int) -> int:
    """End of a part: the CRLF (or LF) before its delimiter belongs to the delimiter."""
    end = delimiter
    if end > floor and raw[end - 1] == 0x0A:
        end -= 1
        if end > floor and raw[end - 1] == 0x0D:
            end -= 1
    return end


def _count_lines(raw: bytes, start: int, end: int) -> int:
    if end <= start:
        return 0
    return raw.count(b"\n", start, end) + (0 if raw[end - 1] == 0x0A else 1)


def _extension_fields(block: HeaderBlock) -> dict[str, Any]:
    """The Content-* fields other than Content-Type, as :class:`Part` keyword arguments."""

    def text(name: str) -> str | None:
        value = block.get(name)
        return None if value is None else wire_text(value)

    extra: dict[str, Any] = {
        "id": text("Content-ID"),
        "description": text("Content-Description"),
        "md5": text("Content-MD5"),  # RFC 1864
        "location": text("Content-Location"),  # RFC 2557 4.1
    }
    encoding = strip_comments(text("Content-Transfer-Encoding") or "").strip().lower()
    extra["encoding"] = encoding or "7bit"  # RFC 2045 6.1
    disposition = parse_disposition(text("Content-Disposition") or "")
    if disposition is not None:
        extra["disposition"], extra["disposition_params"] = disposition
    language = text("Content-Language")  # RFC 3282 2
    if language is not None:
        tags = (tag.strip() for tag in strip_comments(language).split(","))
        extra["language"] = tuple(tag for tag in tags if tag)
    return extra


def _replace(part: Part, **changes: Any) -> Part:
    return dataclasses.replace(part, **changes)
