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
from html.parser import HTMLParser

from postroom.mail.headers import clean_display, decode_base64, decode_charset

_BLOCK_TAGS = frozenset(
    {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "blockquote"}
)
_HIDDEN_TAGS = frozenset({"script", "style", "head", "title", "template"})
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
    extractor = _TextExtractor()
    try:
        extractor.feed(html)
        extractor.close()
    except Exception:  # html.parser is lenient but not promised total
        pass
    return "".join(extractor.chunks)


def collapse_whitespace(text: str) -> str:
    """All runs of whitespace as one space, trimmed."""
    return _WHITESPACE_RE.sub(" ", text).strip()


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN_TAGS:
            self.hidden += 1
        elif tag in _BLOCK_TAGS:
            self.chunks.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN_TAGS:
            self.hidden = max(0, self.hidden - 1)
        elif tag in _BLOCK_TAGS:
            self.chunks.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.chunks.append(data)
