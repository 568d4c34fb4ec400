"""Header blocks, unfolding, RFC 2047, parameters (RFC 2045/2231) and the IMAP envelope."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from postroom.mail.envelope import MISSING_HOST, build_envelope, parse_envelope_addresses
from postroom.mail.headers import (
    decode_encoded_words,
    display_text,
    read_header_block,
    unfold,
    wire_bytes,
    wire_text,
)
from postroom.mail.params import decode_params, display_param, parse_content_type


def test_read_header_block_keeps_order_raw_values_and_offsets() -> None:
    raw = b"Received: a\r\nSubject: hello\r\n  world\r\nReceived: b\r\n\r\nbody\r\n"
    block = read_header_block(raw)
    assert [(f.name, f.value) for f in block.fields] == [
        ("Received", b" a"),
        ("Subject", b" hello\r\n  world"),
        ("Received", b" b"),
    ]
    assert [f.start for f in block.fields] == [0, 13, 38]
    assert raw[block.body_start :] == b"body\r\n"
    assert block.get("subject") == b" hello\r\n  world"
    assert not block.truncated


def test_read_header_block_bare_lf_and_no_blank_line() -> None:
    block = read_header_block(b"A: 1\nB: 2\n folded\nnot a header line\nmore")
    assert [(f.name, f.value) for f in block.fields] == [("A", b" 1"), ("B", b" 2\n folded")]
    assert block.body_start == len(b"A: 1\nB: 2\n folded\n")


def test_read_header_block_without_headers() -> None:
    raw = b"Hello, this is not a header\r\n"
    block = read_header_block(raw)
    assert block.fields == () and block.body_start == 0
    block = read_header_block(b" leading continuation: x\r\n")
    assert block.fields == () and block.body_start == 0


def test_read_header_block_budget() -> None:
    line = b"X-Filler: " + b"x" * 88 + b"\r\n"  # 100 bytes
    raw = line * 100 + b"\r\nbody"
    block = read_header_block(raw, max_bytes=1050)
    assert block.truncated and len(block.fields) == 10
    assert block.size == 1000 and block.body_start == 1000
    block = read_header_block(raw, max_bytes=len(raw) - 4)
    assert not block.truncated and len(block.fields) == 100 and raw[block.body_start :] == b"body"
    block = read_header_block(raw, max_bytes=len(raw) - 5)  # the blank line is over budget
    assert block.truncated and block.body_start == len(raw) - 6


def test_unfold_and_wire_text_round_trip() -> None:
    value = b" =?utf-8?q?caf=C3=A9?=\r\n\tand Gr\xc3\xbc\xc3\x9fe \xe9t\xe9"
    assert unfold(value) == b" =?utf-8?q?caf=C3=A9?=\tand Gr\xc3\xbc\xc3\x9fe \xe9t\xe9"
    text = wire_text(value)
    assert text == "=?utf-8?q?caf=C3=A9?=\tand Grüße \udce9t\udce9"  # surrogateescape
    assert wire_bytes(text) == unfold(value).strip()
    assert wire_text(b"a\x00b") == "a\ufffdb"


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200).filter(lambda b: b"\x00" not in b))
def test_wire_text_round_trips_any_bytes(value: bytes) -> None:
    assert wire_bytes(wire_text(value)) == unfold(value).strip(b" \t")


def test_decode_encoded_words() -> None:
    assert decode_encoded_words("=?ISO-8859-1?Q?Andr=E9?= Pirard") == "André Pirard"
    assert decode_encoded_words("=?utf-8?b?w6lsw6h2ZQ==?=") == "élève"
    # RFC 2047 6.2: whitespace between adjacent encoded-words disappears.
    assert decode_encoded_words("=?utf-8?q?a?= \r\n =?utf-8?q?b?=") == "ab"
    assert decode_encoded_words("=?utf-8?q?a?= x =?utf-8?q?b?=") == "a x b"
    assert decode_encoded_words("=?utf-8?q?hello_world?=") == "hello world"
    # A multi-byte character split across two words.
    assert decode_encoded_words("=?utf-8?q?=C3?= =?utf-8?q?=A9?=") == "é"
    assert decode_encoded_words("=?utf-8*en?q?x?=") == "x"  # RFC 2231 5 language
    assert decode_encoded_words("=?no-such-charset?q?ok?=") == "ok"
    assert decode_encoded_words("=?utf-8?b?!!!?=") == ""
    assert decode_encoded_words("plain =?broken") == "plain =?broken"


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=100))
def test_decode_encoded_words_never_raises(value: str) -> None:
    decode_encoded_words(value)
    decode_encoded_words("=?utf-8?q?" + value + "?= =?x?b?" + value + "?=")


def test_display_text_falls_back_to_latin1_and_removes_controls() -> None:
    assert display_text(b" Gr\xc3\xbc\xc3\x9fe") == "Grüße"
    assert display_text(b" caf\xe9\x00\x07!") == "café!"


def test_parse_content_type() -> None:
    value = 'Text/HTML; Charset="utf-8" (comment); name="a \\"b\\".html";foo=bar'
    assert parse_content_type(value) == (
        "text",
        "html",
        (("charset", "utf-8"), ("name", 'a "b".html'), ("foo", "bar")),
    )
    assert parse_content_type("text") is None
    assert parse_content_type("te xt/plain") is None
    assert parse_content_type('multipart/mixed; boundary="a;b"') == (
        "multipart",
        "mixed",
        (("boundary", "a;b"),),
    )


def test_rfc2231_parameters() -> None:
    params = (
        ("filename*0*", "utf-8''%E2%82%AC%20rates"),
        ("filename*1*", "%20for%20"),
        ("filename*2", "2024.pdf"),
        ("name", "fallback.pdf"),
        ("title*", "us-ascii'en'This%20is%20%2A%2A%2Afun%2A%2A%2A"),
    )
    assert decode_params(params) == [
        ("filename", "€ rates for 2024.pdf"),
        ("name", "fallback.pdf"),
        ("title", "This is ***fun***"),
    ]
    assert display_param(params, "filename") == "€ rates for 2024.pdf"
    encoded_word = (("filename", "=?utf-8?b?w6lsw6h2ZS5wZGY=?="),)
    assert display_param(encoded_word, "filename") == "élève.pdf"
    assert display_param((), "filename") is None


def test_envelope_addresses_groups_routes_and_comments() -> None:
    value = (
        '"Joe Q. Public" <john.q.public@example.com>, A Group:Ed <c@a.test>,'
        " joe@where.test;, <@a.test,@b.test:r@c.test>, x@y (Old Style), nodomain"
    )
    assert parse_envelope_addresses(value) == (
        ("Joe Q. Public", None, "john.q.public", "example.com"),
        (None, None, "A Group", None),
        ("Ed", None, "c", "a.test"),
        (None, None, "joe", "where.test"),
        (None, None, None, None),
        (None, "@a.test,@b.test", "r", "c.test"),
        ("Old Style", None, "x", "y"),
        (None, None, "nodomain", MISSING_HOST),
    )
    assert parse_envelope_addresses("undisclosed-recipients:;") == (
        (None, None, "undisclosed-recipients", None),
        (None, None, None, None),
    )


def test_build_envelope_defaults_and_raw_strings() -> None:
    raw = (
        b"Date: Mon, 1 Jan 2024 10:00:00 +0000\r\n"
        b"Subject: =?utf-8?q?caf=C3=A9?=\r\n  folded\r\n"
        b"From: =?utf-8?q?J=C3=B6rg?= <j@example.com>\r\n"
        b"Reply-To:\r\n"
        b"To: a@example.com\r\n"
        b"Message-ID: <1@example.com>\r\n\r\n"
    )
    env = build_envelope(read_header_block(raw))
    assert env.date == "Mon, 1 Jan 2024 10:00:00 +0000"
    assert env.subject == "=?utf-8?q?caf=C3=A9?=  folded"  # undecoded, unfolded
    assert env.from_ == (("=?utf-8?q?J=C3=B6rg?=", None, "j", "example.com"),)
    assert env.sender == env.from_ and env.reply_to == env.from_  # RFC 3501 7.4.2
    assert env.cc is None and env.bcc is None and env.in_reply_to is None
    assert env.message_id == "<1@example.com>"
    assert type(env).from_json(env.to_json()) == env
    assert list(env.to_json()) == [
        "date", "subject", "from", "sender", "reply_to",
        "to", "cc", "bcc", "in_reply_to", "message_id",
    ]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=120))
def test_envelope_addresses_never_raise(value: str) -> None:
    for name, adl, _mailbox, host in parse_envelope_addresses(value):
        # Only group markers have a NIL host.
        assert host is not None or (name is None and adl is None)
