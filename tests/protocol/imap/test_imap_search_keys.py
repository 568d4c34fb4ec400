"""Every SEARCH key of RFC 3501 6.4.4 / RFC 9051 6.4.4 / RFC 7162 3.1.5 as a typed tree."""

from __future__ import annotations

from datetime import date

import pytest

from postroom.protocols.imap import command_types as c
from postroom.protocols.imap.commands import BadCommand, CommandParser, NeedContinuation
from postroom.protocols.imap.search_keys import (
    AllKey,
    AndKey,
    DateField,
    DateKey,
    DateOp,
    FlagKey,
    HeaderKey,
    ModSeqKey,
    NotKey,
    OrKey,
    SearchKey,
    SequenceKey,
    SizeKey,
    SizeOp,
    TextKey,
)
from postroom.protocols.imap.sequences import SequenceSet


def search(keys: bytes) -> c.Search | BadCommand:
    parser = CommandParser()
    parser.feed(b"t SEARCH " + keys + b"\r\n")
    out = []
    while (event := parser.next_event()) is not None:
        if isinstance(event, NeedContinuation):
            parser.accept_literal()
        else:
            out.append(event)
    assert len(out) == 1
    assert isinstance(out[0], c.Search | BadCommand)
    return out[0]


D = date(1994, 2, 1)

KEYS: list[tuple[bytes, SearchKey]] = [
    (b"ALL", AllKey()),
    (b"ANSWERED", FlagKey("\\Answered", True)),
    (b"BCC joe", HeaderKey("bcc", "joe")),
    (b"BEFORE 1-Feb-1994", DateKey(DateField.INTERNAL, DateOp.BEFORE, D)),
    (b'BODY "hello world"', TextKey("hello world", headers=False)),
    (b"CC {3}\r\nann", HeaderKey("cc", "ann")),
    (b"DELETED", FlagKey("\\Deleted", True)),
    (b"DRAFT", FlagKey("\\Draft", True)),
    (b"FLAGGED", FlagKey("\\Flagged", True)),
    (b"FROM smith", HeaderKey("from", "smith")),
    (b"HEADER X-Spam-Flag YES", HeaderKey("x-spam-flag", "YES")),
    (b'HEADER List-Id ""', HeaderKey("list-id", "")),
    (b"KEYWORD $Forwarded", FlagKey("$Forwarded", True)),
    (b"LARGER 10000", SizeKey(SizeOp.LARGER, 10000)),
    (b"LARGER 9223372036854775807", SizeKey(SizeOp.LARGER, 2**63 - 1)),
    (b"NEW", AndKey((FlagKey("\\Recent", True), FlagKey("\\Seen", False)))),
    (b"NOT SEEN", NotKey(FlagKey("\\Seen", True))),
    (b"OLD", FlagKey("\\Recent", False)),
    (b'ON "01-Feb-1994"', DateKey(DateField.INTERNAL, DateOp.ON, D)),
    (b"OR SEEN FLAGGED", OrKey(FlagKey("\\Seen", True), FlagKey("\\Flagged", True))),
    (b"RECENT", FlagKey("\\Recent", True)),
    (b"SEEN", FlagKey("\\Seen", True)),
    (b"SENTBEFORE 1-feb-1994", DateKey(DateField.SENT, DateOp.BEFORE, D)),
    (b"SENTON 1-FEB-1994", DateKey(DateField.SENT, DateOp.ON, D)),
    (b"SENTSINCE 01-Feb-1994", DateKey(DateField.SENT, DateOp.SINCE, D)),
    (b"SINCE 1-Feb-1994", DateKey(DateField.INTERNAL, DateOp.SINCE, D)),
    (b"SMALLER 5", SizeKey(SizeOp.SMALLER, 5)),
    (b'SUBJECT "caf\xc3\xa9"', HeaderKey("subject", "café")),
    (b"TEXT unsubscribe", TextKey("unsubscribe", headers=True)),
    (b"TO postmaster@example.org", HeaderKey("to", "postmaster@example.org")),
    (b"UID 1:*", SequenceKey(SequenceSet.parse("1:*"), uid=True)),
    (b"UID $", SequenceKey(SequenceSet.parse("$"), uid=True)),
    (b"UNANSWERED", FlagKey("\\Answered", False)),
    (b"UNDELETED", FlagKey("\\Deleted", False)),
    (b"UNDRAFT", FlagKey("\\Draft", False)),
    (b"UNFLAGGED", FlagKey("\\Flagged", False)),
    (b"UNKEYWORD $Junk", FlagKey("$Junk", False)),
    (b"UNSEEN", FlagKey("\\Seen", False)),
    (b"2,4:7,9,12:*", SequenceKey(SequenceSet.parse("2,4:7,9,12:*"), uid=False)),
    (b"$", SequenceKey(SequenceSet.parse("$"), uid=False)),
    (b"(SEEN)", FlagKey("\\Seen", True)),
    (b"(SEEN DRAFT)", AndKey((FlagKey("\\Seen", True), FlagKey("\\Draft", True)))),
    (b"MODSEQ 620162338", ModSeqKey(620162338)),
    (
        b'MODSEQ "/flags/\\\\draft" all 620162338',
        ModSeqKey(620162338, "/flags/\\draft", "all"),
    ),
    (
        b"OR (FROM a NOT TO b) 1:3",
        OrKey(
            AndKey((HeaderKey("from", "a"), NotKey(HeaderKey("to", "b")))),
            SequenceKey(SequenceSet.parse("1:3"), uid=False),
        ),
    ),
    (b"seen unseen", AndKey((FlagKey("\\Seen", True), FlagKey("\\Seen", False)))),
]


@pytest.mark.parametrize(("wire", "key"), KEYS, ids=[k[0].decode("latin-1") for k in KEYS])
def test_search_key(wire: bytes, key: SearchKey) -> None:
    assert search(wire) == c.Search("t", key)


@pytest.mark.parametrize(
    "wire",
    [
        b"BEFORE",
        b"BEFORE 31-Feb-1994",
        b"BEFORE 1-Foo-1994",
        b"BEFORE 1994-02-01",
        b"SINCE 1-Feb-94",
        b"LARGER",
        b"LARGER -1",
        b"LARGER 9223372036854775808",
        b"HEADER X-A",
        b"KEYWORD \\Seen",
        b"UID",
        b"UID 0",
        b"NOT",
        b"OR SEEN",
        b"(SEEN",
        b"SEEN)",
        b"()",
        b"MODSEQ",
        b'MODSEQ "/flags/\\\\seen" bogus 5',
        b'SUBJECT "\xff"',
        b"SAVEDBEFORE 1-Feb-1994",
        b"1:2:3",
        b"ALL  SEEN",
    ],
)
def test_bad_search_key(wire: bytes) -> None:
    event = search(wire)
    assert isinstance(event, BadCommand) and event.tag == "t"
