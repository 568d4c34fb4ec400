"""summarize() on realistic messages: structure, offsets, envelope, headers, text, attachments."""

from __future__ import annotations

import base64
import json

from postroom.mail.headers import wire_bytes
from postroom.mail.mime import MimeLimits, Part
from postroom.mail.summary import (
    MessageSummary,
    decode_body,
    find_part,
    part_body_bytes,
    part_header_bytes,
    summarize,
    walk,
)


def crlf(text: str) -> bytes:
    return text.replace("\n", "\r\n").encode("utf-8")


PLAIN = crlf(
    """\
Return-Path: <alice@example.org>
Date: Tue, 2 Apr 2024 09:15:00 +0200
From: Alice Example <alice@example.org>
To: Bob <bob@example.com>, carol@example.com
Subject: =?utf-8?q?Caf=C3=A9?= meeting
 tomorrow
Message-ID: <m1@example.org>
In-Reply-To: <m0@example.com>
References: <a@x> <m0@example.com>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

Hi Bob,

shall we meet at the café   at ten?

Alice
"""
)

ALTERNATIVE = crlf(
    """\
From: news@example.net
To: bob@example.com
Subject: Newsletter
Content-Type: multipart/alternative; boundary="alt"

This is the preamble.
--alt
Content-Type: text/plain; charset=iso-8859-1
Content-Transfer-Encoding: quoted-printable

Gr=FC=DFe aus K=F6ln, a very long line that is soft =
broken.
--alt
Content-Type: text/html; charset=utf-8

<html><head><style>p {color: red}</style></head><body><p>Hello <b>HTML</b></p></body></html>
--alt--
This is the epilogue.
"""
)

PDF = b"%PDF-1.4\n" + bytes(range(256)) * 4

MIXED_HEAD = crlf(
    """\
From: alice@example.org
To: bob@example.com
Subject: Rates
Content-Type: multipart/mixed; boundary=outer

--outer
Content-Type: text/plain

Rates attached.
--outer
Content-Type: application/pdf; name="rates.pdf"
Content-Disposition: attachment;
 filename*0*=utf-8''%E2%82%AC%20rates;
 filename*1*=%20for%20;
 filename*2="2024.pdf"
Content-Transfer-Encoding: base64
Content-ID: <pdf1@example.org>
Content-Description: The rates
Content-Language: en, de (German)
Content-Location: http://example.org/rates.pdf

"""
)
MIXED = MIXED_HEAD + base64.encodebytes(PDF).replace(b"\n", b"\r\n") + b"--outer--\r\n"

NESTED = crlf(
    """\
From: bob@example.com
To: dave@example.com
Subject: Fwd: Newsletter
Content-Type: multipart/mixed; boundary="b1"

--b1
Content-Type: text/plain

See below.
--b1
Content-Type: message/rfc822
Content-Disposition: inline

From: news@example.net
To: bob@example.com
Subject: Inner
Content-Type: multipart/alternative; boundary="b2"

--b2
Content-Type: text/plain

Inner plain.
--b2
Content-Type: text/html

<p>Inner html</p>
--b2--
--b1--
"""
)

BROKEN_BOUNDARY = crlf(
    """\
From: x@example.com
Subject: broken
Content-Type: multipart/mixed; boundary="abc"

--abd
Content-Type: text/plain

The generator got its own boundary wrong.
--abd--
"""
)

MISSING_END = crlf(
    """\
Subject: truncated
Content-Type: multipart/mixed; boundary="zz"

--zz
Content-Type: text/plain

one
--zz
Content-Type: text/plain

two, and then the connection dropped"""
)

NO_HEADERS = b"Just a line of text\r\nand another.\r\n"

EIGHT_BIT = (
    b"From: J\xc3\xb6rg M\xc3\xbcller <joerg@example.de>\r\n"
    b"To: Fran\xe7ois <francois@example.fr>\r\n"
    b"Subject: Gr\xc3\xbc\xc3\x9fe \xe9t\xe9\r\n"
    b"\r\n"
    b"Body.\r\n"
)


def test_plain_message() -> None:
    s = summarize(PLAIN)
    root = s.structure
    assert (root.number, root.content_type) == ("", "text/plain")
    assert root.params == (("charset", "utf-8"),)
    assert root.encoding == "8bit" and root.header_start == 0 and root.end == len(PLAIN)
    assert part_body_bytes(PLAIN, root).startswith(b"Hi Bob,\r\n")
    assert part_header_bytes(PLAIN, root).endswith(b"8bit\r\n\r\n")
    assert root.size == len(PLAIN) - root.body_start
    assert root.lines == 5
    assert find_part(root, "1") is root and find_part(root, "2") is None
    env = s.envelope
    assert env.subject == "=?utf-8?q?Caf=C3=A9?= meeting tomorrow"
    assert env.from_ == (("Alice Example", None, "alice", "example.org"),)
    assert env.to == (("Bob", None, "bob", "example.com"), (None, None, "carol", "example.com"))
    assert env.sender == env.from_ and env.reply_to == env.from_
    assert env.in_reply_to == "<m0@example.com>" and env.message_id == "<m1@example.org>"
    h = s.headers
    assert h["subject"] == "Café meeting tomorrow"
    assert h["from"] == [
        {"name": "Alice Example", "local": "alice", "domain": "example.org",
         "address": "alice@example.org"}
    ]  # fmt: skip
    assert [a["address"] for a in h["to"]] == ["bob@example.com", "carol@example.com"]
    assert h["date"] == "2024-04-02T09:15:00+02:00"
    assert h["references"] == ["<a@x>", "<m0@example.com>"]
    assert (h["message_id"], h["in_reply_to"]) == ("<m1@example.org>", "<m0@example.com>")
    assert s.preview == "Hi Bob, shall we meet at the café at ten? Alice"
    assert "café   at ten" in s.text
    assert not s.has_attachments and s.defects == ()


def test_multipart_alternative() -> None:
    s = summarize(ALTERNATIVE)
    root = s.structure
    assert root.content_type == "multipart/alternative"
    plain, html = root.children
    assert (plain.number, html.number) == ("1", "2")
    assert plain.encoding == "quoted-printable"
    assert part_body_bytes(ALTERNATIVE, plain).endswith(b"soft =\r\nbroken.")  # no CRLF
    assert decode_body(ALTERNATIVE, plain).decode("latin-1").startswith("Grüße aus Köln")
    assert part_body_bytes(ALTERNATIVE, html).endswith(b"</html>")
    assert s.preview.startswith("Grüße aus Köln, a very long line that is soft broken.")
    assert "Hello HTML" not in s.text  # only the plain alternative is indexed
    assert find_part(root, "2") is html


def test_html_only_preview_strips_tags() -> None:
    html = "<style>x{}</style><p>Hi&nbsp;<b>there</b></p><p>next</p>"
    raw = crlf("Content-Type: text/html\n\n" + html)
    assert summarize(raw).preview == "Hi there next"


def test_multipart_mixed_with_rfc2231_attachment() -> None:
    s = summarize(MIXED)
    text, pdf = s.structure.children
    assert text.params == ()  # as written; the RFC 2045 5.2 default is the reader's
    assert pdf.content_type == "application/pdf"
    assert pdf.params == (("name", "rates.pdf"),)
    assert pdf.disposition == "attachment"
    assert pdf.disposition_params[0] == ("filename*0*", "utf-8''%E2%82%AC%20rates")
    assert pdf.id == "<pdf1@example.org>" and pdf.description == "The rates"
    assert pdf.language == ("en", "de") and pdf.location == "http://example.org/rates.pdf"
    assert decode_body(MIXED, pdf) == PDF
    assert s.has_attachments
    (attachment,) = s.attachments
    assert attachment.part == "2" and attachment.filename == "€ rates for 2024.pdf"
    assert attachment.content_type == "application/pdf"
    assert abs(attachment.size - len(PDF)) <= 3
    assert s.preview == "Rates attached."


def test_nested_message_rfc822() -> None:
    s = summarize(NESTED)
    _, forwarded = s.structure.children
    assert forwarded.content_type == "message/rfc822"
    inner = forwarded.message
    assert inner is not None and forwarded.envelope is not None
    assert forwarded.envelope.subject == "Inner"
    assert inner.number == "2" and inner.content_type == "multipart/alternative"
    assert [c.number for c in inner.children] == ["2.1", "2.2"]
    assert inner.header_start == forwarded.body_start and inner.end == forwarded.end
    assert part_header_bytes(NESTED, inner).startswith(b"From: news@example.net\r\n")
    assert find_part(s.structure, "2") is forwarded
    assert find_part(s.structure, "2.1") is inner.children[0]
    assert find_part(s.structure, "2.3") is None
    assert part_body_bytes(NESTED, inner.children[1]) == b"<p>Inner html</p>"
    assert forwarded.lines == part_body_bytes(NESTED, forwarded).count(b"\n") + 1
    assert "Inner plain." in s.text and "See below." in s.text
    assert s.preview == "See below."
    assert not s.has_attachments  # the forwarded message is inline
    assert [p.number for p in walk(s.structure)] == ["", "1", "2", "2", "2.1", "2.2"]


def test_nested_single_part_message_is_its_own_part_one() -> None:
    inner = b"Subject: inner\r\n\r\njust text"
    raw = b"Content-Type: message/rfc822\r\n\r\n" + inner
    root = summarize(raw).structure
    assert root.message is not None
    assert find_part(root, "1") is root
    assert find_part(root, "1.1") is root.message
    assert part_body_bytes(raw, root.message) == b"just text"


def test_broken_boundary_becomes_opaque_text() -> None:
    s = summarize(BROKEN_BOUNDARY)
    root = s.structure
    assert root.opaque and root.content_type == "text/plain" and not root.children
    assert "boundary-not-found" in s.defects
    assert "got its own boundary wrong" in s.text
    assert "got its own boundary wrong" in s.preview


def test_missing_end_boundary_last_part_runs_to_the_end() -> None:
    s = summarize(MISSING_END)
    one, two = s.structure.children
    assert part_body_bytes(MISSING_END, one) == b"one"
    assert part_body_bytes(MISSING_END, two) == b"two, and then the connection dropped"
    assert two.end == len(MISSING_END)
    assert "missing-close-delimiter" in s.defects


def test_message_without_headers() -> None:
    s = summarize(NO_HEADERS)
    root = s.structure
    assert root.header_start == root.body_start == 0 and root.content_type == "text/plain"
    assert s.envelope.subject is None and s.envelope.from_ is None
    assert s.headers["subject"] is None and s.headers["from"] == []
    assert s.preview == "Just a line of text and another."


def test_empty_message() -> None:
    s = summarize(b"")
    assert s.structure.end == 0 and s.structure.lines == 0 and s.preview == ""


def test_eight_bit_headers() -> None:
    s = summarize(EIGHT_BIT)
    assert s.headers["subject"] == "Grüße été"  # latin-1 only where not UTF-8
    assert s.headers["from"][0]["name"] == "Jörg Müller"
    assert s.headers["to"][0]["name"] == "François"
    # The envelope keeps the bytes: UTF-8 where valid, surrogateescape otherwise.
    assert s.envelope.from_ == (("Jörg Müller", None, "joerg", "example.de"),)
    subject = s.envelope.subject
    assert subject is not None and wire_bytes(subject) == b"Gr\xc3\xbc\xc3\x9fe \xe9t\xe9"
    name = (s.envelope.to or ())[0][0]
    assert name is not None and wire_bytes(name) == b"Fran\xe7ois"
    assert MessageSummary.from_json(json.loads(json.dumps(s.to_json()))) == s


def test_bare_lf_message_matches_crlf_structure() -> None:
    lf = MIXED.replace(b"\r\n", b"\n")
    a, b = summarize(MIXED), summarize(lf)
    types = [p.content_type for p in walk(a.structure)]
    assert types == [p.content_type for p in walk(b.structure)]
    pdf = b.structure.children[1]
    assert decode_body(lf, pdf) == PDF
    assert part_body_bytes(lf, b.structure.children[0]) == b"Rates attached."
    assert b.attachments[0].filename == "€ rates for 2024.pdf"


def test_json_round_trip_and_shape() -> None:
    s = summarize(NESTED)
    data = json.loads(json.dumps(s.to_json()))
    assert MessageSummary.from_json(data) == s
    assert set(data) == {
        "version", "size", "envelope", "structure", "headers", "preview", "text",
        "attachments", "has_attachments", "defects",
    }  # fmt: skip
    forwarded = data["structure"]["children"][1]
    assert forwarded["envelope"]["subject"] == "Inner"
    assert forwarded["message"]["children"][0]["number"] == "2.1"
    assert Part.from_json(forwarded) == s.structure.children[1]


def test_limits_are_configurable() -> None:
    s = summarize(NESTED, MimeLimits(max_depth=2))
    forwarded = s.structure.children[1]
    assert forwarded.opaque and forwarded.message is None and "depth-limit" in s.defects
    s = summarize(NESTED, MimeLimits(max_parts=2))
    assert len(list(walk(s.structure))) <= 2 and "part-limit" in s.defects
    s = summarize(PLAIN, MimeLimits(max_header_bytes=100))
    assert "header-limit" in s.defects and s.structure.body_start <= 100
    s = summarize(PLAIN, MimeLimits(max_text_chars=10, preview_chars=5))
    assert len(s.text) <= 10 and len(s.preview) <= 5


def test_digest_children_default_to_message_rfc822() -> None:
    raw = crlf(
        "Content-Type: multipart/digest; boundary=d\n\n--d\n\nSubject: one\n\nbody one\n--d--\n"
    )
    (child,) = summarize(raw).structure.children
    assert child.content_type == "message/rfc822" and child.message is not None
    assert child.envelope is not None and child.envelope.subject == "one"


def test_unknown_charset_falls_back_to_utf8() -> None:
    raw = crlf("Content-Type: text/plain; charset=x-unknown-thing\n\nna\u00efve")
    assert summarize(raw).preview == "naïve"
    raw = b"Content-Type: text/plain; charset=zlib_codec\r\n\r\nplain"
    assert summarize(raw).preview == "plain"


def test_delimiter_requires_a_line_of_its_own() -> None:
    raw = crlf(
        "Content-Type: multipart/mixed; boundary=ab\n\n"
        "--ab\n\nkeep --ab inline and\n--abc not a delimiter\n--ab--\n"
    )
    (child,) = summarize(raw).structure.children
    assert part_body_bytes(raw, child) == b"keep --ab inline and\r\n--abc not a delimiter"


def test_find_part_rejects_malformed_sections() -> None:
    root = summarize(NESTED).structure
    for section in ["0", "1.0", "a", "²", "01", "2.1.1.1", "3", "1.", ".1", "1..2"]:
        assert find_part(root, section) is None, section
    assert find_part(root, "") is root


def test_accepts_bytearray_and_memoryview() -> None:
    assert summarize(bytearray(PLAIN)) == summarize(memoryview(PLAIN)) == summarize(PLAIN)


def test_related_inline_image_is_not_an_attachment() -> None:
    raw = crlf(
        """\
Content-Type: multipart/related; boundary=r

--r
Content-Type: text/html

<img src="cid:logo">
--r
Content-Type: image/png
Content-ID: <logo>

iVBORw0KGgo=
--r
Content-Type: application/octet-stream; name="=?utf-8?q?r=C3=A9sum=C3=A9.bin?="

x
--r--
"""
    )
    s = summarize(raw)
    assert [(a.part, a.filename) for a in s.attachments] == [("3", "résumé.bin")]


def test_message_global_is_descended() -> None:
    raw = b"Content-Type: message/global\r\n\r\nSubject: caf\xc3\xa9\r\n\r\nbody"
    root = summarize(raw).structure
    assert root.message is not None and root.envelope is not None
    assert root.envelope.subject == "café"


def test_date_without_zone_is_utc_and_bad_date_is_none() -> None:
    s = summarize(b"Date: Tue, 2 Apr 2024 09:15:00 -0000\r\n\r\n")
    assert s.headers["date"] == "2024-04-02T09:15:00+00:00"
    assert summarize(b"Date: yesterday-ish\r\n\r\n").headers["date"] is None


def test_nul_in_headers() -> None:
    s = summarize(b"Subject: a\x00b\r\nFrom: x\x00y <a@b.test>\r\n\r\nbody\x00")
    assert s.envelope.subject == "a\ufffdb"  # IMAP strings cannot carry NUL
    assert s.headers["subject"] == "ab" and s.headers["from"][0]["name"] == "x\ufffdy"
    assert "\x00" not in s.text and "\x00" not in json.dumps(s.to_json())


def test_multipart_without_boundary_is_opaque() -> None:
    s = summarize(b"Content-Type: multipart/mixed\r\n\r\n--x\r\n\r\nhello\r\n--x--\r\n")
    assert s.structure.opaque and "no-boundary" in s.defects
    assert s.structure.lines == 4
