"""FETCH (RFC 9051 6.4.5): every item, sections and partials, BODYSTRUCTURE from the
stored summary, BINARY (RFC 3516), \\Seen on non-PEEK, CHANGEDSINCE (RFC 7162)."""

from __future__ import annotations

import re

import pytest

from postroom.app import Services
from tests.protocol.imap.conftest import Open
from tests.protocol.imap.transcript import Transcript

MIXED = (
    b"From: =?utf-8?q?J=C3=B6rg?= <jorg@example.net>\r\n"
    b"To: ann@example.org, Team: bob@example.org, cy@example.org;\r\n"
    b"Subject: Report\r\n"
    b"Date: Mon, 02 Nov 2026 09:30:00 +0100\r\n"
    b"Message-ID: <r1@example.net>\r\n"
    b"MIME-Version: 1.0\r\n"
    b'Content-Type: multipart/mixed; boundary="b1"\r\n'
    b"\r\n"
    b"preamble\r\n"
    b"--b1\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"Content-Transfer-Encoding: quoted-printable\r\n"
    b"\r\n"
    b"Gr=C3=BC=C3=9Fe\r\n"
    b"--b1\r\n"
    b'Content-Type: application/octet-stream; name="d.bin"\r\n'
    b"Content-Transfer-Encoding: base64\r\n"
    b'Content-Disposition: attachment; filename="d.bin"\r\n'
    b"\r\n"
    b"AAECAw==\r\n"
    b"--b1\r\n"
    b"Content-Type: message/rfc822\r\n"
    b"\r\n"
    b"From: inner@example.com\r\n"
    b"Subject: Inner\r\n"
    b"\r\n"
    b"Inner body\r\n"
    b"--b1--\r\n"
)


@pytest.fixture
async def mixed(logged_in: Transcript, services: Services, ann: int) -> Transcript:
    await services.mail.append(ann, "INBOX", MIXED)
    await logged_in.select()
    return logged_in


async def test_fast_items(selected: Transcript, inbox: list[bytes]) -> None:
    reply = await selected.send("a FETCH 1 FAST")
    assert reply == (f'* 1 FETCH (FLAGS () INTERNALDATE " 1-Nov-2026 13:00:00 +0000" '
                     f"RFC822.SIZE {len(inbox[0])})\r\na OK FETCH completed\r\n")


async def test_envelope_defaults_sender_and_groups(mixed: Transcript) -> None:
    reply = await mixed.send("a FETCH 1 ENVELOPE")
    jorg = '(("=?utf-8?q?J=C3=B6rg?=" NIL "jorg" "example.net"))'
    assert (f'ENVELOPE ("Mon, 02 Nov 2026 09:30:00 +0100" "Report" {jorg} {jorg} {jorg} '
            '((NIL NIL "ann" "example.org")(NIL NIL "Team" NIL)(NIL NIL "bob" "example.org")'
            '(NIL NIL "cy" "example.org")(NIL NIL NIL NIL)) NIL NIL NIL "<r1@example.net>")'
            ) in reply


async def test_bodystructure(mixed: Transcript) -> None:
    reply = await mixed.send("a FETCH 1 (BODYSTRUCTURE BODY)")
    assert ('BODYSTRUCTURE (("text" "plain" ("charset" "utf-8") NIL NIL "quoted-printable" '
            '15 1 NIL NIL NIL NIL)("application" "octet-stream" ("name" "d.bin") NIL NIL '
            '"base64" 8 NIL ("attachment" ("filename" "d.bin")) NIL NIL)("message" "rfc822" '
            'NIL NIL NIL "7bit" 53 (NIL "Inner" ((NIL NIL "inner" "example.com")) ((NIL NIL '
            '"inner" "example.com")) ((NIL NIL "inner" "example.com")) NIL NIL NIL NIL NIL) '
            '("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 10 1 NIL NIL NIL NIL) 4 '
            'NIL NIL NIL NIL) "mixed" ("boundary" "b1") NIL NIL NIL)' in reply)
    assert 'BODY (("text" "plain" ("charset" "utf-8") NIL NIL "quoted-printable" 15 1)(' in reply


async def test_sections(mixed: Transcript) -> None:
    reply = await mixed.send("a FETCH 1 (BODY.PEEK[1] BODY.PEEK[2.MIME] BODY.PEEK[3.HEADER] "
                             "BODY.PEEK[3.TEXT] BODY.PEEK[3.1] BODY.PEEK[9])")
    assert 'BODY[1] "Gr=C3=BC=C3=9Fe"' in reply
    assert "BODY[2.MIME] {142}\r\nContent-Type: application/octet-stream" in reply
    assert "BODY[3.HEADER] {43}\r\nFrom: inner@example.com\r\nSubject: Inner\r\n\r\n" in reply
    assert 'BODY[3.TEXT] "Inner body"' in reply and 'BODY[3.1] "Inner body"' in reply
    assert "BODY[9] NIL" in reply


async def test_header_fields_and_not(mixed: Transcript) -> None:
    reply = await mixed.send("a FETCH 1 (BODY.PEEK[HEADER.FIELDS (subject DATE)] "
                             "BODY.PEEK[HEADER.FIELDS.NOT (From To Subject Date Message-ID)])")
    assert ("BODY[HEADER.FIELDS (subject DATE)] {58}\r\nSubject: Report\r\n"
            "Date: Mon, 02 Nov 2026 09:30:00 +0100\r\n\r\n") in reply
    assert ('BODY[HEADER.FIELDS.NOT (From To Subject Date Message-ID)] {67}\r\n'
            'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b1"\r\n\r\n') in reply


async def test_whole_message_and_partial(mixed: Transcript) -> None:
    reply = (await mixed.raw(b"a FETCH 1 (BODY.PEEK[] BODY.PEEK[]<6.4> RFC822.SIZE)\r\n"))
    assert b"BODY[] {%d}\r\n%s" % (len(MIXED), MIXED) in reply
    assert b'BODY[]<6> "=?ut"' in reply
    assert b"RFC822.SIZE %d" % len(MIXED) in reply


async def test_rfc822_items(mixed: Transcript) -> None:
    reply = await mixed.raw(b"a FETCH 1 (RFC822.HEADER RFC822.TEXT)\r\n")
    header, _, body = MIXED.partition(b"\r\n\r\n")
    assert b"RFC822.HEADER {%d}\r\n%s\r\n\r\n" % (len(header) + 4, header) in reply
    assert b"RFC822.TEXT {%d}\r\n%s" % (len(body), body) in reply
    assert b"FLAGS (\\Seen)" in reply  # RFC822.TEXT sets \Seen


async def test_non_peek_sets_seen_and_reports_flags(selected: Transcript) -> None:
    reply = await selected.send("a FETCH 1 BODY[TEXT]")
    assert reply.startswith("* 1 FETCH (BODY[TEXT] {9}\r\nBody 1.\r\n FLAGS (\\Seen))\r\n")
    assert "FLAGS (\\Seen)" in await selected.send("b FETCH 1 FLAGS")


async def test_binary(mixed: Transcript) -> None:
    reply = await mixed.raw(b"a FETCH 1 (BINARY.PEEK[2] BINARY.SIZE[2] BINARY.PEEK[1])\r\n")
    assert b"BINARY[2] ~{4}\r\n\x00\x01\x02\x03" in reply
    assert b"BINARY.SIZE[2] 4" in reply
    assert "BINARY[1] {7}\r\nGrüße".encode() in reply


async def test_uid_fetch_includes_uid_and_ignores_missing(selected: Transcript) -> None:
    reply = await selected.send("a UID FETCH 2:99 FLAGS")
    assert reply == ("* 2 FETCH (UID 2 FLAGS (\\Seen))\r\n* 3 FETCH (UID 3 FLAGS ())\r\n"
                     "a OK FETCH completed\r\n")


async def test_bad_sequence(selected: Transcript) -> None:
    assert (await selected.send("a FETCH 7 FLAGS")).startswith("a BAD")
    assert (await selected.send("b FETCH 1 (FOO)")).startswith("b BAD")


async def test_changedsince_and_vanished(logged_in: Transcript, inbox: list[bytes],
                                         services: Services, ann: int) -> None:
    folder = await services.mail.get_folder(ann, "INBOX")
    await logged_in.send("a ENABLE QRESYNC")
    await logged_in.select()
    await services.mail.set_flags(ann, folder.id, [3], "add", ["\\Answered"])
    await services.mail.delete_messages(ann, folder.id, [1])
    reply = await logged_in.send(
        f"b UID FETCH 1:* FLAGS (CHANGEDSINCE {folder.highestmodseq} VANISHED)")
    assert reply.startswith("* VANISHED (EARLIER) 1\r\n")
    assert re.search(r"\* 3 FETCH \(UID 3 FLAGS \(\\Answered\) MODSEQ \(\d+\)\)", reply)
    assert "UID 2" not in reply


async def test_expunged_elsewhere_keeps_numbers_during_fetch(selected: Transcript,
                                                             imap: Open) -> None:
    other = imap()
    await other.login()
    await other.select()
    await other.send("a STORE 1 +FLAGS.SILENT (\\Deleted)")
    await other.send("b EXPUNGE")
    assert await selected.send("c FETCH 1:3 UID") == (
        "* 2 FETCH (UID 2)\r\n* 3 FETCH (UID 3)\r\nc OK FETCH completed\r\n")
    assert await selected.send("d NOOP") == "* 1 EXPUNGE\r\nd OK NOOP completed\r\n"


async def test_vanished_needs_qresync(selected: Transcript) -> None:
    reply = await selected.send("a UID FETCH 1:* FLAGS (CHANGEDSINCE 1 VANISHED)")
    assert reply == "a BAD Enable QRESYNC first\r\n"
