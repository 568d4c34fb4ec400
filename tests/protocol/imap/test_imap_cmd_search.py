"""SEARCH (RFC 9051 6.4.4, RFC 3501 6.4.4): every key, with exact expected numbers;
ESEARCH (RFC 4731), SEARCHRES (RFC 5182), MODSEQ (RFC 7162 3.1.5), charsets."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from postroom.app import Services
from tests.protocol.imap.transcript import Transcript

# (subject, from, to, cc, bcc, date header, body, internal date, flags, extra header)
MESSAGES = [
    ("Budget 2027", "Ann Lee <ann@example.org>", "bob@example.org", "cy@example.org", "",
     "Mon, 02 Nov 2026 23:30:00 -0500", "The forecast is ready.", (2026, 11, 3), ["\\Seen"],
     "X-Priority: 1"),
    ("Re: Budget 2027", "Bob Stone <bob@example.org>", "ann@example.org", "", "boss@example.org",
     "Wed, 04 Nov 2026 10:00:00 +0000", "Numbers attached.", (2026, 11, 4),
     ["\\Answered", "$Work"], ""),
    ("Lunch", "=?utf-8?q?J=C3=B6rg?= <jorg@example.net>", "ann@example.org", "", "",
     "Fri, 06 Nov 2026 12:00:00 +0000", "Grüße und Pizza " + "x" * 3000, (2026, 11, 6),
     ["\\Flagged", "\\Deleted"], "X-Mailer: Postroom"),
    ("Draft note", "ann@example.org", "dee@example.org", "", "",
     "", "unfinished", (2026, 11, 7), ["\\Draft"], ""),
]


def build(subject: str, sender: str, to: str, cc: str, bcc: str, date: str, body: str,
          extra: str) -> bytes:
    lines = [f"From: {sender}", f"To: {to}", f"Subject: {subject}"]
    lines += [f"Cc: {cc}"] if cc else []
    lines += [f"Bcc: {bcc}"] if bcc else []
    lines += [f"Date: {date}"] if date else []
    lines += [extra] if extra else []
    lines += ["MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8",
              "Content-Transfer-Encoding: 8bit"]
    return ("\r\n".join(lines) + "\r\n\r\n" + body + "\r\n").encode()


@pytest.fixture
async def box(logged_in: Transcript, services: Services, ann: int) -> Transcript:
    for subject, sender, to, cc, bcc, date, body, day, flags, extra in MESSAGES:
        raw = build(subject, sender, to, cc, bcc, date, body, extra)
        await services.mail.append(ann, "INBOX", raw, flags, datetime(*day, 8, 0, tzinfo=UTC))
    await logged_in.select()
    return logged_in


CASES = [
    ("ALL", "1 2 3 4"),
    ("ANSWERED", "2"), ("UNANSWERED", "1 3 4"),
    ("DELETED", "3"), ("UNDELETED", "1 2 4"),
    ("DRAFT", "4"), ("UNDRAFT", "1 2 3"),
    ("FLAGGED", "3"), ("UNFLAGGED", "1 2 4"),
    ("SEEN", "1"), ("UNSEEN", "2 3 4"),
    ("KEYWORD $Work", "2"), ("KEYWORD $work", "2"), ("UNKEYWORD $Work", "1 3 4"),
    ("RECENT", ""), ("NEW", ""), ("OLD", "1 2 3 4"),
    ("FROM bob", "2"), ('FROM "Jörg"', "3"), ('FROM "ann lee"', "1"), ("FROM example.org", "1 2 4"),
    ("TO ann@example.org", "2 3"), ("CC cy", "1"), ("BCC boss", "2"),
    ("SUBJECT budget", "1 2"), ('SUBJECT "re:"', "2"),
    ("HEADER X-Priority 1", "1"), ('HEADER X-Mailer ""', "3"), ("HEADER Subject lunch", "3"),
    ("BODY forecast", "1"), ('BODY "grüße"', "3"), ("TEXT budget", "1 2"), ("TEXT numbers", "2"),
    ("BODY nothingsuch", ""),
    ("BEFORE 4-Nov-2026", "1"), ("ON 4-Nov-2026", "2"), ("SINCE 6-Nov-2026", "3 4"),
    ("SENTBEFORE 3-Nov-2026", "1"), ("SENTON 2-Nov-2026", "1"), ("SENTSINCE 5-Nov-2026", "3 4"),
    ("LARGER 1000", "3"), ("SMALLER 1000", "1 2 4"),
    ("1:2", "1 2"), ("2,4", "2 4"), ("*", "4"), ("UID 3:*", "3 4"), ("UID 2,9", "2"),
    ("NOT SEEN", "2 3 4"), ("OR SEEN FLAGGED", "1 3"), ("OR (SEEN ANSWERED) DRAFT", "4"),
    ("(FROM bob) (SUBJECT budget)", "2"), ("NOT OR SEEN DRAFT", "2 3"),
    ("CHARSET UTF-8 BODY Pizza", "3"), ("CHARSET US-ASCII SUBJECT lunch", "3"),
]


@pytest.mark.parametrize(("key", "expected"), CASES)
async def test_search_key(box: Transcript, key: str, expected: str) -> None:
    reply = await box.send(f"a SEARCH {key}")
    assert reply == f"* SEARCH{' ' + expected if expected else ''}\r\na OK SEARCH completed\r\n"


async def test_uid_search(box: Transcript) -> None:
    await box.send("a STORE 3 -FLAGS.SILENT (\\Deleted)")
    await box.send("b STORE 1 +FLAGS.SILENT (\\Deleted)")
    await box.send("c EXPUNGE")
    assert await box.send("d UID SEARCH FLAGGED") == "* SEARCH 3\r\nd OK SEARCH completed\r\n"
    assert await box.send("e SEARCH FLAGGED") == "* SEARCH 2\r\ne OK SEARCH completed\r\n"


async def test_esearch(box: Transcript) -> None:
    reply = await box.send("a SEARCH RETURN (MIN MAX COUNT ALL) UNSEEN")
    assert reply == '* ESEARCH (TAG "a") MIN 2 MAX 4 ALL 2:4 COUNT 3\r\na OK SEARCH completed\r\n'
    reply = await box.send("b UID SEARCH RETURN () FLAGGED")
    assert reply == '* ESEARCH (TAG "b") UID ALL 3\r\nb OK SEARCH completed\r\n'
    reply = await box.send("c SEARCH RETURN (COUNT) KEYWORD $None")
    assert reply == '* ESEARCH (TAG "c") COUNT 0\r\nc OK SEARCH completed\r\n'


async def test_searchres(box: Transcript) -> None:
    assert await box.send("a SEARCH RETURN (SAVE) UNSEEN") == "a OK SEARCH completed\r\n"
    assert await box.send("b FETCH $ UID") == (
        "* 2 FETCH (UID 2)\r\n* 3 FETCH (UID 3)\r\n* 4 FETCH (UID 4)\r\nb OK FETCH completed\r\n")
    assert await box.send("c SEARCH $ FLAGGED") == "* SEARCH 3\r\nc OK SEARCH completed\r\n"


async def test_modseq(box: Transcript, services: Services, ann: int) -> None:
    folder = await services.mail.get_folder(ann, "INBOX")
    update = await services.mail.set_flags(ann, folder.id, [4], "add", ["\\Seen"])
    reply = await box.send(f"a SEARCH MODSEQ {update.modseq}")
    assert reply == (f"* SEARCH 4 (MODSEQ {update.modseq})\r\n"
                     f"* 4 FETCH (FLAGS (\\Draft \\Seen) MODSEQ ({update.modseq}))\r\n"
                     "a OK SEARCH completed\r\n")  # the change itself follows the result


async def test_bad_charset(box: Transcript) -> None:
    reply = await box.send("a SEARCH CHARSET KOI8-R BODY x")
    assert reply == "a NO [BADCHARSET (US-ASCII UTF-8)] Unsupported charset\r\n"


async def test_imap4rev2_answers_with_esearch(box: Transcript) -> None:
    await box.send("a UNSELECT")
    await box.send("b ENABLE IMAP4rev2")
    await box.select()
    reply = await box.send("c SEARCH SEEN")
    assert reply == '* ESEARCH (TAG "c") ALL 1\r\nc OK SEARCH completed\r\n'


async def test_recent_for_new_arrivals(box: Transcript, services: Services, ann: int) -> None:
    from tests.factories import make_message

    await services.mail.append(ann, "INBOX", make_message("Fresh"))
    await box.send("a NOOP")
    assert await box.send("b SEARCH RECENT") == "* SEARCH 5\r\nb OK SEARCH completed\r\n"
    assert await box.send("c SEARCH NEW") == "* SEARCH 5\r\nc OK SEARCH completed\r\n"
