"""Property tests of the IMAP parser (hypothesis) and its memory limits (tracemalloc).

- Any bytes, cut anywhere, with any decisions: only documented events, never an
  exception, and buffering bounded by the limits plus what was just fed.
- Valid commands generated at random (search-key trees, FETCH items, APPEND messages,
  mailbox names, strings that need literals) parse to exactly what was generated,
  however the bytes are cut.
- A literal announced as {4294967295} allocates nothing.
"""

from __future__ import annotations

import string
import tracemalloc
from datetime import UTC, date, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from postroom.protocols.imap import command_types as c
from postroom.protocols.imap import responses as r
from postroom.protocols.imap.commands import (
    AppendLiteral,
    BadCharset,
    BadCommand,
    CommandParser,
    Event,
    IdleDone,
    Limits,
    LiteralChunk,
    NeedContinuation,
    SaslResponse,
    TooBig,
)
from postroom.protocols.imap.fetch_items import BinarySize, BodySection, FetchAttr, FetchItem
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

EVENT_TYPES = (
    c.Command,
    NeedContinuation,
    BadCommand,
    BadCharset,
    TooBig,
    AppendLiteral,
    LiteralChunk,
    IdleDone,
    SaslResponse,
)
SMALL = Limits(max_line=300, max_literal=120, max_append=500, max_messages=4, chunk_size=50)

# Pieces that steer random input into the interesting states of the framer.
PIECES = [
    b"a ", b"b1 ", b"\r\n", b"\n", b"{5}\r\n", b"{3+}\r\n", b"~{2}\r\n", b"{0}\r\n",
    b"{99999999999}\r\n", b"{4294967295+}\r\n", b"{" + b"9" * 30 + b"+}\r\n",
    b"APPEND INBOX ", b"APPEND ", b"UTF8 (", b")", b"(", b'"', b"\\", b"LOGIN ",
    b"SEARCH ", b"NOT ", b"OR ", b"UID ", b"FETCH 1:* ", b"BODY[", b"]", b"<0.1>",
    b"IDLE", b"AUTHENTICATE PLAIN", b"DONE", b"*", b"NOOP", b"x" * 40, b"\x00", b"\xff",
]  # fmt: skip
noisy_bytes = st.lists(st.sampled_from(PIECES) | st.binary(max_size=12), max_size=60).map(b"".join)


def cut(data: bytes, sizes: list[int]) -> list[bytes]:
    pieces, pos = [], 0
    for size in sizes:
        if pos >= len(data):
            break
        pieces.append(data[pos : pos + size])
        pos += size
    if pos < len(data):
        pieces.append(data[pos:])
    return pieces


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(noisy_bytes, st.lists(st.integers(1, 64), max_size=40), st.randoms(use_true_random=False))
def test_any_input_gives_only_documented_events_within_memory_bounds(
    data: bytes, sizes: list[int], rnd: object
) -> None:
    import random

    assert isinstance(rnd, random.Random)
    parser = CommandParser(SMALL)
    steady = SMALL.max_line + SMALL.max_literal + 64
    for piece in cut(data, sizes):
        before = parser.buffered_bytes
        parser.feed(piece)
        assert parser.buffered_bytes <= before + len(piece)
        while (event := parser.next_event()) is not None:
            assert isinstance(event, EVENT_TYPES), event
            check_event(event)
            if isinstance(event, NeedContinuation | AppendLiteral):
                if rnd.random() < 0.7:
                    parser.accept_literal()
                else:
                    parser.reject_literal()
            elif isinstance(event, c.Idle) and rnd.random() < 0.5:
                parser.expect_done(event.tag)
            elif isinstance(event, c.Authenticate | SaslResponse) and rnd.random() < 0.5:
                parser.expect_sasl_response(event.tag)
        assert parser.buffered_bytes <= steady


def check_event(event: Event) -> None:
    if isinstance(event, BadCommand):
        assert event.message and "\n" not in event.message and "\r" not in event.message
    if isinstance(event, LiteralChunk):
        assert len(event.data) <= SMALL.chunk_size
    if isinstance(event, NeedContinuation):
        assert event.size <= SMALL.max_literal
    if isinstance(event, AppendLiteral):
        assert event.message.size <= SMALL.max_append


@given(st.binary(max_size=300).filter(lambda b: b"{" not in b))
def test_parser_resynchronises_after_any_garbage_without_literals(garbage: bytes) -> None:
    parser = CommandParser(SMALL)
    parser.feed(garbage + b"\r\nzz NOOP\r\n")
    out = list(parser.events())
    assert out[-1] == c.Noop("zz")


# -- generated valid commands -------------------------------------------------------------

atoms = st.text(string.ascii_letters + string.digits + "$_-.", min_size=1, max_size=12)
texts = st.text(max_size=40)
bounds = st.integers(1, 2**32 - 1) | st.none()
sequence_sets = st.just(SequenceSet.parse("$")) | st.lists(
    st.tuples(bounds, bounds), min_size=1, max_size=5
).map(lambda ranges: SequenceSet(tuple(ranges)))

SIMPLE_FLAG_KEYS = {
    FlagKey("\\Answered", True): b"ANSWERED",
    FlagKey("\\Deleted", True): b"DELETED",
    FlagKey("\\Draft", True): b"DRAFT",
    FlagKey("\\Flagged", True): b"FLAGGED",
    FlagKey("\\Seen", True): b"SEEN",
    FlagKey("\\Recent", True): b"RECENT",
    FlagKey("\\Answered", False): b"UNANSWERED",
    FlagKey("\\Deleted", False): b"UNDELETED",
    FlagKey("\\Draft", False): b"UNDRAFT",
    FlagKey("\\Flagged", False): b"UNFLAGGED",
    FlagKey("\\Seen", False): b"UNSEEN",
    FlagKey("\\Recent", False): b"OLD",
}
DATE_NAMES = {
    (DateField.INTERNAL, DateOp.BEFORE): b"BEFORE",
    (DateField.INTERNAL, DateOp.ON): b"ON",
    (DateField.INTERNAL, DateOp.SINCE): b"SINCE",
    (DateField.SENT, DateOp.BEFORE): b"SENTBEFORE",
    (DateField.SENT, DateOp.ON): b"SENTON",
    (DateField.SENT, DateOp.SINCE): b"SENTSINCE",
}
MONTHS = b"Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()

leaf_keys = st.one_of(
    st.just(AllKey()),
    st.sampled_from(list(SIMPLE_FLAG_KEYS)),
    st.builds(FlagKey, atoms.filter(lambda a: not a.upper().startswith("NIL")), st.booleans()),
    st.builds(HeaderKey, st.text("abcdefghijklmnopqrstuvwxyz-", min_size=1, max_size=10), texts),
    st.builds(TextKey, texts, st.booleans()),
    st.builds(DateKey, st.sampled_from(DateField), st.sampled_from(DateOp), st.dates()),
    st.builds(SizeKey, st.sampled_from(SizeOp), st.integers(0, 2**63 - 1)),
    st.builds(SequenceKey, sequence_sets, st.booleans()),
    st.builds(ModSeqKey, st.integers(0, 2**63 - 1)),
)
search_keys = st.recursive(
    leaf_keys,
    lambda kids: st.one_of(
        st.builds(NotKey, kids),
        st.builds(OrKey, kids, kids),
        st.lists(kids, min_size=2, max_size=4).map(lambda keys: AndKey(tuple(keys))),
    ),
    max_leaves=15,
)


def write_key(key: SearchKey) -> bytes:
    if isinstance(key, AllKey):
        return b"ALL"
    if isinstance(key, FlagKey):
        name = SIMPLE_FLAG_KEYS.get(key)
        return name or (b"KEYWORD " if key.present else b"UNKEYWORD ") + key.flag.encode()
    if isinstance(key, HeaderKey):
        return b"HEADER " + r.encode_string(key.field) + b" " + r.encode_string(key.value)
    if isinstance(key, TextKey):
        return (b"TEXT " if key.headers else b"BODY ") + r.encode_string(key.value)
    if isinstance(key, DateKey):
        day = key.day
        text = b"%d-%s-%04d" % (day.day, MONTHS[day.month - 1], day.year)
        return DATE_NAMES[key.field, key.op] + b" " + text
    if isinstance(key, SizeKey):
        return b"%s %d" % (key.op.value.upper().encode(), key.size)
    if isinstance(key, SequenceKey):
        return (b"UID " if key.uid else b"") + str(key.sequence).encode()
    if isinstance(key, ModSeqKey):
        return b"MODSEQ %d" % key.modseq
    if isinstance(key, NotKey):
        return b"NOT " + write_key(key.key)
    if isinstance(key, OrKey):
        return b"OR " + write_key(key.left) + b" " + write_key(key.right)
    return b"(" + b" ".join(write_key(k) for k in key.keys) + b")"


parts = st.lists(st.integers(1, 30), max_size=3).map(tuple)
header_names = st.lists(
    st.text(string.ascii_letters + "-", min_size=1, max_size=8), min_size=1, max_size=3
)
partials = st.none() | st.tuples(st.integers(0, 2**40), st.integers(1, 2**40))


@st.composite
def body_sections(draw: st.DrawFn) -> BodySection:
    if draw(st.booleans()):
        return BodySection(
            draw(parts), partial=draw(partials), peek=draw(st.booleans()), binary=True
        )
    part = draw(parts)
    texts_allowed = ["", "HEADER", "TEXT", "HEADER.FIELDS", "HEADER.FIELDS.NOT"]
    text = draw(st.sampled_from([*texts_allowed, "MIME"] if part else texts_allowed))
    fields = tuple(draw(header_names)) if text.startswith("HEADER.FIELDS") else ()
    return BodySection(part, text, fields, draw(partials), draw(st.booleans()))


fetch_items = st.lists(
    st.sampled_from(
        [
            FetchAttr(n)
            for n in ("ENVELOPE", "FLAGS", "UID", "RFC822.SIZE", "BODYSTRUCTURE", "MODSEQ")
        ]
    )
    | body_sections()
    | st.builds(BinarySize, parts),
    min_size=1,
    max_size=5,
    unique=True,
)


def write_item(item: FetchItem) -> bytes:
    if isinstance(item, FetchAttr):
        return item.name.encode()
    part = ".".join(map(str, item.part))
    if isinstance(item, BinarySize):
        return f"BINARY.SIZE[{part}]".encode()
    name = ("BINARY" if item.binary else "BODY") + (".PEEK" if item.peek else "")
    spec = ".".join(x for x in (part, item.text) if x)
    if item.fields:
        spec += " (" + " ".join(item.fields) + ")"
    partial = f"<{item.partial[0]}.{item.partial[1]}>" if item.partial else ""
    return f"{name}[{spec}]{partial}".encode()


flag_names = st.lists(
    st.sampled_from(["\\Seen", "\\Answered", "\\Flagged", "\\Deleted", "\\Draft"]) | atoms,
    max_size=4,
    unique=True,
)
mailboxes = st.text(max_size=20)
tags = st.text(string.ascii_letters + string.digits + ".", min_size=1, max_size=6)


@st.composite
def commands(draw: st.DrawFn, utf8: bool) -> tuple[bytes, list[object]]:
    """One valid command on the wire and the events it must produce (chunks merged)."""
    tag = draw(tags)
    kind = draw(st.sampled_from(["login", "select", "search", "fetch", "store", "append"]))
    t = tag.encode()
    if kind == "login":
        user, password = draw(texts), draw(texts)
        wire = b"%s LOGIN %s %s" % (t, r.encode_string(user), r.encode_string(password))
        return wire + b"\r\n", [c.Login(tag, user, password)]
    if kind == "select":
        name = draw(mailboxes)
        expected = "INBOX" if name.upper() == "INBOX" else name
        return b"%s SELECT %s\r\n" % (t, r.encode_mailbox(name, utf8=utf8)), [
            c.Select(tag, expected)
        ]
    if kind == "search":
        key, uid = draw(search_keys), draw(st.booleans())
        wire = b"%s %sSEARCH %s\r\n" % (t, b"UID " if uid else b"", write_key(key))
        return wire, [c.Search(tag, key, uid=uid)]
    if kind == "fetch":
        seq, items = draw(sequence_sets), tuple(draw(fetch_items))
        wire = b"%s FETCH %s (%s)\r\n" % (t, str(seq).encode(), b" ".join(map(write_item, items)))
        return wire, [c.Fetch(tag, seq, items)]
    if kind == "store":
        seq, flags = draw(sequence_sets), tuple(draw(flag_names))
        mode = draw(st.sampled_from(c.StoreMode))
        sign = {c.StoreMode.ADD: b"+", c.StoreMode.REMOVE: b"-", c.StoreMode.REPLACE: b""}[mode]
        wire = b"%s STORE %s %sFLAGS (%s)\r\n" % (
            t,
            str(seq).encode(),
            sign,
            " ".join(flags).encode(),
        )
        return wire, [c.Store(tag, seq, mode, flags)]
    return draw(appends(tag, utf8))


@st.composite
def appends(draw: st.DrawFn, tag: str, utf8: bool) -> tuple[bytes, list[object]]:
    name = draw(mailboxes)
    expected_name = "INBOX" if name.upper() == "INBOX" else name
    wire = b"%s APPEND %s" % (tag.encode(), r.encode_mailbox(name, utf8=utf8))
    events: list[object] = []
    messages = []
    for _ in range(draw(st.integers(1, 3))):
        flags = tuple(draw(flag_names))
        when = draw(st.none() | st.datetimes(datetime(1900, 1, 1), datetime(2200, 1, 1)))
        when = when.replace(microsecond=0, tzinfo=UTC) if when else None
        data = draw(st.binary(max_size=200))
        plus = b"+" if draw(st.booleans()) else b""
        if flags:
            wire += b" (" + " ".join(flags).encode() + b")"
        if when:
            wire += b" " + r.encode_datetime(when)
        wire += b" {%d%s}\r\n" % (len(data), plus) + data
        message = c.AppendMessage(flags, when, len(data))
        messages.append(message)
        events += [AppendLiteral(tag, expected_name, message, not plus, len(events) // 2)]
        events += [("data", tag, data)]
    return wire + b"\r\n", [*events, c.Append(tag, expected_name, tuple(messages))]


def run_merged(parser: CommandParser, pieces: list[bytes]) -> list[object]:
    out: list[object] = []
    for piece in pieces:
        parser.feed(piece)
        while (event := parser.next_event()) is not None:
            if isinstance(event, NeedContinuation | AppendLiteral):
                parser.accept_literal()
            if isinstance(event, NeedContinuation):
                continue
            if isinstance(event, LiteralChunk):
                last = out[-1] if out else None
                if isinstance(last, tuple) and last[0] == "data" and not last[3]:
                    out[-1] = ("data", event.tag, last[2] + event.data, event.final)
                else:
                    out.append(("data", event.tag, event.data, event.final))
                continue
            out.append(event)
    return [e[:3] if isinstance(e, tuple) else e for e in out]


@settings(max_examples=100, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.booleans().flatmap(
        lambda u: st.tuples(st.just(u), st.lists(commands(u), min_size=1, max_size=4))
    ),
    st.lists(st.integers(1, 40), max_size=30),
)
def test_generated_commands_parse_back_however_they_are_cut(
    generated: tuple[bool, list[tuple[bytes, list[object]]]], sizes: list[int]
) -> None:
    utf8, cmds = generated
    wire = b"".join(w for w, _ in cmds)
    expected = [e for _, events in cmds for e in events]
    parser = CommandParser(Limits(chunk_size=16), utf8_mailboxes=utf8)
    assert run_merged(parser, cut(wire, sizes)) == expected
    parser = CommandParser(Limits(chunk_size=16), utf8_mailboxes=utf8)
    assert run_merged(parser, [wire[i : i + 1] for i in range(len(wire))]) == expected


def test_search_dates_in_generated_keys_use_four_digit_years() -> None:
    assert write_key(DateKey(DateField.SENT, DateOp.ON, date(99, 1, 2))) == b"SENTON 2-Jan-0099"


# -- nothing allocated for huge announced literals ---------------------------------------------


def peak_while(action: object) -> int:
    assert callable(action)
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        action()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_huge_synchronising_literal_allocates_nothing() -> None:
    parser = CommandParser()

    def announce() -> None:
        parser.feed(b"a LOGIN {4294967295}\r\n")
        assert list(parser.events()) == [BadCommand("a", "literal too large", "LIMIT")]

    assert peak_while(announce) < 64 * 1024


def test_huge_append_literal_is_announced_and_streamed_in_bounded_memory() -> None:
    parser = CommandParser(Limits(max_append=2**33))
    chunk = b"m" * 65536

    def announce() -> None:
        parser.feed(b"a APPEND INBOX {4294967295}\r\n")
        (event,) = parser.events()
        assert isinstance(event, AppendLiteral) and event.message.size == 4294967295
        assert parser.accept_literal()

    def stream() -> None:
        total = 0
        for _ in range(128):  # 8 MiB
            parser.feed(chunk)
            for event in parser.events():
                assert isinstance(event, LiteralChunk) and not event.final
                total += len(event.data)
        assert total == 128 * len(chunk)

    assert peak_while(announce) < 64 * 1024
    assert peak_while(stream) < 512 * 1024
    assert parser.buffered_bytes == 0


def test_huge_non_synchronising_literal_is_skipped_in_bounded_memory() -> None:
    parser = CommandParser()
    chunk = b"z" * 65536

    def skip() -> None:
        parser.feed(b"a LOGIN {4294967295+}\r\n")
        assert list(parser.events()) == [BadCommand("a", "literal too large", "LIMIT")]
        for _ in range(128):
            parser.feed(chunk)
            assert list(parser.events()) == []
            assert parser.buffered_bytes == 0

    assert peak_while(skip) < 512 * 1024
    assert parser.discarding == 4294967295 - 128 * len(chunk)
