"""Body sections of a stored message: BODY[section]<partial> and BINARY[part]
(RFC 9051 6.4.5, RFC 3501 6.4.5, RFC 3516 4.2).

Everything is cut from the exact stored bytes with the offsets of the MIME tree built at
delivery (``postroom.mail.summary.find_part``), so ``BODY[]`` is byte-identical to what
was delivered or appended.

Invariants: pure functions, no I/O; a section that does not exist gives None (NIL); an
unknown Content-Transfer-Encoding under BINARY raises ``UnknownEncoding`` (the caller
answers ``NO [UNKNOWN-CTE]``, RFC 3516 4.3).
"""

from __future__ import annotations

from postroom.mail.bodies import decode_transfer
from postroom.mail.mime import Part
from postroom.mail.summary import find_part, part_body_bytes, part_header_bytes

from .fetch_items import BodySection

__all__ = ["UnknownEncoding", "binary_bytes", "filter_header", "section_bytes"]

_KNOWN_ENCODINGS = frozenset({"7bit", "8bit", "binary", "base64", "quoted-printable"})


class UnknownEncoding(Exception):
    """BINARY of a part whose transfer encoding we cannot undo."""


def _header_fields(header: bytes) -> list[tuple[bytes, bytes]]:
    """(lower-cased name, the field's lines as sent) in order, up to the blank line."""
    fields: list[tuple[bytes, bytes]] = []
    for line in header.splitlines(keepends=True):
        if line in (b"\r\n", b"\n"):
            break
        if line[:1] in (b" ", b"\t") and fields:
            name, block = fields[-1]
            fields[-1] = (name, block + line)  # RFC 5322 2.2.3: a folded continuation
        else:
            fields.append((line.split(b":", 1)[0].strip().lower(), line))
    return fields


def filter_header(header: bytes, names: tuple[str, ...], *, exclude: bool) -> bytes:
    """HEADER.FIELDS / HEADER.FIELDS.NOT: the chosen fields, then the blank line."""
    wanted = {name.lower().encode("ascii") for name in names}
    kept = [block for name, block in _header_fields(header) if (name in wanted) != exclude]
    return b"".join(kept) + b"\r\n"


def _message_root(root: Part, part: tuple[int, ...]) -> Part | None:
    """The message whose HEADER/TEXT a section names: the top level, or an
    encapsulated message/rfc822 part."""
    if not part:
        return root
    found = find_part(root, ".".join(map(str, part)))
    if found is None:
        return None
    return found.message if found.message is not None else (found if found is root else None)


def section_bytes(raw: bytes, root: Part, item: BodySection) -> bytes | None:
    """The octets of ``BODY[...]`` (before ``<partial>`` is applied), or None."""
    text = item.text
    if not item.part and not text:
        return raw
    if text in ("", "MIME"):
        found = find_part(root, ".".join(map(str, item.part)))
        if found is None:
            return None
        return part_body_bytes(raw, found) if text == "" else part_header_bytes(raw, found)
    message = _message_root(root, item.part)
    if message is None:
        return None
    if text == "TEXT":
        return part_body_bytes(raw, message)
    header = part_header_bytes(raw, message)
    if text == "HEADER":
        return header
    return filter_header(header, item.fields, exclude=text == "HEADER.FIELDS.NOT")


def binary_bytes(raw: bytes, root: Part, part: tuple[int, ...]) -> bytes | None:
    """``BINARY[part]``: the part's body with its transfer encoding undone."""
    if not part:
        return raw
    found = find_part(root, ".".join(map(str, part)))
    if found is None:
        return None
    if found.children or found.message is not None:
        return part_body_bytes(raw, found)
    if found.encoding not in _KNOWN_ENCODINGS:
        raise UnknownEncoding(found.encoding)
    return decode_transfer(part_body_bytes(raw, found), found.encoding)


def partial(data: bytes | None, item: BodySection) -> bytes | None:
    """``<origin.length>`` (RFC 9051 6.4.5): an origin past the end gives ""."""
    if data is None or item.partial is None:
        return data
    origin, length = item.partial
    return data[origin : origin + length]
