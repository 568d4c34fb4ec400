"""The message summary the store keeps per message, and helpers to read parts back.

Purpose: one pass over a message at delivery (or APPEND) gives everything the front ends
need without reparsing: the IMAP ENVELOPE and the MIME tree with byte offsets (for
FETCH), decoded headers for lists and threading, a preview, the text to index, and the
attachments.

Invariants:

* :func:`summarize` never raises on any bytes and honours :class:`MimeLimits`. If an
  unexpected internal error ever happens it still returns a summary (the whole message
  as one opaque text/plain part) with the defect ``"internal-error"``.
* ``MessageSummary.from_json(s.to_json()) == s``; ``to_json()`` contains only dicts,
  lists, str, int, bool and None. Strings in ``envelope`` and ``structure`` are wire
  text (UTF-8 with surrogateescape; see :mod:`postroom.mail.headers`), so they may hold
  lone surrogates when a header has non-UTF-8 bytes: serialise with ``json.dumps``'
  default ``ensure_ascii=True``. ``headers``, ``preview``, ``text`` and attachment file
  names are display text (no surrogates, no NUL).
* Offsets in the tree are into the exact bytes given to :func:`summarize`; serve FETCH
  from those same bytes.
"""

from __future__ import annotations

import email.utils
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any

from postroom.mail.addresses import Address, display_domain
from postroom.mail.bodies import (
    body_text,
    collapse_whitespace,
    decode_transfer,
    estimate_decoded_size,
    html_to_text,
)
from postroom.mail.envelope import (
    MISSING_HOST,
    MISSING_MAILBOX,
    Envelope,
    parse_envelope_addresses,
)
from postroom.mail.headers import (
    HeaderBlock,
    bytes_to_text,
    clean_display,
    decode_encoded_words,
    display_text,
    wire_bytes,
    wire_text,
)
from postroom.mail.mime import MimeLimits, Part, parse_message
from postroom.mail.params import display_param, param

SUMMARY_VERSION = 1
_MSG_ID_RE = re.compile(r"<[^<>\s]+>")
_PREVIEW_SOURCE_CHARS = 64 * 1024  # enough source for a preview, even after a big <style>
_BYTES_PER_CHAR = 6  # generous bound on encoded bytes per text character (base64 + UTF-8)
_HTML_CHARS_PER_CHAR = 2  # HTML source read per character of text wanted


@dataclass(frozen=True, slots=True)
class Attachment:
    """An attachment: its IMAP section, decoded file name, type and decoded size estimate."""

    part: str
    filename: str | None
    content_type: str
    size: int

    def to_json(self) -> dict[str, Any]:
        return {
            "part": self.part,
            "filename": self.filename,
            "content_type": self.content_type,
            "size": self.size,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Attachment:
        return cls(data["part"], data.get("filename"), data["content_type"], data["size"])


@dataclass(frozen=True)
class MessageSummary:
    """Everything Postroom keeps about a message besides its bytes (see module docstring)."""

    size: int
    envelope: Envelope
    structure: Part
    headers: dict[str, Any]
    preview: str
    text: str
    attachments: tuple[Attachment, ...] = ()
    defects: tuple[str, ...] = ()
    version: int = field(default=SUMMARY_VERSION)

    @property
    def has_attachments(self) -> bool:
        return bool(self.attachments)

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "size": self.size,
            "envelope": self.envelope.to_json(),
            "structure": self.structure.to_json(),
            "headers": self.headers,
            "preview": self.preview,
            "text": self.text,
            "attachments": [a.to_json() for a in self.attachments],
            "has_attachments": self.has_attachments,
            "defects": list(self.defects),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> MessageSummary:
        return cls(
            size=data["size"],
            envelope=Envelope.from_json(data["envelope"]),
            structure=Part.from_json(data["structure"]),
            headers=data["headers"],
            preview=data["preview"],
            text=data["text"],
            attachments=tuple(Attachment.from_json(a) for a in data["attachments"]),
            defects=tuple(data.get("defects", [])),
            version=data.get("version", SUMMARY_VERSION),
        )


def summarize(
    raw: bytes | bytearray | memoryview, limits: MimeLimits = MimeLimits()
) -> MessageSummary:
    """Summarise a message; never raises (see the module docstring)."""
    data = bytes(raw)
    try:
        return _summarize(data, limits)
    except Exception:  # a bug must not stop delivery; tests assert this never happens
        return _fallback_summary(data)


def _summarize(raw: bytes, limits: MimeLimits) -> MessageSummary:
    parsed = parse_message(raw, limits)
    return MessageSummary(
        size=len(raw),
        envelope=parsed.envelope,
        structure=parsed.structure,
        headers=summary_headers(parsed.header),
        preview=_preview(raw, parsed.structure, limits.preview_chars),
        text=_index_text(raw, parsed.structure, limits.max_text_chars),
        attachments=tuple(_attachments(raw, parsed.structure)),
        defects=parsed.defects,
    )


def _fallback_summary(raw: bytes) -> MessageSummary:
    lines = raw.count(b"\n") + (1 if raw and not raw.endswith(b"\n") else 0)
    root = Part("", "text", "plain", (("charset", "us-ascii"),), 0, 0, len(raw), lines, opaque=True)
    defects = ("internal-error",)
    return MessageSummary(len(raw), Envelope(), root, summary_headers(None), "", "", (), defects)


# --- decoded headers ---------------------------------------------------------------


def summary_headers(header: HeaderBlock | None) -> dict[str, Any]:
    """The decoded header fields of ``MessageSummary.headers`` (display text)."""

    def get(name: str) -> bytes | None:
        return None if header is None else header.get(name)

    def addresses(name: str) -> list[dict[str, str]]:
        value = get(name)
        return [] if value is None else [a.to_json() for a in display_addresses(value)]

    subject = get("Subject")
    msg_ids = {name: _msg_ids(get(name)) for name in ("Message-ID", "In-Reply-To", "References")}
    return {
        "subject": None if subject is None else display_text(subject),
        "from": addresses("From"),
        "sender": addresses("Sender"),
        "reply_to": addresses("Reply-To"),
        "to": addresses("To"),
        "cc": addresses("Cc"),
        "bcc": addresses("Bcc"),
        "date": _iso_date(get("Date")),
        "message_id": _first(msg_ids["Message-ID"]),
        "in_reply_to": _first(msg_ids["In-Reply-To"]),
        "references": msg_ids["References"],
    }


def display_addresses(value: bytes) -> list[Address]:
    """The mailboxes of an address-list field as display data, group markers dropped.

    Read with the ENVELOPE parser, so web mail and IMAP clients see the same addresses;
    entries without a local part or a domain are skipped.
    """
    result: list[Address] = []
    for name, _adl, mailbox, host in parse_envelope_addresses(wire_text(value)):
        if mailbox in (None, MISSING_MAILBOX) or host in (None, MISSING_HOST):
            continue
        display_name = clean_display(decode_encoded_words(_as_display(name or "")))
        local, domain = _as_display(mailbox or ""), display_domain(_as_display(host or ""))
        result.append(Address(display_name.strip(), local, domain))
    return result


def _as_display(text: str) -> str:
    """Wire text as display text: bytes that are not UTF-8 read as latin-1, no controls."""
    return clean_display(bytes_to_text(wire_bytes(text)))


def _first(items: list[str]) -> str | None:
    return items[0] if items else None


def _msg_ids(value: bytes | None) -> list[str]:
    """msg-id tokens ``<left@right>`` (RFC 5322 3.6.4), in order."""
    if value is None:
        return []
    return _MSG_ID_RE.findall(display_text(value))


def _iso_date(value: bytes | None) -> str | None:
    """The Date field (RFC 5322 3.3) as ISO 8601; "-0000" zones are taken as UTC."""
    if value is None:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(display_text(value))
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.isoformat()


# --- preview, text, attachments ----------------------------------------------------


def _preview(raw: bytes, root: Part, limit: int) -> str:
    """The first text/plain part of the message itself, else its first text/html."""
    leaves = [p for p in _own_leaves(root) if p.type == "text" and not _is_attachment(p, False)]
    for subtype in ("plain", "html"):
        for part in leaves:
            if part.subtype == subtype and not part.opaque:
                return collapse_whitespace(_part_text(raw, part, _PREVIEW_SOURCE_CHARS))[:limit]
    for part in leaves:
        if part.opaque:
            return collapse_whitespace(_part_text(raw, part, _PREVIEW_SOURCE_CHARS))[:limit]
    return ""


def _own_leaves(part: Part) -> Iterator[Part]:
    """Leaves in document order, not descending into encapsulated messages."""
    if part.children:
        for child in part.children:
            yield from _own_leaves(child)
    elif part.message is None:
        yield part


def _index_text(raw: bytes, root: Part, limit: int) -> str:
    """The text of the readable parts, encapsulated messages included, at most ``limit``."""
    chunks: list[str] = []
    remaining = limit
    for part in _readable_parts(root):
        if remaining <= 0:
            break
        text = _part_text(raw, part, remaining)[:remaining]
        chunks.append(text)
        remaining -= len(text) + 1
    return "\n".join(chunks)[:limit]


def _readable_parts(part: Part) -> Iterator[Part]:
    """Text leaves to index; of a multipart/alternative only the plain or the last one."""
    if part.message is not None:
        yield from _readable_parts(part.message)
    elif part.children:
        children: tuple[Part, ...] = part.children
        if part.subtype == "alternative":
            plain = [c for c in children if c.content_type == "text/plain" and not c.children]
            children = (plain[0],) if plain else children[-1:]
        for child in children:
            yield from _readable_parts(child)
    elif (
        part.type == "text"
        and part.subtype in ("plain", "html")
        and not _is_attachment(part, False)
    ):
        yield part


def _part_text(raw: bytes, part: Part, max_chars: int) -> str:
    """Decoded text of a leaf, reading only as much of its body as ``max_chars`` needs."""
    data = raw[part.body_start : min(part.end, part.body_start + max_chars * _BYTES_PER_CHAR)]
    text = body_text(decode_transfer(data, part.encoding), param(part.params, "charset"))
    if part.subtype == "html":  # markup does not count: read a bounded prefix of it
        return html_to_text(text[: max_chars * _HTML_CHARS_PER_CHAR])
    return text


def _attachments(raw: bytes, root: Part) -> Iterator[Attachment]:
    yield from _find_attachments(raw, root, in_related=False)


def _find_attachments(raw: bytes, part: Part, in_related: bool) -> Iterator[Attachment]:
    if part.children:
        related = part.subtype == "related"
        for child in part.children:
            yield from _find_attachments(raw, child, related)
        return
    if not _is_attachment(part, in_related):
        return
    size = part.size
    if part.message is None:
        size = estimate_decoded_size(part_body_bytes(raw, part), part.encoding)
    filename = display_param(part.disposition_params, "filename")
    if filename is None:
        filename = display_param(part.params, "name")
    yield Attachment(part.number or "1", filename, part.content_type, size)


def _is_attachment(part: Part, in_related: bool) -> bool:
    """Attachment rules: RFC 2183 disposition first, then file names and media types."""
    if part.opaque or part.children:
        return False
    if part.disposition == "attachment":
        return True
    if part.disposition == "inline":
        return False
    if part.message is not None:  # a forwarded message
        return True
    if param(part.disposition_params, "filename") or param(part.params, "name"):
        return True
    return part.type != "text" and not in_related


# --- reading parts back ------------------------------------------------------------


def walk(root: Part) -> Iterator[Part]:
    """Every part in document order: a part, then its children or encapsulated message."""
    stack = [root]
    while stack:
        part = stack.pop()
        yield part
        if part.message is not None:
            stack.append(part.message)
        stack.extend(reversed(part.children))


def find_part(root: Part, section: str) -> Part | None:
    """The part an IMAP section-part names (RFC 3501 6.4.5), or None.

    ``""`` gives ``root``. A non-multipart message (or encapsulated message) is its own
    part ``1``; stepping into a message/rfc822 part continues in its message, so for a
    part ``2`` of type message/rfc822 whose message is multipart, ``2.1`` is that
    message's first part, and if it is not multipart, ``2.1`` is the message itself.

    With ``p = find_part(root, s)``: ``BODY[s]`` is ``part_body_bytes(raw, p)`` and
    ``BODY[s.MIME]`` is ``part_header_bytes(raw, p)``. ``BODY[s.HEADER]`` and
    ``BODY[s.TEXT]`` need a message: ``m = p.message`` (None unless p is message/rfc822),
    then ``part_header_bytes(raw, m)`` / ``part_body_bytes(raw, m)``. For the top level
    (``BODY[HEADER]``, ``BODY[TEXT]``) use ``root`` itself; ``BODY[]`` is all of ``raw``.
    """
    if section == "":
        return root
    node, at_message = root, True
    for item in section.split("."):
        if not (item.isascii() and item.isdigit()) or item.startswith("0") or len(item) > 6:
            return None
        index = int(item)
        if node.message is not None and not at_message:
            node, at_message = node.message, True
        if node.children:
            if index > len(node.children):
                return None
            node, at_message = node.children[index - 1], False
        elif at_message and index == 1:
            at_message = False
        else:
            return None
    return node


def part_header_bytes(raw: bytes, part: Part) -> bytes:
    """The header of ``part`` with its terminating blank line (RFC 3501 HEADER / MIME)."""
    return raw[part.header_start : part.body_start]


def part_body_bytes(raw: bytes, part: Part) -> bytes:
    """The body of ``part`` as stored, still transfer-encoded (RFC 3501 BODY[section])."""
    return raw[part.body_start : part.end]


def decode_body(raw: bytes, part: Part) -> bytes:
    """The body of ``part`` with its Content-Transfer-Encoding undone; never raises."""
    return decode_transfer(part_body_bytes(raw, part), part.encoding)
