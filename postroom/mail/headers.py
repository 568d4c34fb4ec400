"""Header blocks: reading them from raw bytes, unfolding, and decoding for display.

Purpose: turn the header section of a message or MIME entity (RFC 5322 2.2, RFC 2045 3)
into an ordered list of ``(name, raw value bytes)`` pairs with exact byte offsets, and
offer the two ways Postroom reads a value:

* *wire text* (:func:`wire_text`): unfolded, trimmed, bytes decoded as UTF-8 with
  ``surrogateescape`` so ``s.encode("utf-8", "surrogateescape")`` gives the original
  bytes back. This is what IMAP must send (ENVELOPE, BODYSTRUCTURE strings). NUL, which
  no IMAP string may carry (RFC 3501 9, CHAR8 excludes %x00), is the one exception: it
  becomes U+FFFD.
* *display text* (:func:`display_text`): unfolded, UTF-8 with a latin-1 fallback for
  8-bit bytes (RFC 6532 allows UTF-8; older mailers send latin-1), RFC 2047 encoded-words
  decoded, control characters removed. Never contains surrogates.

Invariants:

* Nothing here raises on any input bytes; odd input gives a best-effort answer.
* Offsets are into the bytes given; a header block is bounded by a byte budget, and once
  the budget is spent the rest is left to the caller as body (``truncated`` is set).
* Bare LF is accepted wherever CRLF is expected.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import re
from dataclasses import dataclass, field

# RFC 5322 2.2: field-name = 1*ftext, ftext = %d33-57 / %d59-126, then ":" and the value
# with its continuation lines (2.2.3: a line starting with WSP continues the field). WSP
# between the name and the colon is tolerated (obsolete syntax, RFC 5322 4.5).
# Group 1 is the empty line that ends the header (RFC 5322 2.1) instead of a field.
_FIELD_RE = re.compile(rb"(\r?\n)|([\x21-\x39\x3b-\x7e]+)[ \t]*:([^\n]*(?:\n[ \t][^\n]*)*)\n?")
# RFC 5322 2.2.3: unfolding removes any CRLF that is immediately followed by WSP.
_FOLD_RE = re.compile(rb"\r?\n(?=[ \t])")
# RFC 2047 2: encoded-word = "=?" charset ["*" language] "?" encoding "?" text "?="
_ENCODED_WORD_RE = re.compile(
    r"=\?([^?\s*]+)(?:\*[^?\s]*)?\?([bBqQ])\?([^?\s]*)\?=",
)
_WSP_ONLY_RE = re.compile(r"[ \t\r\n]*")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_ESCAPED_RE = re.compile(r"[\udc80-\udcff]")
_QP_HEX_RE = re.compile(rb"=([0-9A-Fa-f]{2})")


@dataclass(frozen=True, slots=True)
class HeaderField:
    """One header field: its name as written and its raw value (after the colon).

    ``value`` keeps folding line breaks and leading whitespace exactly as in the input,
    without the final line terminator. ``start`` is the offset of the field's first byte.
    """

    name: str
    value: bytes
    start: int


@dataclass(frozen=True, slots=True)
class HeaderBlock:
    """A parsed header section.

    ``fields`` are in header order, repeated fields included; :meth:`get` gives the first
    of a name. ``body_start`` is the offset of the first body byte: just after the blank line that
    ends the header (RFC 5322 2.1), or the start of the first line that is neither a field
    nor a continuation (tolerated: then there is no separator line). ``truncated`` is true
    when the byte budget ran out before the header ended; the rest is then body.
    """

    fields: tuple[HeaderField, ...]
    body_start: int
    size: int
    truncated: bool
    first: dict[str, bytes] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        first: dict[str, bytes] = {}
        for item in reversed(self.fields):
            first[item.name.lower()] = item.value
        object.__setattr__(self, "first", first)  # an index, so lookups stay O(1)

    def get(self, name: str) -> bytes | None:
        """The raw value of the first field called ``name`` (case-insensitive), or None."""
        return self.first.get(name.lower())


def read_header_block(
    raw: bytes, start: int = 0, end: int | None = None, max_bytes: int = 1 << 20
) -> HeaderBlock:
    """Read the header section of the entity that starts at ``start``.

    At most ``max_bytes`` bytes are consumed; a field that would go past the budget is
    left to the body and ``truncated`` is set. Never raises.
    """
    stop = len(raw) if end is None else max(start, min(end, len(raw)))
    limit = min(stop, start + max(0, max_bytes))
    fields: list[HeaderField] = []
    pos = start
    truncated = False
    while pos < stop:
        match = _FIELD_RE.match(raw, pos, stop)
        if match is None:  # not a header line: the body starts here, unseparated
            break
        if match.end() > limit:
            truncated = True
            break
        if match.group(1):  # the empty line that ends the header
            pos = match.end()
            break
        value = match.group(3)
        if value.endswith(b"\r"):
            value = value[:-1]
        fields.append(HeaderField(match.group(2).decode("ascii"), value, pos))
        pos = match.end()
    return HeaderBlock(tuple(fields), pos, pos - start, truncated)


def unfold(value: bytes) -> bytes:
    """Remove folding line breaks (RFC 5322 2.2.3); other bytes are kept as they are."""
    return _FOLD_RE.sub(b"", value)


def wire_text(value: bytes) -> str:
    """Unfolded, trimmed value as wire text (see the module docstring); round-trips.

    ``wire_text(v).encode("utf-8", "surrogateescape") == unfold(v).strip(b" \\t")`` for
    every ``v`` without NUL bytes.
    """
    text = unfold(value).strip(b" \t").decode("utf-8", "surrogateescape")
    return text.replace("\x00", "\ufffd")


def wire_bytes(text: str) -> bytes:
    """The bytes a wire-text string stands for (inverse of :func:`wire_text`)."""
    return text.encode("utf-8", "surrogateescape")


def bytes_to_text(value: bytes) -> str:
    """Decode header bytes for display: UTF-8 (RFC 6532), else latin-1. Never raises.

    The fallback is per byte: valid UTF-8 sequences stay UTF-8 and each byte that is not
    part of one is read as latin-1, so a header mixing both reads right.
    """
    text = value.decode("utf-8", "surrogateescape")
    return _ESCAPED_RE.sub(lambda m: chr(ord(m.group()) - 0xDC00), text)


def display_text(value: bytes) -> str:
    """Unfolded, trimmed, RFC 2047-decoded value with control characters removed."""
    text = bytes_to_text(unfold(value)).strip(" \t")
    return clean_display(decode_encoded_words(text))


def clean_display(text: str) -> str:
    """Remove C0 controls (except TAB, CR, LF) and DEL, which no display field needs."""
    return _CONTROL_RE.sub("", text)


def decode_encoded_words(text: str) -> str:
    """Decode RFC 2047 encoded-words in ``text``. Never raises.

    Whitespace between two adjacent encoded-words is dropped (RFC 2047 6.2), and the
    bytes of adjacent words in the same charset are joined before decoding, so a
    multi-byte character split across two words (common in practice) survives. Unknown
    charsets fall back to UTF-8 with replacement characters.
    """
    if "=?" not in text:
        return text
    out: list[str] = []
    pending: list[bytes] = []
    pending_charset = ""
    pos = 0
    for match in _ENCODED_WORD_RE.finditer(text):
        between = text[pos : match.start()]
        if not pending or _WSP_ONLY_RE.fullmatch(between) is None:
            _flush(out, pending, pending_charset)
            pending = []
            out.append(between)
        charset = match.group(1).lower()
        if pending and charset != pending_charset:
            _flush(out, pending, pending_charset)
            pending = []
        pending_charset = charset
        pending.append(_decode_word(match.group(2), match.group(3)))
        pos = match.end()
    _flush(out, pending, pending_charset)
    out.append(text[pos:])
    return "".join(out)


def _flush(out: list[str], pending: list[bytes], charset: str) -> None:
    if pending:
        out.append(decode_charset(b"".join(pending), charset))


def _decode_word(encoding: str, payload: str) -> bytes:
    data = payload.encode("ascii", "replace")
    if encoding in "bB":  # RFC 2047 4.1
        return decode_base64(data)
    # RFC 2047 4.2: "_" is a space, "=XX" an octet.
    data = data.replace(b"_", b" ")
    return _QP_HEX_RE.sub(lambda m: bytes([int(m.group(1), 16)]), data)


def decode_base64(data: bytes) -> bytes:
    """Lenient base64: ignores characters outside the alphabet and missing padding."""
    cleaned = re.sub(rb"[^A-Za-z0-9+/]", b"", data)
    if len(cleaned) % 4 == 1:  # a lone trailing sextet carries no whole octet
        cleaned = cleaned[:-1]
    cleaned += b"=" * (-len(cleaned) % 4)
    try:
        return base64.b64decode(cleaned)
    except (binascii.Error, ValueError):
        return b""


# Charsets whose Python codec is not a plain text encoding, or that interpret escapes.
_UNSAFE_CODECS = frozenset({"unicode_escape", "raw_unicode_escape", "undefined", "idna"})


def decode_charset(data: bytes, charset: str | None) -> str:
    """Decode ``data`` in the declared ``charset``; never raises.

    Unknown or unusable charsets fall back to UTF-8 with replacement. Data labelled
    US-ASCII (the MIME default, RFC 2045 5.2) that is valid UTF-8 is read as UTF-8,
    because that is nearly always what an unlabelled 8-bit body is today.
    """
    name = (charset or "us-ascii").strip().strip('"').lower()
    if name in ("us-ascii", "ascii", "ansi_x3.4-1968", ""):
        name = "utf-8"
    try:
        info = codecs.lookup(name)
        if info.name in _UNSAFE_CODECS:
            raise LookupError(name)
        return data.decode(info.name, "replace")
    except (LookupError, ValueError, UnicodeError, TypeError):
        return data.decode("utf-8", "replace")
