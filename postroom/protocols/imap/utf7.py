"""Modified UTF-7 for IMAP mailbox names (RFC 3501 5.1.3, RFC 2152).

Before UTF8=ACCEPT (RFC 6855) or IMAP4rev2 (RFC 9051 5.1) is enabled, mailbox names on
the wire are 7-bit: printable US-ASCII stands for itself, "&" is written "&-", and every
other run of characters is "&" + modified BASE64 of its UTF-16BE form + "-" (BASE64 with
"," instead of "/" and no "=" padding).

Invariants:
- ``encode`` always produces the one canonical form; ``decode`` is strict and accepts only
  that form, so ``encode(decode(s)) == s`` for every ``s`` that ``decode`` accepts. Anything
  else (8-bit or control octets, an unterminated shift, BASE64 that encodes printable
  ASCII, non-zero padding bits, two adjacent shifts, unpaired surrogates) raises
  ``postroom.errors.Invalid``.
- Pure functions, no state.
"""

from __future__ import annotations

import base64
import binascii

from postroom.errors import Invalid

__all__ = ["decode", "encode"]

_B64_CHARS = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,")


def _is_direct(char: str) -> bool:
    """RFC 3501 5.1.3: printable US-ASCII other than "&" represents itself."""
    return "\x20" <= char <= "\x7e" and char != "&"


def _encode_run(run: str) -> str:
    data = run.encode("utf-16-be", "surrogatepass")
    text = base64.b64encode(data).rstrip(b"=").replace(b"/", b",")
    return "&" + text.decode("ascii") + "-"


def encode(name: str) -> str:
    """Encode a mailbox name to modified UTF-7 (the canonical, shortest form)."""
    out: list[str] = []
    run: list[str] = []
    for char in name:
        if _is_direct(char):
            if run:
                out.append(_encode_run("".join(run)))
                run.clear()
            out.append(char)
        elif char == "&":
            if run:
                out.append(_encode_run("".join(run)))
                run.clear()
            out.append("&-")
        else:
            run.append(char)
    if run:
        out.append(_encode_run("".join(run)))
    return "".join(out)


def _decode_run(chunk: bytes) -> str:
    if not chunk or any(octet not in _B64_CHARS for octet in chunk):
        raise Invalid("invalid modified UTF-7 mailbox name")
    standard = chunk.replace(b",", b"/")
    padded = standard + b"=" * (-len(standard) % 4)
    try:
        data = base64.b64decode(padded, validate=True)
        return data.decode("utf-16-be")
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise Invalid("invalid modified UTF-7 mailbox name") from exc


def decode(raw: bytes | str) -> str:
    """Decode a modified UTF-7 mailbox name strictly; raise ``Invalid`` if malformed."""
    data = raw.encode("latin-1") if isinstance(raw, str) else bytes(raw)
    if any(octet < 0x20 or octet > 0x7E for octet in data):
        raise Invalid("mailbox name must be 7-bit printable (modified UTF-7)")
    out: list[str] = []
    pos = 0
    while pos < len(data):
        amp = data.find(b"&", pos)
        if amp < 0:
            out.append(data[pos:].decode("ascii"))
            break
        out.append(data[pos:amp].decode("ascii"))
        end = data.find(b"-", amp + 1)
        if end < 0:
            raise Invalid("unterminated modified UTF-7 shift")
        out.append("&" if end == amp + 1 else _decode_run(data[amp + 1 : end]))
        pos = end + 1
    text = "".join(out)
    # RFC 3501 5.1.3: the shortest form only. Re-encoding catches BASE64 that encodes
    # printable ASCII, adjacent shifts and non-zero padding bits in one comparison.
    if encode(text).encode("ascii") != data:
        raise Invalid("non-canonical modified UTF-7 mailbox name")
    return text
