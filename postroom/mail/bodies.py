"""Body content: transfer decoding, charset decoding and crude HTML-to-text.

Purpose: turn the body bytes of one leaf part into octets (RFC 2045 6) or into text for
previews and full-text indexing.

Invariants: nothing here raises on any input; decoding is lenient (stray characters in
base64 are ignored, broken quoted-printable is kept as it is); unknown transfer
encodings are returned undecoded (RFC 2045 6.4); output text never holds NUL or other C0
controls apart from TAB, CR and LF, and never holds surrogates.
"""

from __future__ import annotations

import binascii
import re
from html import unescape

from postroom.mail.headers import clean_display, decode_base64, decode_charset

# Crude HTML to text (enough for previews and indexing, not for display): elements whose
# content is never shown are dropped, an unclosed one hides the rest as browsers do;
# block-level tags become line breaks, other tags vanish, entities are resolved.
_HIDDEN_RE = re.compile(
    r"<(script|style|title|template)\b[^>]*>(?:.*?</\1\s*>|.*)|<!--(?:.*?-->|.*)",
    re.S | re.I,
)
_BLOCK_TAG_RE = re.compile(r"</?(?:p|div|br|tr|li|h[1-6]|table|blockquote)\b[^>]*>?", re.I)
_TAG_RE = re.compile(r"</?[A-Za-z!?][^>]*>?")
_WHITESPACE_RE = re.compile(r"\s+")


def decode_transfer(data: bytes, encoding: str) -> bytes:
    """Undo a Content-Transfer-Encoding (RFC 2045 6.7 quoted-printable, 6.8 base64)."""
    encoding = encoding.strip().lower()
    if encoding == "base64":
        return decode_base64(data)
    if encoding == "quoted-printable":
        try:
            return binascii.a2b_qp(data)
        except (binascii.Error, ValueError):
            return data
    return data  # 7bit, 8bit, binary, and unknown encodings (RFC 2045 6.4)


def estimate_decoded_size(data: bytes, encoding: str) -> int:
    """Cheap estimate of the decoded size, without decoding quoted-printable."""
    encoding = encoding.strip().lower()
    if encoding == "base64":
        significant = len(data) - sum(data.count(c) for c in (b"\r", b"\n", b" ", b"\t", b"="))
        return max(0, significant * 3 // 4)
    return len(data)


def body_text(data: bytes, charset: str | None) -> str:
    """Decoded octets as display text in ``charset`` (fallback UTF-8), controls removed."""
    return clean_display(decode_charset(data, charset))


def html_to_text(html: str) -> str:
    """Visible text of an HTML document, crudely: tags dropped, blocks become newlines."""
    text = _HIDDEN_RE.sub("", html)
    text = _BLOCK_TAG_RE.sub("\n", text)
    return clean_display(unescape(_TAG_RE.sub("", text)))


def collapse_whitespace(text: str) -> str:
    """All runs of whitespace as one space, trimmed."""
    return _WHITESPACE_RE.sub(" ", text).strip()
