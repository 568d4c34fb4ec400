"""Server responses as bytes: status lines, codes, untagged data and value encoding.

Strings are checked by reading them back with the parser's own lexer, so the quoting
rules of the writer and the reader cannot drift apart.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from postroom.protocols.imap import responses as r
from postroom.protocols.imap import utf7
from postroom.protocols.imap.fetch_items import BinarySize, BodySection, FetchAttr
from postroom.protocols.imap.lexer import Literal, Reader


def read_string(wire: bytes) -> bytes:
    """Decode one quoted string or synchronising literal, requiring nothing after it."""
    match = re.match(rb"\{(\d+)\}\r\n", wire)
    if match:
        data = wire[match.end() :]
        assert len(data) == int(match.group(1))
        return data
    reader = Reader([wire])
    value = reader.quoted()
    reader.end()
    return value


# -- status responses -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("wire", "expected"),
    [
        (r.ok("a1"), b"a1 OK completed\r\n"),
        (
            r.ok("a1", "SELECT completed", r.Code.READ_WRITE),
            b"a1 OK [READ-WRITE] SELECT completed\r\n",
        ),
        (r.no("a2", "no such mailbox", r.Code.TRYCREATE), b"a2 NO [TRYCREATE] no such mailbox\r\n"),
        (r.no("a2", "try later", r.Code.UNAVAILABLE), b"a2 NO [UNAVAILABLE] try later\r\n"),
        (r.bad("a3", "syntax error"), b"a3 BAD syntax error\r\n"),
        (r.bad(None, "syntax error"), b"* BAD syntax error\r\n"),
        (r.bad("a3", "too long", r.Code.LIMIT), b"a3 BAD [LIMIT] too long\r\n"),
        (r.no("a", "x", r.Code.UNKNOWN_CTE), b"a NO [UNKNOWN-CTE] x\r\n"),
        (r.no("a", "too big", r.Code.TOOBIG), b"a NO [TOOBIG] too big\r\n"),
        (
            r.untagged(r.Status.OK, "UIDs", r.uid_validity(3857529045)),
            b"* OK [UIDVALIDITY 3857529045] UIDs\r\n",
        ),
        (r.untagged(r.Status.OK, "next", r.uid_next(4392)), b"* OK [UIDNEXT 4392] next\r\n"),
        (r.untagged(r.Status.OK, "first", r.unseen(12)), b"* OK [UNSEEN 12] first\r\n"),
        (
            r.untagged(r.Status.OK, "m", r.highest_modseq(715194045007)),
            b"* OK [HIGHESTMODSEQ 715194045007] m\r\n",
        ),
        (r.untagged(r.Status.OK, "no", r.Code.NOMODSEQ), b"* OK [NOMODSEQ] no\r\n"),
        (r.untagged(r.Status.OK, "closed", r.Code.CLOSED), b"* OK [CLOSED] closed\r\n"),
        (
            r.untagged(r.Status.OK, "Limited", r.permanent_flags(["\\Deleted", "\\Seen", "\\*"])),
            b"* OK [PERMANENTFLAGS (\\Deleted \\Seen \\*)] Limited\r\n",
        ),
        (
            r.ok("A003", "APPEND completed", r.append_uid(38505, [3955])),
            b"A003 OK [APPENDUID 38505 3955] APPEND completed\r\n",
        ),
        (r.ok("A", "done", r.append_uid(1, [5, 6, 7])), b"A OK [APPENDUID 1 5:7] done\r\n"),
        (
            r.ok("A004", "Done", r.copy_uid(38505, [304, 319, 320], [3956, 3957, 3958])),
            b"A004 OK [COPYUID 38505 304,319:320 3956:3958] Done\r\n",
        ),
        (
            r.ok("d", "Conditional STORE failed", r.modified([7, 9])),
            b"d OK [MODIFIED 7,9] Conditional STORE failed\r\n",
        ),
        (
            r.no("s", "charset", r.bad_charset(["US-ASCII", "UTF-8"])),
            b"s NO [BADCHARSET (US-ASCII UTF-8)] charset\r\n",
        ),
        (
            r.greeting("Postroom ready", ["IMAP4rev1", "STARTTLS"]),
            b"* OK [CAPABILITY IMAP4rev1 STARTTLS] Postroom ready\r\n",
        ),
        (r.greeting("welcome", preauth=True), b"* PREAUTH welcome\r\n"),
        (r.bye("Logging out"), b"* BYE Logging out\r\n"),
        (r.bye("idle too long", r.Code.UNAVAILABLE), b"* BYE [UNAVAILABLE] idle too long\r\n"),
        (r.continuation(), b"+ Ready\r\n"),
        (r.continuation("idling"), b"+ idling\r\n"),
        (r.challenge(b""), b"+ \r\n"),
        (r.challenge(b"\x00abc"), b"+ AGFiYw==\r\n"),
    ],
)
def test_status_responses(wire: bytes, expected: bytes) -> None:
    assert wire == expected


def test_text_cannot_break_the_line() -> None:
    assert r.no("a", "bad\r\n* OK [ALERT] injected") == b"a NO bad * OK [ALERT] injected\r\n"
    assert r.no("a", "Entwürfe") == b"a NO Entw?rfe\r\n"
    assert r.ok("a", "") == b"a OK completed\r\n"


def test_every_code_has_its_rfc_spelling() -> None:
    names = {code.value for code in r.Code}
    assert {"READ-ONLY", "READ-WRITE", "UNKNOWN-CTE", "OVERQUOTA", "EXPUNGEISSUED"} <= names
    assert len(names) == 39


# -- untagged data ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("wire", "expected"),
    [
        (r.exists(23), b"* 23 EXISTS\r\n"),
        (r.recent(5), b"* 5 RECENT\r\n"),
        (r.expunge(44), b"* 44 EXPUNGE\r\n"),
        (r.vanished([41, 43, 44, 45]), b"* VANISHED 41,43:45\r\n"),
        (r.vanished([300, 301], earlier=True), b"* VANISHED (EARLIER) 300:301\r\n"),
        (r.vanished([]), b""),
        (r.flags(["\\Answered", "\\Seen", "$Junk"]), b"* FLAGS (\\Answered \\Seen $Junk)\r\n"),
        (r.capability(["IMAP4rev1", "IDLE"]), b"* CAPABILITY IMAP4rev1 IDLE\r\n"),
        (r.enabled(["CONDSTORE"]), b"* ENABLED CONDSTORE\r\n"),
        (r.enabled([]), b"* ENABLED\r\n"),
        (r.list_mailbox(["\\Noselect"], "/", "foo"), b'* LIST (\\Noselect) "/" "foo"\r\n'),
        (r.list_mailbox([], None, "INBOX"), b'* LIST () NIL "INBOX"\r\n'),
        (
            r.list_mailbox(["\\HasChildren"], "/", "Foo", childinfo=["SUBSCRIBED"]),
            b'* LIST (\\HasChildren) "/" "Foo" ("CHILDINFO" ("SUBSCRIBED"))\r\n',
        ),
        (
            r.list_mailbox([], "/", "Neu", oldname="Alt"),
            b'* LIST () "/" "Neu" ("OLDNAME" ("Alt"))\r\n',
        ),
        (r.list_mailbox(["\\Sent"], "/", "Entwürfe"), b'* LIST (\\Sent) "/" "Entw&APw-rfe"\r\n'),
        (
            r.list_mailbox([], "/", "Entwürfe", utf8=True),
            b'* LIST () "/" "Entw\xc3\xbcrfe"\r\n',
        ),
        (r.lsub([], "/", "#news.comp.mail.misc"), b'* LSUB () "/" "#news.comp.mail.misc"\r\n'),
        (
            r.status("blurdybloop", [("MESSAGES", 231), ("UIDNEXT", 44292)]),
            b'* STATUS "blurdybloop" (MESSAGES 231 UIDNEXT 44292)\r\n',
        ),
        (r.search([2, 3, 6]), b"* SEARCH 2 3 6\r\n"),
        (r.search([]), b"* SEARCH\r\n"),
        (
            r.search([2, 5, 6, 7, 11, 12, 18, 19, 20, 23], modseq=917162500),
            b"* SEARCH 2 5 6 7 11 12 18 19 20 23 (MODSEQ 917162500)\r\n",
        ),
        (r.sort([2, 84, 882]), b"* SORT 2 84 882\r\n"),
        (
            r.esearch("A282", uid=False, minimum=2, count=3),
            b'* ESEARCH (TAG "A282") MIN 2 COUNT 3\r\n',
        ),
        (
            r.esearch("A283", uid=True, all_numbers=[2, 10, 11]),
            b'* ESEARCH (TAG "A283") UID ALL 2,10:11\r\n',
        ),
        (
            r.esearch("A284", uid=False, all_numbers=[], count=0),
            b'* ESEARCH (TAG "A284") COUNT 0\r\n',
        ),
        (
            r.esearch(None, uid=True, minimum=1, maximum=9, modseq=5),
            b"* ESEARCH UID MIN 1 MAX 9 MODSEQ 5\r\n",
        ),
        (
            r.id_response({"name": "Postroom", "version": None}),
            b'* ID ("name" "Postroom" "version" NIL)\r\n',
        ),
        (r.id_response(None), b"* ID NIL\r\n"),
        (r.namespace([("", "/")], None, None), b'* NAMESPACE (("" "/")) NIL NIL\r\n'),
        (
            r.namespace([("", "/")], [("Other Users/", "/")], [("Öffentlich/", "/")]),
            b'* NAMESPACE (("" "/")) (("Other Users/" "/")) (("&ANY-ffentlich/" "/"))\r\n',
        ),
        (r.quota("", [("STORAGE", 10, 512)]), b'* QUOTA "" (STORAGE 10 512)\r\n'),
        (r.quotaroot("INBOX", [""]), b'* QUOTAROOT "INBOX" ""\r\n'),
        (r.quotaroot("comp.mail.mime", []), b'* QUOTAROOT "comp.mail.mime"\r\n'),
    ],
)
def test_untagged_data(wire: bytes, expected: bytes) -> None:
    assert wire == expected


def test_thread_matches_rfc_5256_examples() -> None:
    t = r.ThreadNode
    tree = [
        t(2),
        t(3, (t(6, (t(4, (t(23),)), t(44, (t(7, (t(96),)),)))),)),
    ]
    assert r.thread(tree) == b"* THREAD (2)(3 6 (4 23)(44 7 96))\r\n"
    assert r.thread([t(None, (t(3), t(5)))]) == b"* THREAD ((3)(5))\r\n"
    assert r.thread([]) == b"* THREAD\r\n"


# -- FETCH ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("item", "label"),
    [
        (FetchAttr("FLAGS"), "FLAGS"),
        (BodySection(), "BODY[]"),
        (BodySection(peek=True), "BODY[]"),
        (BodySection((1, 2), "MIME"), "BODY[1.2.MIME]"),
        (BodySection((), "TEXT", partial=(100, 50)), "BODY[TEXT]<100>"),
        (BodySection((), "HEADER.FIELDS", ("DATE", "FROM")), "BODY[HEADER.FIELDS (DATE FROM)]"),
        (BodySection((3,), "HEADER.FIELDS.NOT", ("X A",)), 'BODY[3.HEADER.FIELDS.NOT ("X A")]'),
        (BodySection((1,), binary=True, peek=True), "BINARY[1]"),
        (BinarySize((1, 2)), "BINARY.SIZE[1.2]"),
    ],
)
def test_fetch_label(item: FetchAttr | BodySection | BinarySize, label: str) -> None:
    assert r.fetch_label(item) == label


def test_fetch_response() -> None:
    when = datetime(1996, 7, 17, 2, 44, 25, tzinfo=timezone(timedelta(hours=-7)))
    wire = r.fetch(
        12,
        [
            ("UID", 4827),
            ("FLAGS", r.flag_list(["\\Seen"])),
            ("INTERNALDATE", when),
            ("RFC822.SIZE", 4286),
            ("BODY[HEADER]", b"Subject: hi\r\n\r\n"),
            ("BINARY[1]", r.Literal8(b"\x00\xff")),
            ("MODSEQ", [r.Raw(b"12121231000")]),
        ],
    )
    assert wire == (
        b'* 12 FETCH (UID 4827 FLAGS (\\Seen) INTERNALDATE "17-Jul-1996 02:44:25 -0700" '
        b"RFC822.SIZE 4286 BODY[HEADER] {15}\r\nSubject: hi\r\n\r\n "
        b"BINARY[1] ~{2}\r\n\x00\xff MODSEQ (12121231000))\r\n"
    )


def test_envelope_value() -> None:
    value = r.envelope(
        "Wed, 17 Jul 1996 02:23:25 -0700 (PDT)",
        "IMAP4rev1 WG mtg summary and minutes",
        [("Terry Gray", None, "gray", "cac.washington.edu")],
        None,
        None,
        [(None, None, "imap", "cac.washington.edu")],
        [],
        None,
        None,
        "<B27397-0100000@cac.washington.edu>",
    )
    assert r.encode_value(value) == (
        b'("Wed, 17 Jul 1996 02:23:25 -0700 (PDT)" "IMAP4rev1 WG mtg summary and minutes" '
        b'(("Terry Gray" NIL "gray" "cac.washington.edu")) NIL NIL '
        b'((NIL NIL "imap" "cac.washington.edu")) NIL NIL NIL '
        b'"<B27397-0100000@cac.washington.edu>")'
    )


# -- value encoders ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "wire"),
    [
        ("hello world", b'"hello world"'),
        ("", b'""'),
        ('say "hi"', b'{8}\r\nsay "hi"'),
        ("back\\slash", b"{10}\r\nback\\slash"),
        ("two\r\nlines", b"{10}\r\ntwo\r\nlines"),
        ("café", b"{5}\r\ncaf\xc3\xa9"),
        (b"\xff", b"{1}\r\n\xff"),
        ("x" * 1024, b'"' + b"x" * 1024 + b'"'),
        ("x" * 1025, b"{1025}\r\n" + b"x" * 1025),
    ],
)
def test_encode_string(value: str | bytes, wire: bytes) -> None:
    assert r.encode_string(value) == wire


def test_utf8_strings_are_quoted_when_utf8_is_enabled() -> None:
    assert r.encode_string("café", utf8=True) == b'"caf\xc3\xa9"'
    assert r.encode_string(b"\xff", utf8=True) == b"{1}\r\n\xff"  # not UTF-8


def test_other_encoders() -> None:
    assert r.encode_nstring(None) == b"NIL"
    assert r.encode_astring("INBOX") == b"INBOX"
    assert r.encode_astring("nil") == b'"nil"'
    assert r.encode_astring("a b") == b'"a b"'
    assert r.encode_value([1, None, r.Atom("\\Seen"), ["x"]]) == b'(1 NIL \\Seen ("x"))'
    assert r.encode_literal8(b"ab") == b"~{2}\r\nab"
    with pytest.raises(TypeError):
        r.encode_value(True)


@pytest.mark.parametrize(
    ("moment", "wire"),
    [
        (
            datetime(1996, 7, 17, 2, 44, 25, tzinfo=timezone(timedelta(hours=-7))),
            b'"17-Jul-1996 02:44:25 -0700"',
        ),
        (datetime(2024, 3, 5, 9, 0, 0, tzinfo=UTC), b'" 5-Mar-2024 09:00:00 +0000"'),
        (datetime(2024, 3, 5, 9, 0, 0), b'" 5-Mar-2024 09:00:00 +0000"'),
        (
            datetime(2024, 12, 31, 23, 59, 59, tzinfo=timezone(timedelta(hours=5, minutes=30))),
            b'"31-Dec-2024 23:59:59 +0530"',
        ),
    ],
)
def test_encode_datetime(moment: datetime, wire: bytes) -> None:
    assert r.encode_datetime(moment) == wire


@given(
    st.datetimes(
        min_value=datetime(1900, 1, 2), max_value=datetime(2200, 1, 1), timezones=st.timezones()
    )
)
def test_datetime_round_trips_through_the_parser(moment: datetime) -> None:
    wire = r.encode_datetime(moment)
    parsed = Reader([wire]).date_time()
    # compare instants in UTC: aware datetimes in a zone's gap never compare equal across zones
    assert parsed.astimezone(UTC) == moment.replace(microsecond=0).astimezone(UTC)


@given(st.binary(max_size=2000))
def test_string_round_trip_bytes(data: bytes) -> None:
    wire = r.encode_string(data)
    assert read_string(wire) == data
    if wire.startswith(b'"'):
        assert b"\r" not in wire and b"\n" not in wire


@given(st.text(max_size=300), st.booleans())
def test_string_round_trip_text(text: str, utf8: bool) -> None:
    wire = r.encode_string(text, utf8=utf8)
    assert read_string(wire) == text.encode("utf-8")


@given(st.text(max_size=60), st.booleans())
def test_mailbox_round_trips_through_the_parser(name: str, utf8: bool) -> None:
    from postroom.protocols.imap.lexer import decode_mailbox

    wire = r.encode_mailbox(name, utf8=utf8)
    reader = Reader([wire]) if wire.startswith(b'"') else None
    raw = reader.astring() if reader else read_string(wire)
    decoded = decode_mailbox(raw, utf8)
    assert decoded == ("INBOX" if name.upper() == "INBOX" else name)
    if not utf8:
        assert raw.decode("ascii") == utf7.encode(name)


def test_lexer_literal_parts_for_completeness() -> None:
    reader = Reader([b"", Literal(b"x"), b""])
    assert reader.astring() == b"x"
    reader.end()
