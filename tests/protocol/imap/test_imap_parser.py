"""Table-driven tests of the IMAP command grammar: one good and several bad lines per command.

Every good line is also fed byte by byte, and all good lines are fed pipelined in one
chunk, to show that framing does not depend on how the bytes arrive.
"""

from __future__ import annotations

from datetime import date

import pytest

from postroom.protocols.imap import command_types as c
from postroom.protocols.imap.commands import (
    AppendLiteral,
    BadCharset,
    BadCommand,
    CommandParser,
    Event,
    NeedContinuation,
)
from postroom.protocols.imap.fetch_items import BinarySize, BodySection, FetchAttr
from postroom.protocols.imap.grammar import KNOWN_COMMANDS
from postroom.protocols.imap.search_keys import (
    AllKey,
    AndKey,
    DateField,
    DateKey,
    DateOp,
    FlagKey,
    HeaderKey,
    NotKey,
    TextKey,
)
from postroom.protocols.imap.sequences import SequenceSet
from postroom.protocols.imap.states import ALLOWED, State


def drive(data: bytes, *, chunk: int | None = None, utf8: bool = False) -> list[Event]:
    """Feed ``data`` (in pieces of ``chunk`` octets), accept every literal, and collect
    the events other than the NeedContinuation pauses it answered."""
    parser = CommandParser(utf8_mailboxes=utf8)
    events: list[Event] = []
    size = chunk or max(len(data), 1)
    for start in range(0, len(data), size):
        parser.feed(data[start : start + size])
        while (event := parser.next_event()) is not None:
            if isinstance(event, NeedContinuation | AppendLiteral):
                parser.accept_literal()
            if not isinstance(event, NeedContinuation):
                events.append(event)
    return events


def one(line: bytes, **kwargs: bool) -> Event:
    events = drive(line + b"\r\n", **kwargs)
    assert len(events) == 1, events
    return events[0]


S = SequenceSet.parse

GOOD: list[tuple[bytes, c.Command]] = [
    # any state
    (b"a1 CAPABILITY", c.Capability("a1")),
    (b"a1 noop", c.Noop("a1")),
    (b"a1 LOGOUT", c.Logout("a1")),
    (b"a1 ID NIL", c.Id("a1", None)),
    (b"a1 ID ()", c.Id("a1", ())),
    (
        b'a1 ID ("name" "sodr" "version" NIL)',
        c.Id("a1", (("name", "sodr"), ("version", None))),
    ),
    # not authenticated
    (b"a1 STARTTLS", c.Starttls("a1")),
    (b"a1 AUTHENTICATE plain", c.Authenticate("a1", "PLAIN")),
    (b"a1 AUTHENTICATE PLAIN AGpvZQBwdw==", c.Authenticate("a1", "PLAIN", b"\0joe\0pw")),
    (b"a1 AUTHENTICATE EXTERNAL =", c.Authenticate("a1", "EXTERNAL", b"")),
    (b"a1 LOGIN joe secret", c.Login("a1", "joe", "secret")),
    (b'a1 LOGIN "joe@example.org" "p w\\"\\\\"', c.Login("a1", "joe@example.org", 'p w"\\')),
    (b'a1 LOGIN joe "p\xc3\xa4ss"', c.Login("a1", "joe", "päss")),
    (b"a1 LOGIN {3+}\r\njoe {2+}\r\npw", c.Login("a1", "joe", "pw")),
    # authenticated
    (b"a1 ENABLE CONDSTORE qresync", c.Enable("a1", ("CONDSTORE", "QRESYNC"))),
    (b"a1 SELECT INBOX", c.Select("a1", "INBOX")),
    (b"a1 select inbox", c.Select("a1", "INBOX")),
    (b'a1 SELECT "InBoX"', c.Select("a1", "INBOX")),
    (b"a1 SELECT ~peter/mail/&U,BTFw-/&ZeVnLIqe-", c.Select("a1", "~peter/mail/台北/日本語")),
    (b"a1 SELECT Lists (CONDSTORE)", c.Select("a1", "Lists", condstore=True)),
    (
        b"a1 SELECT INBOX (QRESYNC (67890007 20050715194045000 41,43:211,214:541))",
        c.Select(
            "a1",
            "INBOX",
            qresync=c.QresyncParams(67890007, 20050715194045000, S("41,43:211,214:541")),
        ),
    ),
    (
        b"a1 SELECT INBOX (QRESYNC (67890007 90060115194045000 41:211,214:541 (1:10 5:20)))",
        c.Select(
            "a1",
            "INBOX",
            qresync=c.QresyncParams(
                67890007, 90060115194045000, S("41:211,214:541"), (S("1:10"), S("5:20"))
            ),
        ),
    ),
    (
        b"a1 SELECT INBOX (CONDSTORE QRESYNC (1 2 (1:3 7:9)))",
        c.Select("a1", "INBOX", True, c.QresyncParams(1, 2, seq_match=(S("1:3"), S("7:9")))),
    ),
    (b"a1 EXAMINE INBOX", c.Examine("a1", "INBOX")),
    (b"a1 CREATE owatagusiam/", c.Create("a1", "owatagusiam/")),
    (b'a1 CREATE "My Drafts" (USE (\\Drafts))', c.Create("a1", "My Drafts", ("\\Drafts",))),
    (b"a1 DELETE blurdybloop", c.Delete("a1", "blurdybloop")),
    (b"a1 RENAME blurdybloop sarasoop", c.Rename("a1", "blurdybloop", "sarasoop")),
    (b"a1 SUBSCRIBE #news.comp.mail.mime", c.Subscribe("a1", "#news.comp.mail.mime")),
    (b"a1 UNSUBSCRIBE a&-b", c.Unsubscribe("a1", "a&b")),
    (b'a1 LIST "" *', c.List("a1", "", ("*",))),
    (b'a1 LIST "" ""', c.List("a1", "", ("",))),
    (b"a1 LIST ~/Mail/ %", c.List("a1", "~/Mail/", ("%",))),
    (b'a1 LIST "" inbox', c.List("a1", "", ("INBOX",))),
    (b'a1 LIST () "" %', c.List("a1", "", ("%",), extended=True)),
    (
        b'a1 LIST (SUBSCRIBED RECURSIVEMATCH) "" %',
        c.List("a1", "", ("%",), frozenset({"SUBSCRIBED", "RECURSIVEMATCH"}), extended=True),
    ),
    (
        b'a1 LIST (SPECIAL-USE) "" *',
        c.List("a1", "", ("*",), frozenset({"SPECIAL-USE"}), extended=True),
    ),
    (
        b'a1 LIST "" ("INBOX" Drafts "Sent/%") RETURN (SPECIAL-USE CHILDREN)',
        c.List(
            "a1",
            "",
            ("INBOX", "Drafts", "Sent/%"),
            returns=frozenset({"SPECIAL-USE", "CHILDREN"}),
            extended=True,
        ),
    ),
    (
        b'a1 LIST "" % RETURN (STATUS (MESSAGES UNSEEN) SUBSCRIBED)',
        c.List(
            "a1",
            "",
            ("%",),
            returns=frozenset({"SUBSCRIBED"}),
            status_items=("MESSAGES", "UNSEEN"),
            extended=True,
        ),
    ),
    (b'a1 LIST "" % RETURN ()', c.List("a1", "", ("%",), extended=True)),
    (b'a1 LSUB "#news." "comp.mail.*"', c.Lsub("a1", "#news.", "comp.mail.*")),
    (b"a1 NAMESPACE", c.Namespace("a1")),
    (
        b"a1 STATUS blurdybloop (UIDNEXT MESSAGES)",
        c.Status("a1", "blurdybloop", ("UIDNEXT", "MESSAGES")),
    ),
    (
        b"a1 STATUS x (size HIGHESTMODSEQ APPENDLIMIT DELETED)",
        c.Status("a1", "x", ("SIZE", "HIGHESTMODSEQ", "APPENDLIMIT", "DELETED")),
    ),
    (b"a1 IDLE", c.Idle("a1")),
    (b'a1 GETQUOTA ""', c.GetQuota("a1", "")),
    (b"a1 GETQUOTAROOT INBOX", c.GetQuotaRoot("a1", "INBOX")),
    # selected
    (b"a1 CHECK", c.Check("a1")),
    (b"a1 CLOSE", c.Close("a1")),
    (b"a1 UNSELECT", c.Unselect("a1")),
    (b"a1 EXPUNGE", c.Expunge("a1")),
    (b"a1 UID EXPUNGE 3000:3002", c.UidExpunge("a1", S("3000:3002"))),
    (b"a1 SEARCH ALL", c.Search("a1", AllKey())),
    (
        b'a1 SEARCH FLAGGED SINCE 1-Feb-1994 NOT FROM "Smith"',
        c.Search(
            "a1",
            AndKey(
                (
                    FlagKey("\\Flagged", True),
                    DateKey(DateField.INTERNAL, DateOp.SINCE, date(1994, 2, 1)),
                    NotKey(HeaderKey("from", "Smith")),
                )
            ),
        ),
    ),
    (
        b"a1 UID SEARCH CHARSET utf-8 TEXT {6}\r\nXXXXXX",
        c.Search("a1", TextKey("XXXXXX", headers=True), "UTF-8", uid=True),
    ),
    (
        b"a1 SEARCH RETURN (MIN COUNT) UNSEEN",
        c.Search("a1", FlagKey("\\Seen", False), returns=("MIN", "COUNT")),
    ),
    (b"a1 SEARCH RETURN () ALL", c.Search("a1", AllKey(), returns=("ALL",))),
    (
        b"a1 FETCH 2:4 (FLAGS BODY[HEADER.FIELDS (DATE FROM)])",
        c.Fetch(
            "a1",
            S("2:4"),
            (FetchAttr("FLAGS"), BodySection((), "HEADER.FIELDS", ("DATE", "FROM"))),
        ),
    ),
    (
        b"a1 FETCH 1 ALL",
        c.Fetch(
            "a1",
            S("1"),
            tuple(FetchAttr(n) for n in ("FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE")),
        ),
    ),
    (
        b"a1 FETCH 1 fast",
        c.Fetch(
            "a1", S("1"), tuple(FetchAttr(n) for n in ("FLAGS", "INTERNALDATE", "RFC822.SIZE"))
        ),
    ),
    (
        b"a1 FETCH 1 FULL",
        c.Fetch(
            "a1",
            S("1"),
            tuple(
                FetchAttr(n) for n in ("FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE", "BODY")
            ),
        ),
    ),
    (b"a1 FETCH * envelope", c.Fetch("a1", S("*"), (FetchAttr("ENVELOPE"),))),
    (b"a1 FETCH 1 BODY[]", c.Fetch("a1", S("1"), (BodySection(),))),
    (
        b"a1 FETCH 1 BODY[TEXT]<0.2048>",
        c.Fetch("a1", S("1"), (BodySection((), "TEXT", partial=(0, 2048)),)),
    ),
    (
        b'a1 FETCH 1 (BODY.PEEK[1.2.MIME] BODY[3.HEADER.FIELDS.NOT (X-A "X B")])',
        c.Fetch(
            "a1",
            S("1"),
            (
                BodySection((1, 2), "MIME", peek=True),
                BodySection((3,), "HEADER.FIELDS.NOT", ("X-A", "X B")),
            ),
        ),
    ),
    (
        b"a1 FETCH 1 (BINARY[1] BINARY.PEEK[1.2]<0.10> BINARY.SIZE[1] BINARY[])",
        c.Fetch(
            "a1",
            S("1"),
            (
                BodySection((1,), binary=True),
                BodySection((1, 2), partial=(0, 10), peek=True, binary=True),
                BinarySize((1,)),
                BodySection((), binary=True),
            ),
        ),
    ),
    (
        b"a1 FETCH 1:3 (UID RFC822.SIZE RFC822.HEADER RFC822.TEXT RFC822 BODYSTRUCTURE MODSEQ)",
        c.Fetch(
            "a1",
            S("1:3"),
            tuple(
                FetchAttr(n)
                for n in (
                    "UID",
                    "RFC822.SIZE",
                    "RFC822.HEADER",
                    "RFC822.TEXT",
                    "RFC822",
                    "BODYSTRUCTURE",
                    "MODSEQ",
                )
            ),
        ),
    ),
    (
        b"a1 UID FETCH 1:* (FLAGS) (CHANGEDSINCE 12345)",
        c.Fetch("a1", S("1:*"), (FetchAttr("FLAGS"),), changedsince=12345, uid=True),
    ),
    (
        b"a1 UID FETCH 300:500 (FLAGS) (CHANGEDSINCE 12345 VANISHED)",
        c.Fetch("a1", S("300:500"), (FetchAttr("FLAGS"),), 12345, True, True),
    ),
    (
        b"a1 STORE 2:4 +FLAGS (\\Deleted)",
        c.Store("a1", S("2:4"), c.StoreMode.ADD, ("\\Deleted",)),
    ),
    (
        b"a1 STORE 1 flags.silent \\seen \\FLAGGED",
        c.Store("a1", S("1"), c.StoreMode.REPLACE, ("\\Seen", "\\Flagged"), silent=True),
    ),
    (b"a1 STORE 1 -FLAGS ($Junk)", c.Store("a1", S("1"), c.StoreMode.REMOVE, ("$Junk",))),
    (b"a1 STORE 1 FLAGS ()", c.Store("a1", S("1"), c.StoreMode.REPLACE, ())),
    (
        b"a1 UID STORE 7 (UNCHANGEDSINCE 320162338) +FLAGS.SILENT (\\Deleted)",
        c.Store("a1", S("7"), c.StoreMode.ADD, ("\\Deleted",), True, 320162338, True),
    ),
    (b"a1 COPY 2:4 MEETING", c.Copy("a1", S("2:4"), "MEETING")),
    (b"a1 UID COPY $ Trash", c.Copy("a1", S("$"), "Trash", uid=True)),
    (b"a1 MOVE 1,3 Archive", c.Move("a1", S("1,3"), "Archive")),
    (b'a1 UID MOVE 42:* "Old mail"', c.Move("a1", S("42:*"), "Old mail", uid=True)),
    (
        b"a1 SORT (SUBJECT) UTF-8 SINCE 1-Feb-1994",
        c.Sort(
            "a1",
            (c.SortCriterion("SUBJECT"),),
            "UTF-8",
            DateKey(DateField.INTERNAL, DateOp.SINCE, date(1994, 2, 1)),
        ),
    ),
    (
        b"a1 UID SORT (REVERSE DATE arrival) US-ASCII ALL",
        c.Sort(
            "a1",
            (c.SortCriterion("DATE", True), c.SortCriterion("ARRIVAL")),
            "US-ASCII",
            AllKey(),
            uid=True,
        ),
    ),
    (
        b"a1 THREAD ORDEREDSUBJECT UTF-8 SINCE 5-MAR-2000",
        c.Thread(
            "a1",
            "ORDEREDSUBJECT",
            "UTF-8",
            DateKey(DateField.INTERNAL, DateOp.SINCE, date(2000, 3, 5)),
        ),
    ),
    (
        b'a1 UID THREAD references "US-ASCII" ALL',
        c.Thread("a1", "REFERENCES", "US-ASCII", AllKey(), uid=True),
    ),
]

BAD: list[tuple[bytes, str | None]] = [
    (b"a1", "a1"),
    (b"a1 ", "a1"),
    (b"a1 FROBNICATE", "a1"),
    (b"+ NOOP", None),
    (b"(a NOOP", None),
    (b"a1 NOOP extra", "a1"),
    (b"a1 NOOP ", "a1"),
    (b"a1  NOOP", "a1"),
    (b"a1 ID", "a1"),
    (b'a1 ID ("name")', "a1"),
    (b"a1 ID (name x)", "a1"),
    (b"a1 ID (" + b'"k" "v" ' * 31 + b")", "a1"),
    (b"a1 AUTHENTICATE", "a1"),
    (b"a1 AUTHENTICATE PLAIN !!!", "a1"),
    (b"a1 AUTHENTICATE PLAIN abc", "a1"),
    (b"a1 LOGIN", "a1"),
    (b"a1 LOGIN joe", "a1"),
    (b'a1 LOGIN joe "unterminated', "a1"),
    (b'a1 LOGIN joe "p\xffw"', "a1"),
    (b"a1 LOGIN joe p(w", "a1"),
    (b"a1 ENABLE", "a1"),
    (b"a1 SELECT", "a1"),
    (b"a1 SELECT &Jjo", "a1"),
    (b"a1 SELECT &AGE-", "a1"),
    (b'a1 SELECT "\xc3\xa4"', "a1"),
    (b"a1 SELECT x (FOO)", "a1"),
    (b"a1 SELECT x (CONDSTORE CONDSTORE)", "a1"),
    (b"a1 SELECT x (QRESYNC (0 1))", "a1"),
    (b"a1 SELECT x (QRESYNC (1))", "a1"),
    (b"a1 CREATE", "a1"),
    (b"a1 CREATE x (USE (\\Bogus))", "a1"),
    (b"a1 RENAME x", "a1"),
    (b"a1 LIST", "a1"),
    (b'a1 LIST ""', "a1"),
    (b'a1 LIST (RECURSIVEMATCH) "" *', "a1"),
    (b'a1 LIST (BOGUS) "" *', "a1"),
    (b'a1 LIST "" * RETURN (BOGUS)', "a1"),
    (b'a1 LIST "" * RETURN (STATUS ())', "a1"),
    (b'a1 LIST "" ()', "a1"),
    (b"a1 LSUB x", "a1"),
    (b"a1 STATUS x ()", "a1"),
    (b"a1 STATUS x (FOO)", "a1"),
    (b"a1 STATUS x MESSAGES", "a1"),
    (b"a1 APPEND INBOX", "a1"),
    (b"a1 APPEND INBOX (\\Seen)", "a1"),
    (b"a1 GETQUOTA", "a1"),
    (b"a1 UID", "a1"),
    (b"a1 UID BOGUS 1", "a1"),
    (b"a1 UID EXPUNGE", "a1"),
    (b"a1 UID EXPUNGE 0", "a1"),
    (b"a1 FETCH 0 FLAGS", "a1"),
    (b"a1 FETCH 1", "a1"),
    (b"a1 FETCH 1:2: FLAGS", "a1"),
    (b"a1 FETCH 4294967296 FLAGS", "a1"),
    (b"a1 FETCH 1 (FLAGS", "a1"),
    (b"a1 FETCH 1 ()", "a1"),
    (b"a1 FETCH 1 FOO", "a1"),
    (b"a1 FETCH 1 (ALL)", "a1"),
    (b"a1 FETCH 1 BODY[HEADER.FIELDS]", "a1"),
    (b"a1 FETCH 1 BODY[HEADER.FIELDS ()]", "a1"),
    (b"a1 FETCH 1 BODY[MIME]", "a1"),
    (b"a1 FETCH 1 BODY[0]", "a1"),
    (b"a1 FETCH 1 BODY[1.]", "a1"),
    (b"a1 FETCH 1 BODY[1.X]", "a1"),
    (b"a1 FETCH 1 BODY[TEXT", "a1"),
    (b"a1 FETCH 1 BODY[]<0.0>", "a1"),
    (b"a1 FETCH 1 BODY[]<5>", "a1"),
    (b"a1 FETCH 1 BINARY[TEXT]", "a1"),
    (b"a1 FETCH 1 BINARY.SIZE", "a1"),
    (b"a1 FETCH 1 BODY.PEEK", "a1"),
    (b"a1 FETCH 1 (FLAGS) (VANISHED)", "a1"),
    (b"a1 UID FETCH 1 (FLAGS) (VANISHED)", "a1"),
    (b"a1 FETCH 1 (FLAGS) (CHANGEDSINCE)", "a1"),
    (b"a1 FETCH 1 (FLAGS) (FOO 1)", "a1"),
    (b"a1 STORE 1 FLAGS", "a1"),
    (b"a1 STORE 1 XFLAGS (\\Seen)", "a1"),
    (b"a1 STORE 1 +FLAGS (\\Seen", "a1"),
    (b"a1 STORE 1 (UNCHANGEDSINCE) FLAGS ()", "a1"),
    (b"a1 COPY 1", "a1"),
    (b"a1 MOVE x INBOX", "a1"),
    (b"a1 SEARCH", "a1"),
    (b"a1 SEARCH ", "a1"),
    (b"a1 SEARCH FOO", "a1"),
    (b"a1 SEARCH RETURN (FOO) ALL", "a1"),
    (b"a1 SEARCH CHARSET", "a1"),
    (b"a1 SEARCH CHARSET UTF-8", "a1"),
    (b"a1 SORT SUBJECT UTF-8 ALL", "a1"),
    (b"a1 SORT (FOO) UTF-8 ALL", "a1"),
    (b"a1 SORT () UTF-8 ALL", "a1"),
    (b"a1 SORT (SUBJECT) ALL", "a1"),
    (b"a1 THREAD FOO UTF-8 ALL", "a1"),
    (b"a1 THREAD REFERENCES UTF-8", "a1"),
]


@pytest.mark.parametrize(
    ("line", "expected"), GOOD, ids=[g[0][:50].decode("latin-1") for g in GOOD]
)
def test_good_command(line: bytes, expected: c.Command) -> None:
    assert one(line) == expected


@pytest.mark.parametrize(("line", "expected"), GOOD[:: max(1, len(GOOD) // 25)])
def test_good_command_byte_by_byte(line: bytes, expected: c.Command) -> None:
    assert drive(line + b"\r\n", chunk=1) == [expected]


def test_all_good_commands_pipelined_in_one_feed() -> None:
    data = b"".join(line + b"\r\n" for line, _ in GOOD)
    assert drive(data) == [expected for _, expected in GOOD]
    assert drive(data, chunk=7) == [expected for _, expected in GOOD]


@pytest.mark.parametrize(("line", "tag"), BAD, ids=[b[0][:50].decode("latin-1") for b in BAD])
def test_bad_command(line: bytes, tag: str | None) -> None:
    event = one(line)
    assert isinstance(event, BadCommand), event
    assert event.tag == tag
    assert "\r" not in event.message and "\n" not in event.message


def test_bad_commands_do_not_lose_pipelined_followers() -> None:
    data = b"".join(line + b"\r\nok NOOP\r\n" for line, _ in BAD)
    events = drive(data)
    assert events[1::2] == [c.Noop("ok")] * len(BAD)
    assert all(isinstance(e, BadCommand) for e in events[0::2])


def test_every_command_is_in_the_state_table_and_back() -> None:
    assert {cls.name for cls in c.COMMAND_TYPES} == KNOWN_COMMANDS
    allowed = set().union(*ALLOWED.values())
    assert allowed == KNOWN_COMMANDS
    assert ALLOWED[State.LOGOUT] == frozenset()


@pytest.mark.parametrize(
    ("line", "charset"),
    [
        (b"a1 SEARCH CHARSET KOI8-R ALL", "KOI8-R"),
        (b'a1 SEARCH CHARSET "iso-8859-1" ALL', "ISO-8859-1"),
        (b"a1 SORT (DATE) WINDOWS-1252 ALL", "WINDOWS-1252"),
        (b"a1 UID THREAD REFERENCES BIG5 ALL", "BIG5"),
    ],
)
def test_unsupported_charset(line: bytes, charset: str) -> None:
    assert one(line) == BadCharset("a1", charset, ("US-ASCII", "UTF-8"))


@pytest.mark.parametrize(
    ("line", "utf8", "expected"),
    [
        (b'a SELECT "Entw\xc3\xbcrfe"', True, c.Select("a", "Entwürfe")),
        (b"a SELECT Entw&APw-rfe", False, c.Select("a", "Entwürfe")),
        (b"a SELECT Entw&APw-rfe", True, c.Select("a", "Entw&APw-rfe")),
        (b'a SELECT "InBox"', True, c.Select("a", "INBOX")),
        (b'a LIST "" "Entw\xc3\xbc*"', True, c.List("a", "", ("Entwü*",))),
    ],
)
def test_utf8_mailbox_names_follow_the_parser_flag(
    line: bytes, utf8: bool, expected: c.Command
) -> None:
    assert one(line, utf8=utf8) == expected


def test_8bit_mailbox_is_refused_without_utf8_accept() -> None:
    event = one(b'a SELECT "Entw\xc3\xbcrfe"')
    assert isinstance(event, BadCommand) and event.tag == "a"


def test_invalid_utf8_mailbox_is_refused_with_utf8_accept() -> None:
    event = one(b'a SELECT "\xff"', utf8=True)
    assert isinstance(event, BadCommand) and event.tag == "a"


def test_command_names_are_case_insensitive() -> None:
    assert one(b"a uid fetch 1 (flags body.peek[text])") == c.Fetch(
        "a", S("1"), (FetchAttr("FLAGS"), BodySection((), "TEXT", peek=True)), uid=True
    )


def test_tags_may_contain_astring_specials_but_not_plus() -> None:
    assert one(b"A.0]1 NOOP") == c.Noop("A.0]1")
    assert one(b"a+ NOOP") == BadCommand("a", "expected SP")


def test_blank_lines_between_commands_are_ignored() -> None:
    assert drive(b"\r\n\r\na NOOP\r\n\n") == [c.Noop("a")]


def test_bare_lf_ends_a_line() -> None:
    assert drive(b"a NOOP\nb NOOP\n") == [c.Noop("a"), c.Noop("b")]
