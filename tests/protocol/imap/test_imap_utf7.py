"""Modified UTF-7 mailbox names (RFC 3501 5.1.3): examples, strictness, round trips."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from postroom.errors import Invalid
from postroom.protocols.imap import utf7

EXAMPLES = [
    ("INBOX", "INBOX"),
    ("", ""),
    ("~peter/mail/台北/日本語", "~peter/mail/&U,BTFw-/&ZeVnLIqe-"),  # RFC 3501 5.1.3
    ("&", "&-"),
    ("Tom & Jerry", "Tom &- Jerry"),
    ("Entwürfe", "Entw&APw-rfe"),
    ("Gelöschte Elemente", "Gel&APY-schte Elemente"),
    ("😀", "&2D3eAA-"),  # a surrogate pair
    ("a\tb", "a&AAk-b"),  # control characters are encoded too
    ("Отправленные", "&BB4EQgQ,BEAEMAQyBDsENQQ9BD0ESwQ1-"),
]


@pytest.mark.parametrize(("text", "wire"), EXAMPLES)
def test_encode(text: str, wire: str) -> None:
    assert utf7.encode(text) == wire


@pytest.mark.parametrize(("text", "wire"), EXAMPLES)
def test_decode(text: str, wire: str) -> None:
    assert utf7.decode(wire) == text
    assert utf7.decode(wire.encode("ascii")) == text


@pytest.mark.parametrize(
    "wire",
    [
        b"&",  # unterminated
        b"&U,BTFw",  # unterminated
        b"&U,BTF-",  # odd number of octets
        b"&AGE-",  # encodes "a", which must stand for itself
        b"&U,BTFw-&ZeVnLIqe-",  # two adjacent shifts: not the shortest form
        b"&U/BTFw-",  # "/" is not modified BASE64
        b"&U,BTFw=-",  # no padding
        b"&2D0-",  # unpaired high surrogate
        b"&APx-\xc3\xbc",  # 8-bit
        b"a\tb",  # control character
        b"&APz-",  # U+00FC with non-zero trailing bits (canonical: &APw-)
        b"&&-",
    ],
)
def test_decode_rejects_malformed(wire: bytes) -> None:
    with pytest.raises(Invalid):
        utf7.decode(wire)


@given(st.text())
def test_round_trip(text: str) -> None:
    wire = utf7.encode(text)
    assert wire.isascii() and all(" " <= ch <= "~" for ch in wire)
    assert utf7.decode(wire) == text


@given(st.binary(max_size=40))
def test_decode_never_raises_anything_but_invalid(data: bytes) -> None:
    try:
        text = utf7.decode(data)
    except Invalid:
        return
    assert utf7.encode(text).encode("ascii") == data  # only the canonical form is accepted
